package tenants_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/tenants"
)

// pageStep is one browser request of a pages scenario, as who.
type pageStep struct {
	who string
	apptest.Scenario
}

func (p portal) runPages(t *testing.T, steps []pageStep) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.Name, func(t *testing.T) {
			rec := apptest.DoAs(p.e, s.who, s.Method, s.Path, s.Form)
			body := rec.Body.String()
			if rec.Code != s.Status {
				t.Fatalf("%s %s as %s: %d, want %d\n%s", s.Method, s.Path, s.who, rec.Code, s.Status, body)
			}
			for _, w := range s.Want {
				if !strings.Contains(body, w) {
					t.Errorf("%s %s as %s: lacks %q\n%s", s.Method, s.Path, s.who, w, body)
				}
			}
		})
	}
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func TestUsersPage(t *testing.T) {
	p := newPortal(t)
	var empty int64
	apptest.System(p.db).Raw(`INSERT INTO tenants (slug, name) VALUES ('empty', 'Empty') RETURNING id`).Scan(&empty)
	p.who["empty-token"] = &web.Principal{TokenID: 7, TokenTenantID: empty, TokenRole: "owner"}
	const users = "/t/acme/settings/users"
	u := func(email, action string) string { return fmt.Sprintf("%s/%d/%s", users, p.users[email], action) }
	step := func(name, who, method, path string, f url.Values, status int, want ...string) pageStep {
		return pageStep{who, apptest.Scenario{Name: name, Method: method, Path: path, Form: f, Status: status, Want: want}}
	}
	p.runPages(t, []pageStep{
		step("viewer may not see it", "viewer", "GET", users, nil, 403, "settings.users"),
		step("marketer sees the members", "marketer", "GET", users, nil, 200, "owner@acme.test", `<option value="owner" selected>owner</option>`, "Add a member"),
		step("a tenant without members", "empty-token", "GET", "/t/empty/settings/users", nil, 200, "No members yet"),
		step("unknown tenant", "owner", "GET", "/t/nope/settings/users", nil, 404),
		step("marketer may not add", "marketer", "POST", users, form("email", "m@acme.test", "role", "viewer"), 403),

		step("add", "admin", "POST", users, form("email", "new@acme.test", "name", "New One", "role", "analyst", "phone", "+15555550177"), http.StatusSeeOther),
		step("added", "admin", "GET", users+"?done=added", nil, 200, "Member added.", "new@acme.test", "New One"),
		step("add twice", "admin", "POST", users, form("email", "new@acme.test", "role", "viewer"), 409, "already a member", `value="new@acme.test"`),
		step("add a bad email", "admin", "POST", users, form("email", "not-an-email", "role", "viewer"), 400, "is not an email address", `id="email" name="email" type="email" required value="not-an-email" aria-invalid="true"`),
		step("add without a role", "admin", "POST", users, form("email", "x@acme.test"), 400, "role must be one of", `id="role" name="role" aria-invalid="true"`),
		step("add a bad phone", "admin", "POST", users, form("email", "x@acme.test", "role", "viewer", "phone", "555-0100"), 400, "E.164", `aria-invalid="true"`),
		step("add an existing user with a phone", "admin", "POST", users, form("email", "gowner@globex.test", "role", "viewer", "phone", "+15555550199"), 400, "already has an account"),
		step("admin cannot grant owner", "admin", "POST", users, form("email", "x@acme.test", "role", "owner"), 403, "cannot grant the owner role"),

		step("set role", "admin", "POST", u("viewer@acme.test", "role"), form("role", "marketer"), http.StatusSeeOther),
		step("set a bad role", "admin", "POST", u("viewer@acme.test", "role"), form("role", "boss"), 400, "role must be one of", `aria-invalid="true"`),
		step("admin cannot demote the owner", "admin", "POST", u("owner@acme.test", "role"), form("role", "viewer"), 403, "takes that role or a higher one"),
		step("last owner cannot step down", "owner", "POST", u("owner@acme.test", "role"), form("role", "admin"), 409, "needs an owner"),
		step("user id not a number", "admin", "POST", users+"/abc/role", form("role", "viewer"), 400, "a user id is a positive whole number"),
		step("foreign user: role", "owner", "POST", u("gviewer@globex.test", "role"), form("role", "viewer"), 404, "no member"),

		step("set phone", "admin", "POST", u("analyst@acme.test", "phone"), form("phone", " +15555550142 "), http.StatusSeeOther),
		step("phone set", "admin", "GET", users+"?done=phone", nil, 200, "Phone changed."),
		step("set a bad phone", "admin", "POST", u("analyst@acme.test", "phone"), form("phone", "call me"), 400, "E.164", `id="phone-`),
		step("set an empty phone", "admin", "POST", u("analyst@acme.test", "phone"), form(), 400, `got &#34;&#34;`),
		step("admin cannot set the owner's phone", "admin", "POST", u("owner@acme.test", "phone"), form("phone", "+15555550143"), 403, "takes that role or a higher one"),
		step("not the phone of someone in another tenant", "owner", "POST", u("both@x.test", "phone"), form("phone", "+15555550144"), 409, "also belongs to another workspace"),
		step("foreign user: phone", "owner", "POST", u("gviewer@globex.test", "phone"), form("phone", "+15555550145"), 404),
	})
	p.users = apptest.IDs(t, p.db, `SELECT email, id FROM users`)
	p.runPages(t, []pageStep{
		step("remove", "admin", "POST", u("new@acme.test", "remove"), form(), http.StatusSeeOther),
		step("removed", "admin", "GET", users+"?done=removed", nil, 200, "Member removed."),
		step("last owner cannot leave", "owner", "POST", u("owner@acme.test", "remove"), form(), 409, "needs an owner"),
		step("foreign user: remove", "owner", "POST", u("gowner@globex.test", "remove"), form(), 404),
		step("user id zero", "owner", "POST", users+"/0/remove", form(), 400, "a user id is a positive whole number"),
	})
	phones := apptest.IDs(t, p.db, `SELECT email, (phone = '+15555550142')::int FROM users WHERE email IN ('analyst@acme.test', 'owner@acme.test')`)
	if phones["analyst@acme.test"] != 1 || phones["owner@acme.test"] != 0 {
		t.Errorf("phones changed: %v", phones)
	}
	var logged []string
	apptest.System(p.db).Raw(`SELECT action || ' ' || target || ' ' || coalesce(details->>'phone', details->>'to', details->>'role') FROM audit_log
		WHERE action IN ('member.added', 'member.role_changed', 'member.phone_set', 'member.removed') ORDER BY id`).Scan(&logged)
	want := "member.added new@acme.test analyst|member.role_changed viewer@acme.test marketer|member.phone_set analyst@acme.test ••••••••0142|member.removed new@acme.test analyst"
	if strings.Join(logged, "|") != want {
		t.Errorf("audited %q\nwant %q", strings.Join(logged, "|"), want)
	}
}

