package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/modules/auth"
	"github.com/srgplatform/srg/modules/auth/oidcfake"
)

// The SSO client of the test environments at the fake provider, and its groups.
const (
	ssoClientID     = "srg-acme"
	ssoClientSecret = "fake-client-secret-0123456789"
	groupAdmins     = "acme-admins"
	groupMarketing  = "acme-marketing"
	groupEveryone   = "acme-everyone"
	carolEmail      = "carol@acme.example"
)

var acmeGroupRoles = map[string]string{groupAdmins: "admin", groupMarketing: "marketer", groupEveryone: "viewer"}

// ssoEnv is an environment whose acme tenant signs in with a fake OpenID Connect
// provider; globex has no single sign-on.
type ssoEnv struct {
	*env
	idp    *oidcfake.Server
	idpURL string
	// closeIdP stops the provider's server.
	closeIdP func()
}

func newSSOEnv(t *testing.T) *ssoEnv {
	t.Helper()
	se := newProviderEnv(t)
	if _, err := se.mod.SSO().Set(context.Background(), se.acme, "owner", se.input(), "test", auth.Client{}); err != nil {
		t.Fatal(err)
	}
	return se
}

// newProviderEnv is an environment with the fake provider, where no tenant has single
// sign-on yet.
func newProviderEnv(t *testing.T) *ssoEnv {
	t.Helper()
	en := newEnv(t, envOptions{})
	idp := oidcfake.New(oidcfake.Client{ID: ssoClientID, Secret: ssoClientSecret, RedirectURIs: []string{en.url + auth.SSOCallbackPath}})
	idp.Now = en.clock.Now
	srv := httptest.NewServer(idp)
	t.Cleanup(srv.Close)
	idp.SetIssuer(srv.URL)
	idp.SetUser(oidcfake.User{Subject: "carol-1", Email: carolEmail, EmailVerified: true, Name: "Carol Jones", Groups: []string{groupMarketing}})
	return &ssoEnv{env: en, idp: idp, idpURL: srv.URL, closeIdP: srv.Close}
}

// input is acme's SSO settings at the fake provider.
func (se *ssoEnv) input() auth.SSOInput {
	return auth.SSOInput{IssuerURL: se.idpURL, ClientID: ssoClientID, ClientSecret: ssoClientSecret,
		AllowedDomains: []string{"acme.example"}, GroupRoles: acmeGroupRoles}
}

func (se *ssoEnv) user(email string, verified bool, groups ...string) {
	se.idp.SetUser(oidcfake.User{Subject: "sub-" + email, Email: email, EmailVerified: verified, Name: "Someone", Groups: groups})
}

func (se *ssoEnv) roleOf(email string, tenant int64) string {
	se.t.Helper()
	var roles []string
	if err := apptest.System(se.db).Raw(`SELECT m.role FROM tenant_members m JOIN users u ON u.id = m.user_id WHERE lower(u.email) = lower(?) AND m.tenant_id = ?`,
		email, tenant).Scan(&roles).Error; err != nil {
		se.t.Fatal(err)
	}
	if len(roles) == 0 {
		return ""
	}
	return roles[0]
}

// signedOnAs checks that r completed a single sign-on to location, and returns the
// session's row: its user's email and the tenant it is confined to.
func (se *ssoEnv) signedOnAs(r response, location string) (email string, ssoTenant int64) {
	se.t.Helper()
	if r.Status != http.StatusSeeOther || r.Location() != location {
		se.t.Fatalf("single sign-on: %d %s, want a redirect to %s\n%s", r.Status, r.Location(), location, r.Body)
	}
	ck := r.Cookie(auth.SessionCookie)
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Value == "" {
		se.t.Fatalf("session cookie %+v", ck)
	}
	var row struct {
		Email       string
		SSOTenantID int64
	}
	if err := se.db.Raw(`SELECT u.email, coalesce(s.sso_tenant_id, 0) AS sso_tenant_id FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = sha256(convert_to(?, 'UTF8'))`, ck.Value).Scan(&row).Error; err != nil {
		se.t.Fatal(err)
	}
	if row.Email == "" {
		se.t.Fatal("the session cookie names no stored session")
	}
	return row.Email, row.SSOTenantID
}

