package audit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/db"
)

// TestAuditLogIsIsolated records entries of two tenants and of none, then reads and
// writes the log under each scope: a tenant sees its own entries only, even when it
// asks for another's, and a transaction writes only entries of the scope it began with.
func TestAuditLogIsIsolated(t *testing.T) {
	ctx := context.Background()
	gdb := apptest.DB(t, apptest.Config(t))
	var a, b int64
	for slug, id := range map[string]*int64{"alpha": &a, "beta": &b} {
		if err := apptest.System(gdb).Raw(`INSERT INTO tenants (slug, name) VALUES (?, ?) RETURNING id`, slug, slug).Scan(id).Error; err != nil {
			t.Fatal(err)
		}
	}
	// Mia belongs to alpha; Bo to beta only.
	members := apptest.IDs(t, gdb, `WITH u AS (INSERT INTO users (email, name) VALUES ('mia@alpha.test', 'Mia'), ('bo@beta.test', 'Bo') RETURNING id, email)
		SELECT email, id FROM u`)
	sys := apptest.System(gdb)
	if err := sys.Exec(`INSERT INTO tenant_members (tenant_id, user_id, role) VALUES (?, ?, 'viewer'), (?, ?, 'viewer')`,
		a, members["mia@alpha.test"], b, members["bo@beta.test"]).Error; err != nil {
		t.Fatal(err)
	}
	mia, bo := fmt.Sprintf("user:%d", members["mia@alpha.test"]), fmt.Sprintf("user:%d", members["bo@beta.test"])
	// Outside a transaction Record scopes itself: each entry to its tenant, or to
	// the system scope for none, whatever the caller's context. Entries of no tenant
	// that concern a member (as actor, or by email as target) are read with the
	// member's tenants.
	for _, e := range []audit.Entry{
		{TenantID: &a, Actor: "test", Action: "a.one"},
		{TenantID: &a, Actor: "test", Action: "a.two"},
		{TenantID: &b, Actor: "test", Action: "b.one"},
		{Actor: "test", Action: "login.failed"},
		{Actor: mia, Action: "login.succeeded", Target: "mia@alpha.test"},
		{Actor: "anonymous", Action: "login.password_failed", Target: "MIA@alpha.test"},
		{Actor: bo, Action: "phone.changed", Target: "bo@beta.test"},
		{Actor: "anonymous", Action: "login.password_failed", Target: "nobody@alpha.test"},
	} {
		if err := audit.Record(ctx, gdb, e); err != nil {
			t.Fatalf("record %s: %v", e.Action, err)
		}
	}

	t.Run("reads", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			ctx    context.Context
			tenant int64
			want   string
		}{
			{"a's own and its member's", db.WithTenant(ctx, a), a, "login.password_failed,login.succeeded,a.two,a.one"},
			{"b's own and its member's", db.WithTenant(ctx, b), b, "phone.changed,b.one"},
			{"a asks for b's", db.WithTenant(ctx, a), b, ""},
			{"no scope", ctx, a, ""},
			{"a's request narrowed to b", db.WithTenant(db.WithTenant(ctx, a), b), b, ""},
			{"system", db.WithSystem(ctx), b, "phone.changed,b.one"},
		} {
			entries, _, err := audit.List(tc.ctx, gdb, tc.tenant, 0, audit.MaxPage)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Action)
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("%s: %q, want %q", tc.name, strings.Join(got, ","), tc.want)
			}
		}
	})

	t.Run("entries of no tenant under a tenant's scope", func(t *testing.T) {
		// The row-level policy itself, not only List's filter: a query that asks for
		// every entry of no tenant sees only those of the tenant's members.
		var got []string
		gdb.WithContext(db.WithTenant(ctx, a)).Raw(`SELECT action FROM audit_log WHERE tenant_id IS NULL ORDER BY id`).Scan(&got)
		if strings.Join(got, ",") != "login.succeeded,login.password_failed" {
			t.Errorf("alpha sees %q of the entries of no tenant", strings.Join(got, ","))
		}
	})

	t.Run("writes in a transaction", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			ctx   context.Context
			entry audit.Entry
			ok    bool
		}{
			{"a's entry in a's transaction", db.WithTenant(ctx, a), audit.Entry{TenantID: &a, Actor: "test", Action: "tx.a"}, true},
			{"b's entry in a's transaction", db.WithTenant(ctx, a), audit.Entry{TenantID: &b, Actor: "test", Action: "tx.b"}, false},
			{"an entry of no tenant in a's transaction", db.WithTenant(ctx, a), audit.Entry{Actor: "test", Action: "tx.none"}, false},
			{"an entry of no tenant in an unscoped transaction", ctx, audit.Entry{Actor: "test", Action: "tx.none"}, false},
			{"an entry of no tenant in a system transaction", db.WithSystem(ctx), audit.Entry{Actor: "test", Action: "tx.system"}, true},
		} {
			err := gdb.WithContext(tc.ctx).Transaction(func(tx *gorm.DB) error { return audit.Record(tc.ctx, tx, tc.entry) })
			if tc.ok && err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "row-level security")) {
				t.Errorf("%s: %v, want a row-level security violation", tc.name, err)
			}
		}
		var stored []string
		if err := apptest.System(gdb).Raw(`SELECT action FROM audit_log WHERE starts_with(action, 'tx.') ORDER BY id`).Scan(&stored).Error; err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(stored, ","); got != "tx.a,tx.system" {
			t.Errorf("stored %q, want what the allowed transactions wrote", got)
		}
	})
}
