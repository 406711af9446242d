package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/modules/auth"
)

// ssoAPI sends a request to a tenant's SSO settings as the signed-in browser b.
func ssoAPI(b *browser, method, tenant string, body any) response {
	b.T.Helper()
	var raw string
	switch v := body.(type) {
	case nil:
	case string:
		raw = v
	default:
		raw = mustJSON(b.T, v)
	}
	return b.Do(method, "/api/tenants/"+tenant+"/sso", strings.NewReader(raw),
		map[string]string{"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": b.CSRF})
}

func TestSSOSettingsAPI(t *testing.T) {
	se := newProviderEnv(t)
	ann := se.browser()
	ann.SignIn(annEmail, annPassword, annPhone)
	ann.Get("/account")

	if r := ssoAPI(ann, http.MethodGet, "acme", nil); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "no single sign-on") {
		t.Fatalf("settings before any: %d %s", r.Status, r.Body)
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	with := func(change func(*auth.SSOInput)) auth.SSOInput {
		in := se.input()
		change(&in)
		return in
	}
	malformed := []struct {
		name  string
		body  any
		field string
		want  string
	}{
		{"issuer not a URL", with(func(in *auth.SSOInput) { in.IssuerURL = "login.acme.example" }), "issuer_url", `\"login.acme.example\" is not an absolute URL`},
		{"issuer over plain http", with(func(in *auth.SSOInput) { in.IssuerURL = "http://login.acme.example" }), "issuer_url", "must use https"},
		{"unknown role", with(func(in *auth.SSOInput) { in.GroupRoles = map[string]string{"x": "superuser"} }), `group_roles[\"x\"]`, `role \"superuser\" must be one of`},
		{"no groups", with(func(in *auth.SSOInput) { in.GroupRoles = nil }), "group_roles", "required"},
		{"every problem at once", with(func(in *auth.SSOInput) { in.ClientID, in.AllowedDomains = "", []string{"*.acme.example"} }), "client_id",
			`client_id: required: SRG's client id at the identity provider; allowed_domains[0]: \"*.acme.example\" is not a lower-case email domain`},
		{"no secret for new settings", with(func(in *auth.SSOInput) { in.ClientSecret = "" }), "client_secret", "required"},
		{"secret with a control character", with(func(in *auth.SSOInput) { in.ClientSecret = "a\nb" }), "client_secret", "control characters"},
		{"issuer unreachable", with(func(in *auth.SSOInput) { in.IssuerURL = dead.URL }), "issuer_url", "could not be reached"},
		{"issuer without discovery", with(func(in *auth.SSOInput) { in.IssuerURL = se.idpURL + "/realms/none" }), "issuer_url", "answered HTTP 404"},
		{"issuer spelt differently", with(func(in *auth.SSOInput) { in.IssuerURL = se.idpURL + "/" }), "issuer_url", "calls itself"},
		{"unknown key", `{"issuer_url":"https://x.example","client_secret_env":"X"}`, "", `unknown field \"client_secret_env\"`},
		{"not json", `issuer_url=x`, "", "the body is not single sign-on settings"},
	}
	for _, tt := range malformed {
		t.Run(tt.name, func(t *testing.T) {
			r := ssoAPI(ann, http.MethodPut, "acme", tt.body)
			if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, tt.want) || (tt.field != "" && !strings.Contains(r.Body, `"field":"`+tt.field+`"`)) {
				t.Fatalf("got %d %s, want 400 naming %s with %q", r.Status, r.Body, tt.field, tt.want)
			}
		})
	}
	if n := se.count(`SELECT count(*) FROM tenant_sso`); n != 0 {
		t.Fatalf("malformed settings stored: %d rows", n)
	}

	r := ssoAPI(ann, http.MethodPut, "acme", se.input())
	var got auth.SSOSettings
	if r.Status != http.StatusOK || json.Unmarshal([]byte(r.Body), &got) != nil {
		t.Fatalf("put: %d %s", r.Status, r.Body)
	}
	if got.IssuerURL != se.idpURL || !got.ClientSecretSet || got.Source != "api" || got.GroupsClaim != "groups" ||
		got.RedirectURL != se.url+"/login/sso/callback" || got.GroupRoles[groupAdmins] != "admin" {
		t.Fatalf("settings %+v", got)
	}
	if r := ssoAPI(ann, http.MethodGet, "acme", nil); r.Status != http.StatusOK || !strings.Contains(r.Body, `"client_id":"srg-acme"`) {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	secretShown := se.count(`SELECT count(*) FROM tenant_sso WHERE position(convert_to(?, 'UTF8') in client_secret) > 0`, ssoClientSecret) +
		se.count(`SELECT count(*) FROM audit_log WHERE details::text LIKE '%' || ? || '%'`, ssoClientSecret)
	if secretShown != 0 || strings.Contains(r.Body, ssoClientSecret) || strings.Contains(se.logs.String(), ssoClientSecret) {
		t.Fatal("the client secret is stored, audited, logged or shown in clear")
	}
	if se.count(`SELECT count(*) FROM audit_log WHERE action = 'sso.configured' AND actor = ?`, "user:"+strconv.FormatInt(se.users[annEmail], 10)) != 1 {
		t.Fatal("the change is not audited")
	}
	carol := se.browser()
	se.signedOnAs(carol.SSO("tenant=acme"), "/t/acme")

	t.Run("an empty secret keeps the stored one, another replaces it", func(t *testing.T) {
		keep := with(func(in *auth.SSOInput) { in.ClientSecret = ""; in.AllowedDomains = nil })
		if r := ssoAPI(ann, http.MethodPut, "acme", keep); r.Status != http.StatusOK {
			t.Fatalf("put without secret: %d %s", r.Status, r.Body)
		}
		se.signedOnAs(se.browser().SSO("tenant=acme"), "/t/acme")
		if r := ssoAPI(ann, http.MethodPut, "acme", with(func(in *auth.SSOInput) { in.ClientSecret = "wrong-secret" })); r.Status != http.StatusOK {
			t.Fatalf("put with another secret: %d %s", r.Status, r.Body)
		}
		se.mustFail(t, se.browser().SSO("tenant=acme"), ssoFailure{http.StatusBadGateway, "invalid_client", auth.ReasonExchangeRefused})
		if r := ssoAPI(ann, http.MethodPut, "acme", se.input()); r.Status != http.StatusOK {
			t.Fatalf("put: %d %s", r.Status, r.Body)
		}
	})

	t.Run("nobody grants a role above their own", func(t *testing.T) {
		if err := apptest.System(se.db).Exec(`UPDATE tenant_members SET role = 'admin' WHERE user_id = ?`, se.users[bobEmail]).Error; err != nil {
			t.Fatal(err)
		}
		bob := se.browser()
		bob.SignIn(bobEmail, bobPassword, bobPhone)
		bob.Get("/account")
		owners := with(func(in *auth.SSOInput) { in.GroupRoles = map[string]string{groupAdmins: "owner"} })
		if r := ssoAPI(bob, http.MethodPut, "acme", owners); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "your role (admin) cannot grant the owner role") {
			t.Fatalf("admin maps a group to owner: %d %s", r.Status, r.Body)
		}
		if r := ssoAPI(ann, http.MethodPut, "acme", owners); r.Status != http.StatusOK {
			t.Fatalf("owner maps a group to owner: %d %s", r.Status, r.Body)
		}
		for _, method := range []string{http.MethodPut, http.MethodDelete} {
			if r := ssoAPI(bob, method, "acme", se.input()); r.Status != http.StatusForbidden {
				t.Fatalf("admin %s of settings that grant owner: %d %s", method, r.Status, r.Body)
			}
		}
		token := createToken(t, ann, "acme", "sso robot", "admin")
		r := ann.Do(http.MethodPut, "/api/tenants/acme/sso", strings.NewReader(mustJSON(t, owners)),
			map[string]string{"Authorization": "Bearer " + token.Secret, "Content-Type": "application/json", "Accept": "application/json"})
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "(admin)") {
			t.Fatalf("an owner's admin token maps a group to owner: %d %s", r.Status, r.Body)
		}
		if r := ssoAPI(ann, http.MethodPut, "acme", se.input()); r.Status != http.StatusOK {
			t.Fatalf("put: %d %s", r.Status, r.Body)
		}
		if r := ssoAPI(bob, http.MethodPut, "acme", se.input()); r.Status != http.StatusOK {
			t.Fatalf("admin changes settings without owner: %d %s", r.Status, r.Body)
		}
	})

	t.Run("delete ends the tenant's SSO sessions", func(t *testing.T) {
		if r := ssoAPI(ann, http.MethodDelete, "acme", nil); r.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		if r := carol.Get("/t/acme/dashboard"); r.Status != http.StatusSeeOther {
			t.Fatalf("an SSO session after its settings were removed: %d", r.Status)
		}
		if r := ann.Get("/t/acme/dashboard"); r.Status != http.StatusOK {
			t.Fatalf("a password session after SSO was removed: %d", r.Status)
		}
		if r := ssoAPI(ann, http.MethodDelete, "acme", nil); r.Status != http.StatusNotFound {
			t.Fatalf("delete again: %d %s", r.Status, r.Body)
		}
		se.mustFail(t, se.browser().Get("/login/sso?tenant=acme"), ssoFailure{http.StatusNotFound, "no single sign-on", ""})
		if se.count(`SELECT count(*) FROM audit_log WHERE action = 'sso.removed' AND (details->>'sessions_ended')::int >= 1`) != 1 {
			t.Fatal("the removal is not audited with the sessions it ended")
		}
	})

	t.Run("settings declared in the config file change only there", func(t *testing.T) {
		decl := []auth.DeclaredSSO{{Tenant: "acme", Secret: ssoClientSecret, Settings: config.SSO{IssuerURL: se.idpURL, ClientID: ssoClientID,
			GroupRoles: acmeGroupRoles}}}
		if _, err := se.mod.SSO().ApplyDeclared(context.Background(), decl, map[string]int64{"acme": se.acme}); err != nil {
			t.Fatal(err)
		}
		if r := ssoAPI(ann, http.MethodGet, "acme", nil); r.Status != http.StatusOK || !strings.Contains(r.Body, `"source":"config"`) {
			t.Fatalf("get: %d %s", r.Status, r.Body)
		}
		for _, method := range []string{http.MethodPut, http.MethodDelete} {
			if r := ssoAPI(ann, method, "acme", se.input()); r.Status != http.StatusConflict || !strings.Contains(r.Body, "declared in the config file") {
				t.Fatalf("%s of declared settings: %d %s", method, r.Status, r.Body)
			}
		}
	})
}