func (se *ssoEnv) audited(action, target string) int {
	return se.count(`SELECT count(*) FROM audit_log WHERE action = ? AND target = ?`, action, target)
}

func TestSSOSignIn(t *testing.T) {
	se := newSSOEnv(t)

	t.Run("a new person is created with the role of their group", func(t *testing.T) {
		b := se.browser()
		email, tenant := se.signedOnAs(b.SSO("tenant=acme"), "/t/acme")
		if email != carolEmail || tenant != se.acme {
			t.Fatalf("session of %s confined to %d, want %s in acme (%d)", email, tenant, carolEmail, se.acme)
		}
		if got := se.roleOf(carolEmail, se.acme); got != "marketer" {
			t.Fatalf("role %q, want marketer", got)
		}
		if n := se.count(`SELECT count(*) FROM users WHERE email = ? AND name = 'Carol Jones' AND password_hash IS NULL AND phone = ''`, carolEmail); n != 1 {
			t.Fatalf("%d users like Carol", n)
		}
		if se.audited("login.sso", carolEmail) != 1 {
			t.Fatal("no login.sso in the audit log")
		}
		if r := b.Get("/t/acme/dashboard"); r.Status != http.StatusOK || !strings.Contains(r.Body, carolEmail) {
			t.Fatalf("dashboard after single sign-on: %d %s", r.Status, r.Body)
		}
		// No text message: the provider is the second factor.
		if n := len(se.twilio.Messages()); n != 0 {
			t.Fatalf("%d text messages sent", n)
		}
	})

	t.Run("the highest role of the person's groups applies, and follows group changes", func(t *testing.T) {
		for _, step := range []struct {
			groups []string
			want   string
		}{
			{[]string{groupEveryone, groupAdmins, "unrelated"}, "admin"},
			{[]string{groupEveryone}, "viewer"},
			{[]string{groupMarketing, groupEveryone}, "marketer"},
		} {
			se.user(carolEmail, true, step.groups...)
			se.signedOnAs(se.browser().SSO("tenant=acme"), "/t/acme")
			if got := se.roleOf(carolEmail, se.acme); got != step.want {
				t.Fatalf("groups %v: role %q, want %q", step.groups, got, step.want)
			}
		}
		if n := se.count(`SELECT count(*) FROM users WHERE lower(email) = lower(?)`, carolEmail); n != 1 {
			t.Fatalf("%d users for one person", n)
		}
	})

	t.Run("an existing member's role is set by the provider, and the session stays in that tenant", func(t *testing.T) {
		se.user(strings.ToUpper(annEmail[:1])+annEmail[1:], true, groupAdmins)
		b := se.browser()
		email, tenant := se.signedOnAs(b.SSO("tenant=acme"), "/t/acme")
		if email != annEmail || tenant != se.acme {
			t.Fatalf("session of %s in %d", email, tenant)
		}
		if got := se.roleOf(annEmail, se.acme); got != "admin" {
			t.Fatalf("Ann's role %q, want admin", got)
		}
		// Ann is globex's viewer, but acme's provider vouches for acme only.
		if r := b.Get("/t/globex/dashboard"); r.Status != http.StatusNotFound {
			t.Fatalf("another tenant from an SSO session: %d", r.Status)
		}
		if r := b.Get("/t/acme/dashboard"); r.Status != http.StatusOK {
			t.Fatalf("the session's own tenant: %d", r.Status)
		}
		// The account page does not show the provider the phone number.
		if r := b.Get("/account"); r.Status != http.StatusOK || strings.Contains(r.Body, annPhone) || !strings.Contains(r.Body, annPhone[len(annPhone)-4:]) {
			t.Fatalf("account page of an SSO session: %d\n%s", r.Status, r.Body)
		}
		// Signed in with password and code, Ann reaches both.
		pw := se.browser()
		pw.SignIn(annEmail, annPassword, annPhone)
		if r := pw.Get("/t/globex/dashboard"); r.Status != http.StatusOK {
			t.Fatalf("globex after a password sign-in: %d", r.Status)
		}
	})

	t.Run("the session rotates and next is followed", func(t *testing.T) {
		se.user(carolEmail, true, groupMarketing)
		b := se.browser()
		b.SignIn(bobEmail, bobPassword, bobPhone)
		before := b.Cookie(auth.SessionCookie)
		email, _ := se.signedOnAs(b.SSO("tenant=acme&next="+url.QueryEscape("/t/acme/dashboard?x=1")), "/t/acme/dashboard?x=1")
		if email != carolEmail || b.Cookie(auth.SessionCookie) == before {
			t.Fatalf("after single sign-on the browser is %s with cookie %q (was %q)", email, b.Cookie(auth.SessionCookie), before)
		}
		if n := se.count(`SELECT count(*) FROM sessions WHERE token_hash = sha256(convert_to(?, 'UTF8'))`, before); n != 0 {
			t.Fatal("the previous session was not ended")
		}
		// A next page elsewhere is not followed.
		se.signedOnAs(b.SSO("tenant=acme&next="+url.QueryEscape("https://evil.example/")), "/t/acme")
	})

	t.Run("the login page links to single sign-on", func(t *testing.T) {
		r := se.browser().Get("/login?next=%2Ft%2Facme%2Fjourneys")
		if !strings.Contains(r.Body, `href="/login/sso?next=%2ft%2facme%2fjourneys"`) {
			t.Fatalf("no SSO link:\n%s", r.Body)
		}
		form := se.browser().Get("/login/sso")
		mustContain(t, "SSO form", form, `action="/login/sso"`, `name="tenant"`)
	})
}

