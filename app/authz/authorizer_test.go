package authz_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/authz"
	"github.com/srgplatform/srg/app/web"
)

func TestAuthorizer(t *testing.T) {
	w := newWorld(t)
	stranger := w.insert(t, `INSERT INTO users (email) VALUES ('stranger@x.test') RETURNING id`)
	e := echo.New()
	e.HTTPErrorHandler = web.ErrorHandler(apptest.Logger(t))
	ps := apptest.Principals{
		"owner":    {UserID: w.users["owner@acme.test"]},
		"viewer":   {UserID: w.users["viewer@acme.test"]},
		"both":     {UserID: w.users["both@x.test"]},
		"stranger": {UserID: stranger},
		// API tokens: of acme's owner with the viewer role, of acme's viewer with the
		// owner role, of nobody with the analyst role, with a role that does not exist,
		// and of a user who is not (or no longer) a member.
		"owner-token-as-viewer": {UserID: w.users["owner@acme.test"], TokenID: 1, TokenTenantID: w.tenants["acme"], TokenRole: "viewer"},
		"viewer-token-as-owner": {UserID: w.users["viewer@acme.test"], TokenID: 2, TokenTenantID: w.tenants["acme"], TokenRole: "owner"},
		"analyst-token":         {TokenID: 3, TokenTenantID: w.tenants["acme"], TokenRole: "analyst"},
		"bad-role-token":        {TokenID: 4, TokenTenantID: w.tenants["acme"], TokenRole: "root"},
		"stranger-token":        {UserID: stranger, TokenID: 5, TokenTenantID: w.tenants["acme"], TokenRole: "owner"},
		"stranger-viewer-token": {UserID: stranger, TokenID: 7, TokenTenantID: w.tenants["acme"], TokenRole: "viewer"},
		"empty":                 {},
		// A token of a user who owns globex too, made for acme.
		"both-token-for-acme": {UserID: w.users["both@x.test"], TokenID: 6, TokenTenantID: w.tenants["acme"], TokenRole: "owner"},
	}
	e.Use(ps.SignIn)
	ok := func(c echo.Context) error { return c.String(http.StatusOK, "ok as "+c.Get(authz.ActorKey).(string)) }
	web.NewRouter(e, authz.NewAuthorizer(w.enforcer(t), w), w).Mount(
		web.Route{Method: http.MethodGet, Path: "/api/tenants/:tenant/dashboards", Perm: web.Perm("dashboards", "read"), Handler: ok},
		web.Route{Method: http.MethodPost, Path: "/api/tenants/:tenant/members", Perm: web.Perm("settings.users", "write"), Handler: ok},
		web.Route{Method: http.MethodGet, Path: "/api/tenants/:tenant/audit", Perm: web.Perm("audit", "read"), Handler: ok},
		web.Route{Method: http.MethodGet, Path: "/api/me", Perm: web.Perm(authz.Self, "read"), Handler: ok},
		web.Route{Method: http.MethodGet, Path: "/api/everything", Perm: web.Perm("dashboards", "read"), Handler: ok},
		web.Route{Method: http.MethodGet, Path: "/t/:tenant/dashboard", Perm: web.Perm("dashboards", "read"), Handler: ok},
	)
	srv := httptest.NewServer(e)
	defer srv.Close()

	tests := []struct {
		name, who, method, path string
		status                  int
		body, location          string
	}{
		{"nobody on the API", "", "GET", "/api/tenants/acme/dashboards", 401, `{"error":"sign in, or send an API token"}`, ""},
		{"nobody on a page", "", "GET", "/t/acme/dashboard?from=2024", 303, "", "/login?next=%2Ft%2Facme%2Fdashboard%3Ffrom%3D2024"},
		{"nobody on self", "", "GET", "/api/me", 401, "sign in", ""},
		{"self", "stranger", "GET", "/api/me", 200, "ok as user:", ""},
		{"self by token", "analyst-token", "GET", "/api/me", 200, "ok as api-token:3", ""},
		{"route outside tenants", "owner", "GET", "/api/everything", 403, "not part of a tenant", ""},
		{"member reads", "viewer", "GET", "/api/tenants/acme/dashboards", 200, "ok as user:", ""},
		{"member lacks the permission", "viewer", "POST", "/api/tenants/acme/members", 403, "your role does not allow write on settings.users", ""},
		{"owner writes", "owner", "POST", "/api/tenants/acme/members", 200, "ok", ""},
		{"unknown tenant", "owner", "GET", "/api/tenants/nope/dashboards", 404, `no tenant \"nope\"`, ""},
		{"other tenant is not found either", "owner", "GET", "/api/tenants/globex/dashboards", 404, `no tenant \"globex\"`, ""},
		{"other tenant's audit, not forbidden but not found", "viewer", "GET", "/api/tenants/globex/audit", 404, "no tenant", ""},
		{"role per tenant: owner of globex", "both", "GET", "/api/tenants/globex/audit", 200, "ok", ""},
		{"role per tenant: viewer of acme", "both", "GET", "/api/tenants/acme/audit", 403, "", ""},
		{"stranger", "stranger", "GET", "/api/tenants/acme/dashboards", 404, "no tenant", ""},
		{"token bounded by its role", "owner-token-as-viewer", "POST", "/api/tenants/acme/members", 403, "", ""},
		{"token within its role", "owner-token-as-viewer", "GET", "/api/tenants/acme/dashboards", 200, "ok as api-token:1", ""},
		{"token bounded by its user's role", "viewer-token-as-owner", "POST", "/api/tenants/acme/members", 403, "", ""},
		{"token of another tenant", "owner-token-as-viewer", "GET", "/api/tenants/globex/dashboards", 404, "no tenant", ""},
		{"token used in its user's other tenant", "both-token-for-acme", "GET", "/api/tenants/globex/audit", 404, "no tenant", ""},
		{"token of nobody", "analyst-token", "GET", "/api/tenants/acme/dashboards", 200, "ok", ""},
		{"token of nobody lacks the permission", "analyst-token", "GET", "/api/tenants/acme/audit", 403, "", ""},
		{"token with an unknown role", "bad-role-token", "GET", "/api/tenants/acme/dashboards", 403, "", ""},
		{"token of a user no longer a member", "stranger-token", "GET", "/api/tenants/acme/dashboards", 404, "no tenant", ""},
		{"token of a user no longer a member, beyond its role", "stranger-viewer-token", "GET", "/api/tenants/acme/audit", 404, "no tenant", ""},
		{"principal of nobody", "empty", "GET", "/api/tenants/acme/dashboards", 404, "no tenant", ""},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			req.Header.Set(apptest.PrincipalHeader, tt.who)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.body) {
				t.Fatalf("got %d %s, want %d with %q", resp.StatusCode, b, tt.status, tt.body)
			}
			if got := resp.Header.Get("Location"); got != tt.location {
				t.Errorf("Location %q, want %q", got, tt.location)
			}
			if resp.StatusCode == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}