func TestSSODeclarations(t *testing.T) {
	se := newProviderEnv(t)
	ctx := context.Background()
	ids := map[string]int64{"acme": se.acme, "globex": se.globex}
	declared := func(secret string, domains ...string) []auth.DeclaredSSO {
		return []auth.DeclaredSSO{{Tenant: "acme", Secret: secret, Settings: config.SSO{IssuerURL: se.idpURL, ClientID: ssoClientID,
			AllowedDomains: domains, GroupRoles: acmeGroupRoles}}}
	}
	// globex's settings were made through the API; a declaration takes them over.
	if _, err := se.mod.SSO().Set(ctx, se.globex, "owner", se.input(), "test", auth.Client{}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		decl    []auth.DeclaredSSO
		changed int
		check   func(t *testing.T)
	}{
		{"first start", declared(ssoClientSecret), 1, func(t *testing.T) {
			se.signedOnAs(se.browser().SSO("tenant=acme"), "/t/acme")
		}},
		{"same declarations", declared(ssoClientSecret), 0, nil},
		{"another domain", declared(ssoClientSecret, "acme.example"), 1, nil},
		{"another secret", declared("rotated-secret", "acme.example"), 1, func(t *testing.T) {
			se.mustFail(t, se.browser().SSO("tenant=acme"), ssoFailure{http.StatusBadGateway, "invalid_client", auth.ReasonExchangeRefused})
		}},
		{"globex declared too", append(declared(ssoClientSecret, "acme.example"), auth.DeclaredSSO{Tenant: "globex", Secret: ssoClientSecret,
			Settings: config.SSO{IssuerURL: se.idpURL, ClientID: ssoClientID, GroupRoles: map[string]string{groupEveryone: "viewer"}}}), 2, func(t *testing.T) {
			if n := se.count(`SELECT count(*) FROM tenant_sso WHERE source = 'config'`); n != 2 {
				t.Fatalf("%d declared settings", n)
			}
		}},
		{"declarations removed", nil, 2, func(t *testing.T) {
			if n := se.count(`SELECT count(*) FROM tenant_sso`); n != 0 {
				t.Fatalf("%d settings left", n)
			}
			if n := se.count(`SELECT count(*) FROM sessions WHERE sso_tenant_id IS NOT NULL`); n != 0 {
				t.Fatalf("%d SSO sessions left", n)
			}
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			changed, err := se.mod.SSO().ApplyDeclared(ctx, st.decl, ids)
			if err != nil {
				t.Fatal(err)
			}
			if changed != st.changed {
				t.Fatalf("changed %d, want %d", changed, st.changed)
			}
			if st.check != nil {
				st.check(t)
			}
		})
	}
	if _, err := se.mod.SSO().ApplyDeclared(ctx, declared("s"), map[string]int64{}); err == nil || !strings.Contains(err.Error(), `"acme": no such tenant`) {
		t.Fatalf("a declaration of an unknown tenant: %v", err)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
