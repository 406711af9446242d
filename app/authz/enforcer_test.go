package authz_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the admin connection

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/authz"
	"github.com/srgplatform/srg/app/config"
)

// TestEnforcerFollowsTheMatrix checks each role, as a member of a tenant and as an API
// token's role, against the documented matrix, on the policy loaded from the database.
func TestEnforcerFollowsTheMatrix(t *testing.T) {
	w := newWorld(t)
	e := w.enforcer(t)
	acme, globex := w.tenants["acme"], w.tenants["globex"]
	for _, role := range config.Roles {
		user := w.users[role+"@acme.test"]
		if got, ok := e.RoleOf(user, acme); !ok || got != role {
			t.Fatalf("%s@acme.test has role %q (%v) in acme", role, got, ok)
		}
		if _, ok := e.RoleOf(user, globex); ok {
			t.Fatalf("%s@acme.test has a role in globex", role)
		}
		for _, res := range authz.Resources {
			for _, act := range authz.Actions {
				t.Run(role+"/"+res+"/"+act, func(t *testing.T) {
					want := allowed(role, res, act)
					if got, err := e.UserMay(user, acme, res, act); err != nil || got != want {
						t.Errorf("member: got %v (%v), want %v", got, err, want)
					}
					if got, err := e.RoleMay(role, acme, res, act); err != nil || got != want {
						t.Errorf("token role: got %v (%v), want %v", got, err, want)
					}
					if got, _ := e.UserMay(user, globex, res, act); got {
						t.Error("allowed in a tenant the user is no member of")
					}
				})
			}
		}
	}
	if ok, _ := e.RoleMay("superuser", acme, "audit", "read"); ok {
		t.Error("an unknown role is allowed something")
	}
}

// TestEnforcersFollowEachOther runs two enforcers on one database, as two srg
// instances would: each change of a membership or of the matrix, made anywhere, reaches
// the other, also after its listening connection was cut.
func TestEnforcersFollowEachOther(t *testing.T) {
	w := newWorld(t)
	a, b := w.enforcer(t), w.enforcer(t)
	acme := w.tenants["acme"]
	viewer := w.users["viewer@acme.test"]
	roleIn := func(e *authz.Enforcer) string { r, _ := e.RoleOf(viewer, acme); return r }

	steps := []struct {
		name   string
		change func(t *testing.T)
		holds  func(e *authz.Enforcer) bool
	}{
		{"role changed", func(t *testing.T) {
			w.exec(t, `UPDATE tenant_members SET role = 'analyst' WHERE user_id = ? AND tenant_id = ?`, viewer, acme)
		}, func(e *authz.Enforcer) bool { return roleIn(e) == "analyst" }},
		{"member removed", func(t *testing.T) {
			w.exec(t, `DELETE FROM tenant_members WHERE user_id = ? AND tenant_id = ?`, viewer, acme)
		}, func(e *authz.Enforcer) bool { _, ok := e.RoleOf(viewer, acme); return !ok }},
		{"member added", func(t *testing.T) { w.member(t, "viewer@acme.test", "acme", "marketer") },
			func(e *authz.Enforcer) bool { return roleIn(e) == "marketer" }},
		{"matrix replaced", func(t *testing.T) {
			rules := []authz.Rule{{Role: "marketer", Tenant: authz.AnyTenant, Resource: "audit", Action: "read"}}
			if err := a.ApplyRules(context.Background(), rules, "test"); err != nil {
				t.Fatal(err)
			}
		}, func(e *authz.Enforcer) bool {
			audit, _ := e.UserMay(viewer, acme, "audit", "read")
			dashboards, _ := e.UserMay(viewer, acme, "dashboards", "read")
			return audit && !dashboards
		}},
		{"listener cut, then a change", func(t *testing.T) {
			// As the configured database user: the pool's role, srg_app, may not end
			// the listeners' sessions, which are that user's.
			admin, err := sql.Open("pgx", w.cfg.Database.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			var cut int
			if err := admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE application_name = 'srg-authz-listener' AND datname = current_database()`).Scan(&cut); err != nil {
				t.Fatal(err)
			}
			if cut != 2 {
				t.Fatalf("cut %d listening connections, want 2", cut)
			}
			w.exec(t, `UPDATE tenant_members SET role = 'viewer' WHERE user_id = ? AND tenant_id = ?`, viewer, acme)
		}, func(e *authz.Enforcer) bool { return roleIn(e) == "viewer" }},
		{"tenant deleted", func(t *testing.T) { w.exec(t, `DELETE FROM tenants WHERE id = ?`, acme) },
			func(e *authz.Enforcer) bool { _, ok := e.RoleOf(viewer, acme); return !ok }},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.change(t)
			apptest.Eventually(t, "instance A to see it", func() bool { return s.holds(a) })
			apptest.Eventually(t, "instance B to see it", func() bool { return s.holds(b) })
		})
	}
}

// TestApplyRulesOnlyWhenChanged starts twice on one database: the first start writes
// the matrix and audits it, the second finds it in place and changes nothing.
func TestApplyRulesOnlyWhenChanged(t *testing.T) {
	w := newWorld(t)
	defs := builtin(t)
	count := func(q string) (n int) {
		t.Helper()
		if err := apptest.System(w.db).Raw(q).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i := 0; i < 2; i++ {
		w.enforcerWith(t, defs).Close()
		if n := count(`SELECT count(*) FROM casbin_rule WHERE ptype = 'p'`); n != len(defs.Rules) {
			t.Fatalf("start %d: %d rules stored, want %d", i+1, n, len(defs.Rules))
		}
		if n := count(`SELECT count(*) FROM audit_log WHERE action = 'permissions.updated'`); n != 1 {
			t.Fatalf("start %d: %d audit entries, want 1", i+1, n)
		}
	}
	w.exec(t, `INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) VALUES ('p', 'viewer', '*', 'audit', 'write')`)
	w.exec(t, `DELETE FROM casbin_rule WHERE v0 = 'owner' AND v2 = 'audit' AND v3 = 'read'`)
	e := w.enforcerWith(t, defs)
	if n := count(`SELECT count(*) FROM audit_log WHERE action = 'permissions.updated'`); n != 2 {
		t.Fatalf("a drifted matrix was not restored and audited: %d entries", n)
	}
	if ok, _ := e.RoleMay("viewer", w.tenants["acme"], "audit", "write"); ok {
		t.Error("a rule absent from the policy file survived the start")
	}
	if ok, _ := e.RoleMay("owner", w.tenants["acme"], "audit", "read"); !ok {
		t.Error("a rule of the policy file was not restored")
	}
}

// TestRolesComeOnlyFromMemberships: a g rule written into casbin_rule behind srg's back
// grants nothing; tenant_members is the one source of roles.
func TestRolesComeOnlyFromMemberships(t *testing.T) {
	w := newWorld(t)
	w.exec(t, `INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES ('g', ?, 'owner', ?)`,
		fmt.Sprintf("user:%d", w.users["viewer@acme.test"]), fmt.Sprint(w.tenants["globex"]))
	e := w.enforcer(t)
	if role, ok := e.RoleOf(w.users["viewer@acme.test"], w.tenants["globex"]); ok {
		t.Fatalf("a casbin_rule g row made the user %s of globex", role)
	}
}
