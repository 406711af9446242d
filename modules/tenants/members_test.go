package tenants_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/authz"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/tenants"
)

// portal is the tenants module behind the real router and authorizer, on a database
// with acme (one member per role, by role name: owner@acme.test, ...) and globex (its
// owner gowner@, and gviewer@ who belongs to globex only); both@x.test is viewer of
// acme and owner of globex.
type portal struct {
	e     *echo.Echo
	db    *gorm.DB
	users map[string]int64
	ids   map[string]int64 // tenant ids by slug
	who   apptest.Principals
}

func newPortal(t *testing.T) portal {
	t.Helper()
	cfg := apptest.Config(t)
	gdb := apptest.DB(t, cfg)
	admin := func(email, role string) config.Admin {
		return config.Admin{Name: email, Email: email, Phone: "+15555550100", Role: role}
	}
	acme := config.Tenant{Slug: "acme", Name: "Acme", Admins: []config.Admin{admin("both@x.test", "viewer")}}
	for _, role := range config.Roles {
		acme.Admins = append(acme.Admins, admin(role+"@acme.test", role))
	}
	globex := config.Tenant{Slug: "globex", Name: "Globex", Admins: []config.Admin{
		admin("gowner@globex.test", "owner"), admin("gviewer@globex.test", "viewer"), admin("both@x.test", "owner")}}
	svc := tenants.NewService(gdb, &recordingIndices{}, apptest.Logger(t))
	if _, err := svc.Apply(context.Background(), []config.Tenant{acme, globex}); err != nil {
		t.Fatal(err)
	}
	enf := apptest.Enforcer(t, cfg, gdb)
	m := tenants.New(tenants.Deps{DB: gdb, Indices: &recordingIndices{}, Log: apptest.Logger(t), Policy: enf})

	p := portal{e: apptest.Echo(t), db: gdb,
		users: apptest.IDs(t, gdb, `SELECT email, id FROM users`), ids: apptest.IDs(t, gdb, `SELECT slug, id FROM tenants`), who: apptest.Principals{}}
	for email, id := range p.users {
		p.who[strings.Split(email, "@")[0]] = &web.Principal{UserID: id, Email: email}
	}
	p.e.Use(p.who.SignIn)
	web.NewRouter(p.e, authz.NewAuthorizer(enf, m.Service()), m.Service()).Mount(append(m.Routes(), tenants.NewPages(m, nil, tablePasswords{}).Routes()...)...)
	return p
}

// step is one request of a scenario; steps run in order, each seeing the state the
// earlier ones left.
type step struct {
	name, who, method, path, body string
	status                        int
	want                          string
}

func (p portal) run(t *testing.T, steps []step) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			status, body := p.do(s.who, s.method, s.path, s.body)
			if status != s.status || !strings.Contains(body, s.want) {
				t.Fatalf("%s %s as %s: %d %s (want %d with %q)", s.method, s.path, s.who, status, body, s.status, s.want)
			}
		})
	}
}

func (p portal) do(who, method, path, body string) (int, string) {
	return apptest.Request(p.e, who, method, path, body)
}

