package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app"
	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/authz"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// accessPlatform is the real platform with tenants acme and globex, each with one
// member per role (owner@acme.test, viewer@globex.test, ...), and a principal for each
// (by email) and for an API token of each role bound to acme ("token:viewer", ...).
type accessPlatform struct {
	*app.Platform
	users   map[string]int64
	tenants map[string]int64
	who     apptest.Principals
}

func newAccessPlatform(t *testing.T) accessPlatform {
	t.Helper()
	cfg := apptest.Config(t)
	for _, slug := range []string{"acme", "globex"} {
		tenant := config.Tenant{Slug: slug, Name: slug}
		for _, role := range config.Roles {
			tenant.Admins = append(tenant.Admins, config.Admin{Name: role, Email: role + "@" + slug + ".test", Phone: "+15555550100", Role: role})
		}
		cfg.Tenants = append(cfg.Tenants, tenant)
	}
	p := build(t, cfg)
	a := accessPlatform{Platform: p, who: apptest.Principals{},
		users: apptest.IDs(t, p.DB, `SELECT email, id FROM users`), tenants: apptest.IDs(t, p.DB, `SELECT slug, id FROM tenants`)}
	for email, id := range a.users {
		a.who[email] = &web.Principal{UserID: id, Email: email}
	}
	for _, role := range config.Roles {
		a.who["token:"+role] = &web.Principal{TokenID: 100, TokenTenantID: a.tenants["acme"], TokenRole: role}
	}
	// Before routing, so the sign-in middleware finds the principal already set.
	a.Echo.Pre(a.who.SignIn)
	return a
}

// tenantRoutes are the non-public routes of a tenant.
func tenantRoutes(t *testing.T, p *app.Platform) []web.RouteInfo {
	var out []web.RouteInfo
	for _, r := range p.Router.Routes() {
		if !r.Perm.Public && r.Perm.Resource != authz.Self {
			out = append(out, r)
		}
	}
	if len(out) < 15 {
		t.Fatalf("only %d tenant routes: is every module mounted?", len(out))
	}
	return out
}

// fill puts values into a route path's parameters: the tenant's slug, and params[name]
// (or "x") for the others.
func fill(path, tenant string, params map[string]string) string {
	parts := strings.Split(path, "/")
	for i, part := range parts {
		if !strings.HasPrefix(part, ":") {
			continue
		}
		name := part[1:]
		switch v, ok := params[name]; {
		case name == "tenant":
			parts[i] = tenant
		case ok:
			parts[i] = v
		default:
			parts[i] = "x"
		}
	}
	return strings.Join(parts, "/")
}

// request sends {"role":"viewer"} as a JSON body (what setting a role takes).
func (a accessPlatform) request(who, method, path string) (int, string) {
	return apptest.Request(a.Echo, who, method, path, `{"role":"viewer"}`)
}

// TestEveryRouteNamesAKnownPermission walks the real router: every route declares a
// permission; a protected one names a resource and action of the matrix, and belongs
// to a tenant (:tenant) unless it is about the signed-in user (Self).
func TestEveryRouteNamesAKnownPermission(t *testing.T) {
	p := build(t, apptest.Config(t))
	for _, r := range p.Router.Routes() {
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			if !r.Declared || r.Perm.IsZero() {
				t.Fatal("no declared permission")
			}
			if r.Perm.Public {
				return
			}
			if r.Perm.Resource != authz.Self && !slices.Contains(authz.Resources, r.Perm.Resource) {
				t.Errorf("resource %q is not in the matrix", r.Perm.Resource)
			}
			if !slices.Contains(authz.Actions, r.Perm.Action) {
				t.Errorf("action %q is not read or write", r.Perm.Action)
			}
			inTenant := strings.Contains(r.Path+"/", "/:tenant/")
			if inTenant == (r.Perm.Resource == authz.Self) {
				t.Errorf("a %s route must %s a :tenant parameter", r.Perm, map[bool]string{true: "not have", false: "have"}[inTenant])
			}
		})
	}
}

// TestEveryRouteFollowsThePolicyFile asks the platform's authorizer about every tenant
// route for a member of each role and an API token of each role, and compares with
// config/rbac_policy.csv. It calls the authorizer, not the handlers, so that allowed
// writes change nothing.
func TestEveryRouteFollowsThePolicyFile(t *testing.T) {
	policy := apptest.ShippedPolicy(t)
	a := newAccessPlatform(t)
	for _, r := range tenantRoutes(t, a.Platform) {
		for _, role := range config.Roles {
			want := policy[authz.Rule{Role: role, Tenant: authz.AnyTenant, Resource: r.Perm.Resource, Action: r.Perm.Action}]
			for _, who := range []string{role + "@acme.test", "token:" + role} {
				t.Run(r.Method+" "+r.Path+" as "+who, func(t *testing.T) {
					req := httptest.NewRequest(r.Method, fill(r.Path, "acme", nil), nil)
					c := a.Echo.NewContext(req, httptest.NewRecorder())
					a.Echo.Router().Find(r.Method, req.URL.Path, c)
					web.SetPrincipal(c, a.who[who])
					err := a.Authorizer.Authorize(c, r.Perm)
					switch {
					case want && err != nil:
						t.Errorf("refused (%v); %s may %s", err, role, r.Perm)
					case !want && errs.KindOf(err) != errs.KindForbidden:
						t.Errorf("got %v, want forbidden: %s may not %s", err, role, r.Perm)
					}
				})
			}
		}
	}
}