// TestAccountChangeRoles checks the services' own rule, which the routes' permission
// hides: only owners and admins set phones and reset passwords, and an API token acts
// with no more than its role.
func TestAccountChangeRoles(t *testing.T) {
	p := newPortal(t)
	m := tenants.NewMembers(p.db, nopPolicy{}, apptest.Logger(t))
	ctx, acme, analyst := context.Background(), p.ids["acme"], p.users["analyst@acme.test"]
	changes := map[string]func(tenants.Actor) error{
		"phone": func(a tenants.Actor) error {
			_, err := m.SetPhone(ctx, acme, a, analyst, "+15555550150")
			return err
		},
		"password": func(a tenants.Actor) error {
			r, err := m.ResetPassword(ctx, acme, a, analyst, tablePasswords{})
			if err == nil && r.Password == "" {
				return fmt.Errorf("no temporary password")
			}
			return err
		},
	}
	for _, tc := range []struct {
		change, actor, token, want string
	}{
		{"phone", "marketer@acme.test", "", "only owners and admins set members' phones"},
		{"phone", "viewer@acme.test", "", "only owners and admins set members' phones"},
		{"phone", "admin@acme.test", "", ""},
		{"password", "marketer@acme.test", "", "only owners and admins reset members' passwords"},
		{"password", "viewer@acme.test", "", "only owners and admins reset members' passwords"},
		{"password", "owner@acme.test", "marketer", "only owners and admins reset members' passwords"},
		{"password", "admin@acme.test", "", ""},
	} {
		t.Run(tc.change+" as "+tc.actor+" "+tc.token, func(t *testing.T) {
			err := changes[tc.change](tenants.Actor{UserID: p.users[tc.actor], TokenRole: tc.token, Name: "test"})
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

type nopPolicy struct{}

func (nopPolicy) Reload() error { return nil }

func TestAuditPage(t *testing.T) {
	p := newPortal(t)
	acme, globex := p.ids["acme"], p.ids["globex"]
	actor := fmt.Sprintf("user:%d", p.users["admin@acme.test"])
	for i := 0; i < 55; i++ {
		apptest.System(p.db).Exec(`INSERT INTO audit_log (tenant_id, actor, action, target, remote_addr) VALUES (?, ?, 'test.page', ?, '192.0.2.7')`, acme, actor, fmt.Sprintf("t%02d", i))
	}
	apptest.System(p.db).Exec(`INSERT INTO audit_log (tenant_id, actor, action, target) VALUES (?, 'api-token:5', 'token.created', 'token:5')`, acme)
	apptest.System(p.db).Exec(`INSERT INTO audit_log (tenant_id, actor, action, target) VALUES (?, 'user:1', 'test.globex', 'secret-of-globex')`, globex)
	var empty int64
	apptest.System(p.db).Raw(`INSERT INTO tenants (slug, name) VALUES ('empty', 'Empty') RETURNING id`).Scan(&empty)
	p.who["empty-token"] = &web.Principal{TokenID: 7, TokenTenantID: empty, TokenRole: "owner"}
	const audit = "/t/acme/settings/audit"
	var before int64
	apptest.System(p.db).Raw(`SELECT min(id) FROM audit_log WHERE tenant_id = ? AND action = 'test.page' AND target = 't05'`, acme).Scan(&before)
	step := func(name, who, path string, status int, want ...string) pageStep {
		return pageStep{who, apptest.Scenario{Name: name, Method: "GET", Path: path, Status: status, Want: want}}
	}
	p.runPages(t, []pageStep{
		step("marketer may not read it", "marketer", audit, 403, "audit"),
		step("newest first, who by email, from where", "admin", audit, 200, "<td>api-token:5</td>", "<code>token.created</code>",
			"<td>admin@acme.test</td>", "<td>t54</td>", "192.0.2.7", "Older</a>"),
		step("filtered", "owner", audit+"?action=token.", 200, "token:5", "Show all"),
		step("filter matches nothing", "owner", audit+"?action=nothing.", 200, "No entries with actions starting with"),
		step("empty log", "empty-token", "/t/empty/settings/audit", 200, "Nothing recorded yet"),
		step("older page", "owner", fmt.Sprintf("%s?action=test.&before=%d", audit, before), 200, "<td>t04</td>", "<td>t00</td>", "Newest</a>"),
		step("bad filter", "owner", audit+"?action=%25'", 400, "an action filter is the start of an action name", `aria-invalid="true"`),
		step("bad before", "owner", audit+"?before=yesterday", 400, "before must be an entry id"),
		step("unknown tenant", "owner", "/t/nope/settings/audit", 404),
	})
	for _, path := range []string{audit, audit + "?action=test."} {
		body := apptest.DoAs(p.e, "owner", "GET", path, nil).Body.String()
		if strings.Contains(body, "secret-of-globex") || strings.Contains(body, "<td>t04</td>") {
			t.Errorf("%s shows another tenant's entries or more than a page:\n%s", path, body)
		}
		if path != audit && strings.Contains(body, "token:5") {
			t.Errorf("%s shows entries the filter excludes", path)
		}
	}
}