func TestMembersScenario(t *testing.T) {
	p := newPortal(t)
	u := func(email string) string { return fmt.Sprintf("/api/tenants/acme/members/%d", p.users[email]) }
	const members = "/api/tenants/acme/members"
	p.who["admin-token-as-admin-of-owner"] = &web.Principal{UserID: p.users["owner@acme.test"], TokenID: 9,
		TokenTenantID: p.ids["acme"], TokenRole: "admin"}
	p.run(t, []step{
		{"viewer may not list", "viewer", "GET", members, "", 403, "settings.users"},
		{"analyst may not list", "analyst", "GET", members, "", 403, "settings.users"},
		{"marketer lists", "marketer", "GET", members, "", 200, `"email":"viewer@acme.test"`},
		{"list shows roles", "admin", "GET", members, "", 200, `"email":"owner@acme.test","name":"owner@acme.test","role":"owner"`},
		{"marketer may not add", "marketer", "POST", members, `{"email":"m@acme.test","role":"viewer"}`, 403, ""},
		{"add a new user", "admin", "POST", members, `{"email":"new@acme.test","name":"New","role":"analyst"}`, 201, `"email":"new@acme.test","name":"New","role":"analyst"`},
		{"add twice", "admin", "POST", members, `{"email":"NEW@acme.test","role":"viewer"}`, 409, "already a member"},
		{"add a user of another tenant by email", "admin", "POST", members, `{"email":"gowner@globex.test","role":"viewer"}`, 201, `"role":"viewer"`},
		{"admin cannot grant owner", "admin", "POST", members, `{"email":"x@acme.test","role":"owner"}`, 403, "cannot grant the owner role"},
		{"token bounded below owner cannot grant owner", "admin-token-as-admin-of-owner", "POST", members, `{"email":"x@acme.test","role":"owner"}`, 403, "cannot grant the owner role"},
		{"malformed JSON", "admin", "POST", members, `{"email":`, 400, "the body is not a JSON object"},
		{"unknown field", "admin", "POST", members, `{"mail":"x@acme.test","role":"viewer"}`, 400, "unknown field"},
		{"bad role", "admin", "POST", members, `{"email":"x@acme.test","role":"superuser"}`, 400, `role must be one of owner, admin, marketer, analyst, viewer, got \"superuser\"`},
		{"missing role", "admin", "POST", members, `{"email":"x@acme.test"}`, 400, `"field":"role"`},
		{"bad phone", "admin", "POST", members, `{"email":"p@acme.test","role":"viewer","phone":"0100"}`, 400, `"field":"phone"`},
		{"a new user with a phone", "admin", "POST", members, `{"email":"p@acme.test","role":"viewer","phone":"+15555550160"}`, 201, `"email":"p@acme.test"`},
		{"bad email", "admin", "POST", members, `{"email":"not-an-email","role":"viewer"}`, 400, `"field":"email"`},
		{"email with a display name", "admin", "POST", members, `{"email":"Bob <bob@x.test>","role":"viewer"}`, 400, "is not an email address"},
		{"user id not a number", "admin", "PUT", "/api/tenants/acme/members/abc", `{"role":"viewer"}`, 400, `a user id is a positive whole number, got \"abc\"`},
		{"user id zero", "admin", "PUT", "/api/tenants/acme/members/0", `{"role":"viewer"}`, 400, `"field":"user_id"`},
		{"user id negative on delete", "admin", "DELETE", "/api/tenants/acme/members/-4", "", 400, `"field":"user_id"`},
		{"set a bad role", "admin", "PUT", u("viewer@acme.test"), `{"role":"boss"}`, 400, `"field":"role"`},
		{"set role malformed", "admin", "PUT", u("viewer@acme.test"), `{"role":`, 400, "not a JSON object"},
		{"set role", "admin", "PUT", u("viewer@acme.test"), `{"role":"marketer"}`, 200, `"role":"marketer"`},
		{"the new role holds at once", "viewer", "GET", members, "", 200, `"members"`},
		{"admin cannot demote an owner", "admin", "PUT", u("owner@acme.test"), `{"role":"viewer"}`, 403, "takes that role or a higher one"},
		{"admin cannot remove an owner", "admin", "DELETE", u("owner@acme.test"), "", 403, "takes that role or a higher one"},
		{"foreign user id: set role", "admin", "PUT", u("gviewer@globex.test"), `{"role":"viewer"}`, 404, "no member"},
		{"foreign user id: remove", "owner", "DELETE", u("gviewer@globex.test"), "", 404, "no member"},
		{"unknown user id", "owner", "DELETE", "/api/tenants/acme/members/999999", "", 404, "no member"},
		{"last owner cannot step down", "owner", "PUT", u("owner@acme.test"), `{"role":"admin"}`, 409, "needs an owner"},
		{"last owner cannot leave", "owner", "DELETE", u("owner@acme.test"), "", 409, "needs an owner"},
		{"owner makes an owner", "owner", "PUT", u("admin@acme.test"), `{"role":"owner"}`, 200, `"role":"owner"`},
		{"then may step down", "owner", "PUT", u("owner@acme.test"), `{"role":"admin"}`, 200, `"role":"admin"`},
		{"and no longer grants owner", "owner", "PUT", u("analyst@acme.test"), `{"role":"owner"}`, 403, "cannot grant"},
		{"remove a member", "admin", "DELETE", u("analyst@acme.test"), "", 204, ""},
		{"removed member finds no tenant", "analyst", "GET", members, "", 404, "no tenant"},
		{"removed member has no tenants", "analyst", "GET", "/api/me/tenants", "", 200, `{"tenants":[]}`},
		{"globex's list is globex's", "gowner", "GET", "/api/tenants/globex/members", "", 200, `"gviewer@globex.test"`},
		{"acme's ids stay in acme from globex", "gowner", "DELETE", fmt.Sprintf("/api/tenants/globex/members/%d", p.users["marketer@acme.test"]), "", 404, "no member"},
	})
	status, body := p.do("admin", "GET", members, "")
	if status != 200 || strings.Contains(body, "gviewer@globex.test") || strings.Contains(body, "analyst@acme.test") {
		t.Errorf("acme's members: %d %s", status, body)
	}
	var audited []string
	apptest.System(p.db).Raw(`SELECT action || ' ' || target || ' ' || (details->>'to') FROM audit_log WHERE action = 'member.role_changed' ORDER BY id`).Scan(&audited)
	want := []string{"member.role_changed viewer@acme.test marketer", "member.role_changed admin@acme.test owner", "member.role_changed owner@acme.test admin"}
	if strings.Join(audited, "|") != strings.Join(want, "|") {
		t.Errorf("audited role changes %q, want %q", audited, want)
	}
}

