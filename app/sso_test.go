package app_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app"
	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/modules/auth/authtest"
	"github.com/srgplatform/srg/modules/auth/oidcfake"
)

const (
	ssoSecretEnv = "DEMO_OIDC_CLIENT_SECRET"
	ssoSecret    = "demo-client-secret-0123456789"
	ssoClient    = "srg-demo"
)

// ssoConfig is authConfig with the demo tenant's single sign-on declared at a fake
// provider, and the public URL of the listener the platform is to serve on.
func ssoConfig(t *testing.T) (config.Config, net.Listener, *oidcfake.Server) {
	t.Helper()
	cfg, _ := authConfig(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	cfg.Server.PublicURL = "http://" + ln.Addr().String()
	idp := oidcfake.New(oidcfake.Client{ID: ssoClient, Secret: ssoSecret, RedirectURIs: []string{cfg.Server.PublicURL + "/login/sso/callback"}})
	isrv := httptest.NewServer(idp)
	t.Cleanup(isrv.Close)
	idp.SetIssuer(isrv.URL)
	cfg.Tenants[0].SSO = config.SSO{IssuerURL: isrv.URL, ClientID: ssoClient, ClientSecretEnv: ssoSecretEnv,
		AllowedDomains: []string{"demo.example"}, GroupRoles: map[string]string{"demo-marketing": "marketer", "demo-staff": "viewer"}}
	if p := cfg.Validate(); len(p) > 0 {
		t.Fatal(p)
	}
	return cfg, ln, idp
}

// TestSSOThroughThePlatform signs a new person in with the single sign-on the config
// file declares, through the production wiring: settings applied at start, the secret
// from the environment, people provisioned by the tenants module.
func TestSSOThroughThePlatform(t *testing.T) {
	cfg, ln, idp := ssoConfig(t)
	t.Setenv(ssoSecretEnv, ssoSecret)
	p := build(t, cfg)
	srv := httptest.NewUnstartedServer(p.Echo)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := apptest.System(p.DB).Raw(q, args...).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count(`SELECT count(*) FROM tenant_sso s JOIN tenants t ON t.id = s.tenant_id
		WHERE t.slug = 'demo' AND s.source = 'config' AND position(convert_to(?, 'UTF8') in s.client_secret) = 0`, ssoSecret) != 1 {
		t.Fatal("the declared settings are not stored, or their secret is in clear")
	}

	steps := []struct {
		groups []string
		role   string
		audit  string
	}{
		{[]string{"demo-marketing"}, "marketer", "member.added"},
		{[]string{"demo-staff"}, "viewer", "member.role_changed"},
	}
	for _, st := range steps {
		idp.SetUser(oidcfake.User{Subject: "sam-1", Email: "sam@demo.example", EmailVerified: true, Name: "Sam", Groups: st.groups})
		b := authtest.New(t, srv.URL, nil)
		r := b.SSO("tenant=demo")
		if r.Status != http.StatusSeeOther || r.Location() != "/t/demo" || r.Cookie("srg_session") == nil {
			t.Fatalf("single sign-on: %d %s\n%s", r.Status, r.Location(), r.Body)
		}
		if r := b.Get("/login"); r.Status != http.StatusSeeOther || r.Location() != "/" {
			t.Fatalf("sign-in page after single sign-on: %d %s", r.Status, r.Location())
		}
		if n := count(`SELECT count(*) FROM tenant_members m JOIN users u ON u.id = m.user_id WHERE u.email = 'sam@demo.example' AND m.role = ?`, st.role); n != 1 {
			t.Fatalf("groups %v: no %s membership", st.groups, st.role)
		}
		if n := count(`SELECT count(*) FROM audit_log WHERE action = ? AND actor = 'sso' AND target = 'sam@demo.example'`, st.audit); n != 1 {
			t.Fatalf("%d %s entries", n, st.audit)
		}
	}
	if n := count(`SELECT count(*) FROM audit_log a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = 'demo' AND a.action = 'login.sso'`); n != 2 {
		t.Fatalf("%d login.sso entries", n)
	}
}

func TestSSOSecretVariableMustBeSet(t *testing.T) {
	cfg, _, _ := ssoConfig(t)
	t.Setenv(ssoSecretEnv, "")
	want := "tenants[0].sso.client_secret_env: $" + ssoSecretEnv + " is not set"
	if _, err := app.Build(context.Background(), cfg, apptest.Logger(t)); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("build without the secret: %v", err)
	}
	file := writeFile(t, "database:\n  url: postgres://u:p@db:5432/srg\nelasticsearch:\n  url: http://es:9200\ntenants:\n  - slug: demo\n    name: Demo\n    sso:\n"+
		"      issuer_url: https://login.demo.example\n      client_id: srg\n      client_secret_env: "+ssoSecretEnv+"\n      group_roles: {staff: viewer}\n")
	env := []string{"SRG_SECRETS_KEY=" + apptest.NewKey()}
	if code, _, stderr := runCLI(env, "config", "check", "--config", file); code != 1 || !strings.Contains(stderr, want) {
		t.Fatalf("config check without the secret: exit %d\n%s", code, stderr)
	}
	if code, stdout, stderr := runCLI(append(env, ssoSecretEnv+"=s3cret-value"), "config", "check", "--print", "--config", file); code != 0 ||
		!strings.Contains(stdout, "tenants[0].sso.client_secret_env: "+ssoSecretEnv) || strings.Contains(stdout, "s3cret-value") {
		t.Fatalf("config check with the secret: exit %d\n%s%s", code, stdout, stderr)
	}
}