// TestNothingOfOneTenantFromAnother requests every route of globex as every member of
// acme and every API token of acme: all 404, as for a tenant that does not exist.
// Then acme's routes that take ids get globex's ids (a member, a connector): 404 too.
func TestNothingOfOneTenantFromAnother(t *testing.T) {
	a := newAccessPlatform(t)
	globex := a.tenants["globex"]
	if err := apptest.System(a.DB).Exec(`INSERT INTO connectors (tenant_id, kind, credentials) VALUES (?, 'hubspot', '\x00')`, globex).Error; err != nil {
		t.Fatal(err)
	}
	// A person and an account of globex, both id 424242, for the journey pages.
	if err := apptest.System(a.DB).Exec(`INSERT INTO accounts (id, tenant_id, domain) VALUES (424242, ?, 'globex.test')`, globex).Error; err != nil {
		t.Fatal(err)
	}
	if err := apptest.System(a.DB).Exec(`INSERT INTO people (id, tenant_id, email, account_id, first_seen_at, last_seen_at) VALUES (424242, ?, 'ann@globex.test', 424242, now(), now())`, globex).Error; err != nil {
		t.Fatal(err)
	}
	foreign := map[string]string{"user_id": fmt.Sprint(a.users["viewer@globex.test"]), "kind": "hubspot", "id": "424242"}
	for _, r := range tenantRoutes(t, a.Platform) {
		for who := range a.who {
			if strings.HasSuffix(who, "@globex.test") {
				continue
			}
			path := fill(r.Path, "globex", foreign)
			t.Run(r.Method+" "+path+" as "+who, func(t *testing.T) {
				if status, body := a.request(who, r.Method, path); status != http.StatusNotFound || !strings.Contains(body, `no tenant \"globex\"`) {
					t.Fatalf("got %d %s, want 404", status, body)
				}
			})
		}
	}

	byID := []struct{ method, route string }{
		{"PUT", "/api/tenants/:tenant/members/:user_id"},
		{"DELETE", "/api/tenants/:tenant/members/:user_id"},
		{"GET", "/api/tenants/:tenant/connectors/:kind/runs"},
		{"POST", "/api/tenants/:tenant/connectors/:kind/sync"},
		{"DELETE", "/api/tenants/:tenant/connectors/:kind"},
		{"GET", "/t/:tenant/settings/connectors/:kind"},
		{"POST", "/t/:tenant/settings/connectors/:kind/check"},
		{"POST", "/t/:tenant/settings/connectors/:kind/sync"},
		{"POST", "/t/:tenant/settings/connectors/:kind/disconnect"},
		{"GET", "/t/:tenant/journeys/person/:id"},
		{"GET", "/t/:tenant/journeys/account/:id"},
	}
	for _, r := range byID {
		for _, role := range config.Roles {
			who := role + "@acme.test"
			path := fill(r.route, "acme", foreign)
			t.Run(r.method+" "+path+" as "+who, func(t *testing.T) {
				status, body := a.request(who, r.method, path)
				if status != http.StatusNotFound && status != http.StatusForbidden {
					t.Fatalf("got %d %s, want 404 (or 403 for a role without the permission)", status, body)
				}
				// The answer is the one for an id that exists nowhere.
				nowhere := fill(r.route, "acme", map[string]string{"user_id": "987654321", "kind": "salesforce", "id": "987654321"})
				if other, _ := a.request(who, r.method, nowhere); other != status {
					t.Fatalf("globex's id answers %d, an unknown id %d", status, other)
				}
			})
		}
	}
	if status, body := a.request("owner@acme.test", "GET", "/api/tenants/acme/connectors"); status != 200 || !strings.Contains(body, `"connectors":[]`) {
		t.Errorf("acme's connectors: %d %s", status, body)
	}
	var kept int
	apptest.System(a.DB).Raw(`SELECT count(*) FROM tenant_members WHERE tenant_id = ?`, globex).Scan(&kept)
	if kept != len(config.Roles) {
		t.Errorf("globex has %d members left, want %d", kept, len(config.Roles))
	}
}

// TestNobodySignedIn: every protected route of the API answers 401 with a JSON body,
// and every page a redirect to the login page that comes back to it (a GET).
func TestNobodySignedIn(t *testing.T) {
	a := newAccessPlatform(t)
	for _, r := range a.Router.Routes() {
		if r.Perm.Public {
			continue
		}
		path := fill(r.Path, "acme", nil)
		t.Run(r.Method+" "+path, func(t *testing.T) {
			if !strings.HasPrefix(path, "/api/") {
				rec := apptest.Do(a.Echo, r.Method, path, nil)
				want := "/login" // a form post cannot be resumed after signing in
				if r.Method == http.MethodGet {
					want += "?next=" + url.QueryEscape(path)
				}
				if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || loc != want {
					t.Fatalf("got %d to %q, want a redirect to the login page", rec.Code, loc)
				}
				return
			}
			if status, body := a.request("", r.Method, path); status != http.StatusUnauthorized || !strings.Contains(body, `"error":"sign in`) {
				t.Fatalf("got %d %s, want 401", status, body)
			}
		})
	}
}