func TestMyTenants(t *testing.T) {
	p := newPortal(t)
	p.who["both-token"] = &web.Principal{UserID: p.users["both@x.test"], TokenID: 3, TokenTenantID: p.ids["globex"], TokenRole: "analyst"}
	p.who["tenant-token"] = &web.Principal{TokenID: 4, TokenTenantID: p.ids["acme"], TokenRole: "marketer"}
	p.run(t, []step{
		{"every tenant with its role", "both", "GET", "/api/me/tenants", "", 200,
			`{"tenants":[{"slug":"acme","name":"Acme","role":"viewer"},{"slug":"globex","name":"Globex","role":"owner"}]}`},
		{"a token sees its tenant only, with the lesser role", "both-token", "GET", "/api/me/tenants", "", 200,
			`{"tenants":[{"slug":"globex","name":"Globex","role":"analyst"}]}`},
		{"a token of no user", "tenant-token", "GET", "/api/me/tenants", "", 200,
			`{"tenants":[{"slug":"acme","name":"Acme","role":"marketer"}]}`},
		{"nobody", "", "GET", "/api/me/tenants", "", 401, "sign in"},
	})
}

func TestAuditLogPages(t *testing.T) {
	p := newPortal(t)
	acme := p.ids["acme"]
	var existing int
	apptest.System(p.db).Raw(`SELECT count(*) FROM audit_log WHERE tenant_id = ?`, acme).Scan(&existing)
	for i := 0; i < 5; i++ {
		apptest.System(p.db).Exec(`INSERT INTO audit_log (tenant_id, actor, action, target) VALUES (?, 'user:1', 'test.page', ?)`, acme, fmt.Sprint(i))
		apptest.System(p.db).Exec(`INSERT INTO audit_log (tenant_id, actor, action, target) VALUES (?, 'user:1', 'test.globex', ?)`, p.ids["globex"], fmt.Sprint(i))
	}
	p.run(t, []step{
		{"marketer may not read it", "marketer", "GET", "/api/tenants/acme/audit", "", 403, "audit"},
		{"limit zero", "owner", "GET", "/api/tenants/acme/audit?limit=0", "", 400, "limit must be a whole number from 1 to 200"},
		{"limit too big", "owner", "GET", "/api/tenants/acme/audit?limit=201", "", 400, `"field":"limit"`},
		{"before not a number", "owner", "GET", "/api/tenants/acme/audit?before=yesterday", "", 400, `"field":"before"`},
		{"first page", "admin", "GET", "/api/tenants/acme/audit?limit=2", "", 200, `"target":"4"`},
	})
	// Page through everything, two at a time: each entry of acme once, newest first,
	// nothing of globex.
	var targets []string
	path := "/api/tenants/acme/audit?limit=2"
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		status, body := p.do("owner", "GET", path, "")
		if status != 200 {
			t.Fatalf("%s: %d %s", path, status, body)
		}
		for _, part := range strings.Split(body, `"target":"`)[1:] {
			targets = append(targets, part[:strings.Index(part, `"`)])
		}
		if strings.Contains(body, "test.globex") {
			t.Fatalf("globex's entries in acme's log: %s", body)
		}
		i := strings.Index(body, `"next_before":`)
		if i < 0 {
			break
		}
		var next int64
		fmt.Sscanf(body[i+len(`"next_before":`):], "%d", &next)
		path = fmt.Sprintf("/api/tenants/acme/audit?limit=2&before=%d", next)
	}
	if len(targets) != existing+5 || strings.Join(targets[:5], ",") != "4,3,2,1,0" {
		t.Fatalf("paged through %v, want the 5 test entries newest first then %d others", targets, existing)
	}
}
