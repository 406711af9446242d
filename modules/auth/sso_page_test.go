package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/modules/auth"
)

const ssoPage = "/t/acme/settings/sso"

// ssoForm is the settings form as a browser sends it: acme's settings at the fake
// provider, with one blank mapping row; change edits it.
func (se *ssoEnv) ssoForm(change func(url.Values)) url.Values {
	f := url.Values{"issuer_url": {se.idpURL}, "client_id": {ssoClientID}, "client_secret": {ssoClientSecret},
		"allowed_domains": {"acme.example, acme-labs.example"}, "groups_claim": {"groups"},
		"group": {groupAdmins, groupMarketing, groupEveryone, ""}, "role": {"admin", "marketer", "viewer", ""}}
	if change != nil {
		change(f)
	}
	return f
}

func TestSSOSettingsPage(t *testing.T) {
	se := newProviderEnv(t)
	ann := se.browser()
	ann.SignIn(annEmail, annPassword, annPhone)
	mustContain(t, "page while off", ann.Get(ssoPage), "<strong>Off.</strong>", "Turn single sign-on on", `action="/t/acme/settings/sso"`,
		se.url+"/login/sso/callback")

	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	malformed := []struct {
		name   string
		change func(url.Values)
		want   []string
	}{
		{"issuer not a URL", func(f url.Values) { f.Set("issuer_url", "login.acme.example") },
			[]string{"is not an absolute URL", `id="issuer_url" name="issuer_url" type="url" required value="login.acme.example" placeholder="https://login.acme.example" aria-invalid="true"`}},
		{"issuer unreachable", func(f url.Values) { f.Set("issuer_url", dead.URL) }, []string{"could not be reached"}},
		{"no client id", func(f url.Values) { f.Set("client_id", " ") }, []string{"client_id: required"}},
		{"no secret for new settings", func(f url.Values) { f.Del("client_secret") }, []string{"client_secret: required"}},
		{"bad domain", func(f url.Values) { f.Set("allowed_domains", "acme.example, *.acme.example") }, []string{`&#34;*.acme.example&#34; is not a lower-case email domain`}},
		{"unknown role", func(f url.Values) { f["role"][0] = "superuser" }, []string{`role &#34;superuser&#34; must be one of`}},
		{"group without a role", func(f url.Values) { f["role"][0] = "" }, []string{"choose the role that group &#34;acme-admins&#34; gives"}},
		{"role without a group", func(f url.Values) { f["role"][3] = "viewer" }, []string{"row 4 of the mapping has the role viewer but no group"}},
		{"group mapped twice", func(f url.Values) { f["group"][1] = groupAdmins }, []string{"group &#34;acme-admins&#34; is mapped twice"}},
		{"no group at all", func(f url.Values) { f["group"], f["role"] = []string{""}, []string{""} }, []string{"group_roles: required"}},
		{"groups and roles out of step", func(f url.Values) { f["role"] = f["role"][:2] }, []string{"the form sent 4 groups and 2 roles"}},
	}
	for _, tt := range malformed {
		t.Run(tt.name, func(t *testing.T) {
			ann.Get(ssoPage)
			r := ann.Post(ssoPage, se.ssoForm(tt.change))
			if r.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%s", r.Status, r.Body)
			}
			mustContain(t, tt.name, r, append(tt.want, `role="alert"`)...)
		})
	}
	if n := se.count(`SELECT count(*) FROM tenant_sso`); n != 0 {
		t.Fatalf("malformed settings stored: %d rows", n)
	}

	ann.Get(ssoPage)
	if r := ann.Post(ssoPage, se.ssoForm(nil)); r.Status != http.StatusSeeOther || r.Location() != ssoPage+"?done=saved" {
		t.Fatalf("save: %d %s\n%s", r.Status, r.Location(), r.Body)
	}
	r := ann.Get(ssoPage + "?done=saved")
	mustContain(t, "saved", r, "Single sign-on saved.", "<strong>On.</strong>", "<code>"+ssoClientID+"</code>", "set (never shown)",
		"acme.example, acme-labs.example", "<code>acme-admins</code> → admin", "set in SRG (this page or the API)", "Turn off",
		`name="group" value="acme-admins"`, "Leave empty to keep the stored secret.")
	if strings.Contains(r.Body, ssoClientSecret) {
		t.Fatal("the page shows the client secret")
	}
	if n := se.count(`SELECT count(*) FROM audit_log WHERE action = 'sso.configured' AND details->>'client_id' = ?`, ssoClientID); n != 1 {
		t.Fatalf("saving audited %d times", n)
	}
	se.signedOnAs(se.browser().SSO("tenant=acme"), "/t/acme")

	t.Run("an empty secret keeps the stored one", func(t *testing.T) {
		ann.Get(ssoPage)
		keep := se.ssoForm(func(f url.Values) { f.Set("client_secret", ""); f.Set("allowed_domains", "") })
		if r := ann.Post(ssoPage, keep); r.Status != http.StatusSeeOther {
			t.Fatalf("save without a secret: %d\n%s", r.Status, r.Body)
		}
		mustContain(t, "any domain", ann.Get(ssoPage), "<dt>Allowed email domains</dt><dd>any</dd>")
		se.signedOnAs(se.browser().SSO("tenant=acme"), "/t/acme")
	})

	t.Run("nobody grants a role above their own", func(t *testing.T) {
		if err := apptest.System(se.db).Exec(`UPDATE tenant_members SET role = 'admin' WHERE user_id = ?`, se.users[bobEmail]).Error; err != nil {
			t.Fatal(err)
		}
		bob := se.browser()
		bob.SignIn(bobEmail, bobPassword, bobPhone)
		bob.Get(ssoPage)
		owners := func() url.Values { return se.ssoForm(func(f url.Values) { f["role"][0] = "owner" }) }
		r := bob.Post(ssoPage, owners())
		if r.Status != http.StatusForbidden {
			t.Fatalf("admin maps a group to owner: %d\n%s", r.Status, r.Body)
		}
		mustContain(t, "ceiling", r, "your role (admin) cannot grant the owner role", `<option value="owner" selected>owner</option>`)
		ann.Get(ssoPage)
		if r := ann.Post(ssoPage, owners()); r.Status != http.StatusSeeOther {
			t.Fatalf("owner maps a group to owner: %d\n%s", r.Status, r.Body)
		}
		bob.Get(ssoPage)
		if r := bob.Post(ssoPage+"/delete", nil); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "cannot grant the owner role") {
			t.Fatalf("admin turns off settings that grant owner: %d\n%s", r.Status, r.Body)
		}
	})

	t.Run("turned off", func(t *testing.T) {
		ann.Get(ssoPage)
		if r := ann.Post(ssoPage+"/delete", nil); r.Status != http.StatusSeeOther || r.Location() != ssoPage+"?done=removed" {
			t.Fatalf("turn off: %d %s\n%s", r.Status, r.Location(), r.Body)
		}
		mustContain(t, "off", ann.Get(ssoPage+"?done=removed"), "Single sign-on turned off", "<strong>Off.</strong>")
		if r := ann.Post(ssoPage+"/delete", nil); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "no single sign-on") {
			t.Fatalf("turn off again: %d\n%s", r.Status, r.Body)
		}
		if n := se.count(`SELECT count(*) FROM audit_log WHERE action = 'sso.removed'`); n != 1 {
			t.Fatalf("turning off audited %d times", n)
		}
	})

	t.Run("declared in the config file: read-only", func(t *testing.T) {
		decl := []auth.DeclaredSSO{{Tenant: "acme", Secret: ssoClientSecret, Settings: config.SSO{IssuerURL: se.idpURL, ClientID: ssoClientID,
			GroupRoles: acmeGroupRoles}}}
		if _, err := se.mod.SSO().ApplyDeclared(context.Background(), decl, map[string]int64{"acme": se.acme}); err != nil {
			t.Fatal(err)
		}
		r := ann.Get(ssoPage)
		mustContain(t, "declared", r, "<strong>On.</strong>", "declared in the config file under <code>tenants[].sso</code>, so they are read-only here")
		if strings.Contains(r.Body, `action="/t/acme/settings/sso"`) || strings.Contains(r.Body, "Turn off") {
			t.Fatal("the page offers to change declared settings")
		}
		for _, path := range []string{ssoPage, ssoPage + "/delete"} {
			if r := ann.Post(path, se.ssoForm(nil)); r.Status != http.StatusConflict || !strings.Contains(r.Body, "declared in the config file") {
				t.Fatalf("POST %s of declared settings: %d\n%s", path, r.Status, r.Body)
			}
		}
	})
}