// ssoFailure is how a failed single sign-on must look.
type ssoFailure struct {
	status int
	text   string
	// reason is the audit log's login.sso_failed reason ("" when not audited).
	reason string
}

func (se *ssoEnv) mustFail(t *testing.T, r response, want ssoFailure) {
	t.Helper()
	if r.Status != want.status || !strings.Contains(r.Body, want.text) {
		t.Fatalf("got %d, want %d with %q:\n%s", r.Status, want.status, want.text, r.Body)
	}
	if ck := r.Cookie(auth.SessionCookie); ck != nil && ck.MaxAge >= 0 {
		t.Fatalf("a failed single sign-on set a session cookie: %+v", ck)
	}
	if want.reason != "" && se.count(`SELECT count(*) FROM audit_log WHERE action = 'login.sso_failed' AND details->>'reason' = ?`, want.reason) == 0 {
		t.Fatalf("no login.sso_failed with reason %s in the audit log", want.reason)
	}
}

func TestSSOFailures(t *testing.T) {
	verified := func(email string, groups ...string) *oidcfake.User {
		return &oidcfake.User{Subject: "sub-" + email, Email: email, EmailVerified: true, Groups: groups}
	}
	tests := []struct {
		name string
		// behave and user, when set, are the provider's behaviour and the person it
		// signs in.
		behave oidcfake.Behaviour
		user   *oidcfake.User
		// act returns the last response; nil goes through a whole single sign-on with
		// acme.
		act  func(se *ssoEnv, b *browser) response
		want ssoFailure
		// redeemed is whether the provider's code may have been redeemed: never for an
		// answer that is not this browser's.
		redeemed bool
	}{
		{name: "state of another sign-in", act: func(se *ssoEnv, b *browser) response {
			back := b.ProviderAnswer("tenant=acme")
			return b.Get(b.Path(strings.Replace(back, "state=", "state=x", 1)))
		}, want: ssoFailure{http.StatusBadRequest, "not started in this browser", auth.ReasonBadState}},
		{name: "answer finished in another browser", act: func(se *ssoEnv, b *browser) response {
			back := b.ProviderAnswer("tenant=acme")
			other := se.browser()
			return other.Get(other.Path(back))
		}, want: ssoFailure{http.StatusBadRequest, "not started in this browser", auth.ReasonBadState}},
		{name: "answer used twice", redeemed: true, act: func(se *ssoEnv, b *browser) response {
			back := b.ProviderAnswer("tenant=acme")
			state, _ := url.Parse(back)
			se.signedOnAs(b.Get(b.Path(back)), "/t/acme")
			b.SetCookie("srg_sso", state.Query().Get("state"), "/login/sso")
			return b.Get(b.Path(back))
		}, want: ssoFailure{http.StatusBadRequest, "already used", auth.ReasonStateGone}},
		{name: "answer after the sign-in expired", act: func(se *ssoEnv, b *browser) response {
			back := b.ProviderAnswer("tenant=acme")
			se.clock.Advance(11 * time.Minute)
			return b.Get(b.Path(back))
		}, want: ssoFailure{http.StatusBadRequest, "took longer than 10 minutes", auth.ReasonStateGone}},
		{name: "provider error response", behave: oidcfake.Behaviour{AuthorizeError: "access_denied", AuthorizeErrorDescription: "The user said no"},
			want: ssoFailure{http.StatusForbidden, "did not sign you in: access_denied (The user said no)", auth.ReasonProviderError}},
		{name: "error response without state", act: func(se *ssoEnv, b *browser) response {
			return b.Get("/login/sso/callback?error=access_denied&error_description=call+0800+123")
		}, want: ssoFailure{http.StatusBadRequest, "not started in this browser", auth.ReasonBadState}},
		{name: "token endpoint refuses the client", redeemed: true, behave: oidcfake.Behaviour{TokenError: "invalid_client", TokenErrorStatus: http.StatusUnauthorized},
			want: ssoFailure{http.StatusBadGateway, "refused to complete the sign-in: invalid_client", auth.ReasonExchangeRefused}},
		{name: "token endpoint fails", redeemed: true, behave: oidcfake.Behaviour{TokenError: "server_error", TokenErrorStatus: http.StatusInternalServerError},
			want: ssoFailure{http.StatusServiceUnavailable, "could not be reached", auth.ReasonUnreachable}},
		{name: "provider unreachable at the answer", act: func(se *ssoEnv, b *browser) response {
			back := b.ProviderAnswer("tenant=acme")
			se.closeIdP()
			return b.Get(b.Path(back))
		}, want: ssoFailure{http.StatusServiceUnavailable, "could not be reached", auth.ReasonUnreachable}},
		{name: "wrong nonce", redeemed: true, behave: oidcfake.Behaviour{Nonce: "a-nonce-of-another-sign-in"},
			want: ssoFailure{http.StatusForbidden, "belongs to another sign-in", auth.ReasonWrongNonce}},
		{name: "wrong audience", redeemed: true, behave: oidcfake.Behaviour{Audience: "another-application"},
			want: ssoFailure{http.StatusForbidden, "issued to another application", auth.ReasonInvalidToken}},
		{name: "wrong issuer", redeemed: true, behave: oidcfake.Behaviour{Issuer: "https://evil.example"},
			want: ssoFailure{http.StatusForbidden, "issued by another provider", auth.ReasonInvalidToken}},
		{name: "signed with another key", redeemed: true, behave: oidcfake.Behaviour{ForeignKey: true},
			want: ssoFailure{http.StatusForbidden, "signature is not the provider", auth.ReasonInvalidToken}},
		{name: "expired token", redeemed: true, behave: oidcfake.Behaviour{TokenTTL: -time.Minute},
			want: ssoFailure{http.StatusForbidden, "ID token has expired", auth.ReasonTokenExpired}},
		{name: "unverified email", redeemed: true, user: &oidcfake.User{Subject: "carol-1", Email: carolEmail, Groups: []string{groupAdmins}},
			want: ssoFailure{http.StatusForbidden, "has not verified your email address carol@acme.example", auth.ReasonEmailUnverified}},
		{name: "email verification not asserted", redeemed: true, behave: oidcfake.Behaviour{OmitEmailVerified: true},
			want: ssoFailure{http.StatusForbidden, "has not verified your email address", auth.ReasonEmailUnverified}},
		{name: "no email", redeemed: true, user: verified("", groupAdmins),
			want: ssoFailure{http.StatusForbidden, "did not give an email address", auth.ReasonNoEmail}},
		{name: "domain not allowed", redeemed: true, user: verified("mallory@evil.example", groupAdmins),
			want: ssoFailure{http.StatusForbidden, "Addresses at evil.example may not sign in", auth.ReasonDomain}},
		{name: "no mapped group", redeemed: true, user: verified(carolEmail, "acme-interns", "everyone-else"),
			want: ssoFailure{http.StatusForbidden, "in no group that has access to this workspace", auth.ReasonNoRole}},
		{name: "groups in another claim", redeemed: true, behave: oidcfake.Behaviour{GroupsClaim: "roles"},
			want: ssoFailure{http.StatusForbidden, "in no group that has access", auth.ReasonNoRole}},
		{name: "answer without a code", act: func(se *ssoEnv, b *browser) response {
			back, _ := url.Parse(b.ProviderAnswer("tenant=acme"))
			return b.Get("/login/sso/callback?state=" + back.Query().Get("state"))
		}, want: ssoFailure{http.StatusBadRequest, "without an authorization code", auth.ReasonNoCode}},
		{name: "workspace without single sign-on", act: func(se *ssoEnv, b *browser) response {
			return b.Get("/login/sso?tenant=globex")
		}, want: ssoFailure{http.StatusNotFound, "This workspace has no single sign-on", ""}},
		{name: "unknown workspace", act: func(se *ssoEnv, b *browser) response {
			return b.Get("/login/sso?tenant=initech")
		}, want: ssoFailure{http.StatusNotFound, "This workspace has no single sign-on", ""}},
		{name: "malformed workspace", act: func(se *ssoEnv, b *browser) response {
			return b.Get("/login/sso?tenant=" + url.QueryEscape("../etc/<b>"))
		}, want: ssoFailure{http.StatusBadRequest, "A workspace name has 2-40 lower-case letters", ""}},
		{name: "empty workspace", act: func(se *ssoEnv, b *browser) response {
			return b.Get("/login/sso?tenant=")
		}, want: ssoFailure{http.StatusBadRequest, "Enter the name of your workspace", ""}},
		{name: "provider unreachable at the start", act: func(se *ssoEnv, b *browser) response {
			dead := httptest.NewServer(http.NotFoundHandler())
			dead.Close()
			declared := []auth.DeclaredSSO{{Tenant: "globex", Secret: "s", Settings: config.SSO{IssuerURL: dead.URL, ClientID: "srg",
				GroupRoles: map[string]string{"all": "viewer"}}}}
			if _, err := se.mod.SSO().ApplyDeclared(context.Background(), declared, map[string]int64{"globex": se.globex}); err != nil {
				se.t.Fatal(err)
			}
			return b.Get("/login/sso?tenant=globex")
		}, want: ssoFailure{http.StatusServiceUnavailable, "could not be reached", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			se := newSSOEnv(t)
			se.idp.Behave(tt.behave)
			if tt.user != nil {
				se.idp.SetUser(*tt.user)
			}
			b := se.browser()
			sessions := se.count(`SELECT count(*) FROM sessions`)
			var r response
			if tt.act == nil {
				r = b.SSO("tenant=acme")
			} else {
				r = tt.act(se, b)
			}
			se.mustFail(t, r, tt.want)
			if r.Status >= 500 && strings.Contains(r.Body, "internal error") {
				t.Fatalf("an internal error page:\n%s", r.Body)
			}
			// Only the "used twice" scenario signed in once before failing.
			if n := se.count(`SELECT count(*) FROM sessions`) - sessions; n > 0 && tt.want.reason != auth.ReasonStateGone {
				t.Fatalf("%d sessions started", n)
			}
			if n := se.idp.Requests(oidcfake.TokenPath); n > 0 && !tt.redeemed {
				t.Fatalf("the provider's code was redeemed %d times", n)
			}
			if strings.Contains(r.Body, "call 0800") {
				t.Fatal("an unauthenticated error description was shown")
			}
		})
	}
}

func TestSSOStartsAreThrottledPerAddress(t *testing.T) {
	se := newSSOEnv(t)
	b := se.browser()
	for i := 0; i < 30; i++ {
		if r := b.Get("/login/sso?tenant=acme"); r.Status != http.StatusSeeOther {
			t.Fatalf("start %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	r := b.Get("/login/sso?tenant=acme")
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, "Too many single sign-ons") {
		t.Fatalf("31st start: %d %s\n%s", r.Status, r.Header.Get("Retry-After"), r.Body)
	}
	other := se.browser()
	other.IP = "203.0.113.9"
	if r := other.Get("/login/sso?tenant=acme"); r.Status != http.StatusSeeOther {
		t.Fatalf("another address: %d", r.Status)
	}
	se.clock.Advance(10*time.Minute + time.Second)
	if r := b.Get("/login/sso?tenant=acme"); r.Status != http.StatusSeeOther {
		t.Fatalf("after the window: %d", r.Status)
	}
}
