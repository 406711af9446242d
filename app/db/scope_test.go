package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/db"
)

// TestEveryTenantTableIsIsolated fails when a table with a tenant_id column has no forced
// row-level security policy: a new migration must call srg_isolate_tenant for it.
func TestEveryTenantTableIsIsolated(t *testing.T) {
	cfg := apptest.Config(t)
	gdb := apptest.DB(t, cfg)
	type table struct {
		Name     string
		Enabled  bool
		Forced   bool
		Policies int
	}
	var tables []table
	err := gdb.Raw(`
		SELECT c.relname AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
		       (SELECT count(*) FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname
		          AND p.policyname = 'tenant_isolation') AS policies
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
		ORDER BY 1`).Scan(&tables).Error
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < 20 {
		t.Fatalf("found %d tables with tenant_id, expected SRG's schema: %v", len(tables), tables)
	}
	for _, tb := range tables {
		if !tb.Enabled || !tb.Forced || tb.Policies != 1 {
			t.Errorf("table %s: row security enabled=%v forced=%v tenant_isolation policies=%d; add SELECT srg_isolate_tenant('%s') to its migration",
				tb.Name, tb.Enabled, tb.Forced, tb.Policies, tb.Name)
		}
	}
}

// TestTenantScope checks what a session sees and may write under each scope, through the
// pool the application uses: statements, transactions, prepared statements and rows
// read after other tenants' statements ran on the same connections.
func TestTenantScope(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	gdb := apptest.DB(t, cfg)
	sys := db.WithSystem(ctx)

	var a, b int64
	for slug, id := range map[string]*int64{"alpha": &a, "beta": &b} {
		if err := gdb.WithContext(sys).Raw(`INSERT INTO tenants (slug, name) VALUES (?, ?) RETURNING id`, slug, slug).Scan(id).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		tenant int64
		key    string
	}{{a, "key-a1"}, {a, "key-a2"}, {b, "key-b1"}} {
		if err := gdb.WithContext(db.WithTenant(ctx, tc.tenant)).Exec(`INSERT INTO sites (tenant_id, site_key, name) VALUES (?, ?, ?)`, tc.tenant, tc.key, tc.key).Error; err != nil {
			t.Fatalf("insert site %s: %v", tc.key, err)
		}
	}

	keys := func(ctx context.Context, where string, args ...any) []string {
		t.Helper()
		var out []string
		q := `SELECT site_key FROM sites`
		if where != "" {
			q += " WHERE " + where
		}
		if err := gdb.WithContext(ctx).Raw(q+` ORDER BY site_key`, args...).Scan(&out).Error; err != nil {
			t.Fatal(err)
		}
		return out
	}
	for i := 0; i < 3; i++ { // again and again, so pooled connections change hands
		for _, tc := range []struct {
			name  string
			ctx   context.Context
			where string
			args  []any
			want  string
		}{
			{"no scope", ctx, "", nil, ""},
			{"tenant a forgets its filter", db.WithTenant(ctx, a), "", nil, "key-a1,key-a2"},
			{"tenant b forgets its filter", db.WithTenant(ctx, b), "", nil, "key-b1"},
			{"tenant a asks for b's rows", db.WithTenant(ctx, a), "tenant_id = ?", []any{b}, ""},
			{"system scope", sys, "", nil, "key-a1,key-a2,key-b1"},
			{"unknown tenant", db.WithTenant(ctx, b+1000), "", nil, ""},
			{"tenant a's request handed b's id", db.WithTenant(db.WithTenant(ctx, a), b), "", nil, ""},
		} {
			if got := strings.Join(keys(tc.ctx, tc.where, tc.args...), ","); got != tc.want {
				t.Errorf("round %d, %s: sites %q, want %q", i, tc.name, got, tc.want)
			}
		}
	}

	t.Run("a transaction runs under the scope it began with", func(t *testing.T) {
		tx := gdb.WithContext(db.WithTenant(ctx, b)).Begin()
		defer tx.Rollback()
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM sites`).Scan(&n).Error; err != nil || n != 1 {
			t.Fatalf("in b's transaction: %d sites, err %v; want 1", n, err)
		}
	})

	t.Run("prepared statements carry the scope", func(t *testing.T) {
		st, err := db.SQL(gdb).PrepareContext(ctx, `SELECT count(*) FROM sites`)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for _, tc := range []struct {
			ctx  context.Context
			want int
		}{{db.WithTenant(ctx, a), 2}, {db.WithTenant(ctx, b), 1}, {ctx, 0}} {
			var n int
			if err := st.QueryRowContext(tc.ctx).Scan(&n); err != nil || n != tc.want {
				t.Errorf("prepared count = %d, err %v; want %d", n, err, tc.want)
			}
		}
	})

	writes := []struct {
		name string
		ctx  context.Context
		sql  string
		args []any
	}{
		{"insert another tenant's row", db.WithTenant(ctx, a), `INSERT INTO sites (tenant_id, site_key, name) VALUES (?, 'sneaky', 'x')`, []any{b}},
		{"insert without a scope", ctx, `INSERT INTO sites (tenant_id, site_key, name) VALUES (?, 'orphan', 'x')`, []any{a}},
		{"move a row to another tenant", db.WithTenant(ctx, a), `UPDATE sites SET tenant_id = ? WHERE site_key = 'key-a1'`, []any{b}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			err := gdb.WithContext(w.ctx).Exec(w.sql, w.args...).Error
			if err == nil || !strings.Contains(err.Error(), "row-level security") {
				t.Fatalf("err = %v, want a row-level security violation", err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		sql  string
	}{
		{"tenant b updates a's rows", db.WithTenant(ctx, b), `UPDATE sites SET name = 'gone' WHERE tenant_id = ?`},
		{"tenant b deletes a's rows", db.WithTenant(ctx, b), `DELETE FROM sites WHERE tenant_id = ?`},
		{"no scope deletes a's rows", ctx, `DELETE FROM sites WHERE tenant_id = ?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := gdb.WithContext(tc.ctx).Exec(tc.sql, a)
			if res.Error != nil || res.RowsAffected != 0 {
				t.Fatalf("affected %d rows, err %v; want 0", res.RowsAffected, res.Error)
			}
		})
	}
	if got := strings.Join(keys(sys, "name <> 'gone'"), ","); got != "key-a1,key-a2,key-b1" {
		t.Fatalf("after the refused writes: %q", got)
	}
}

// TestPoolRunsAsTheApplicationRole checks the pool cannot bypass row-level security.
func TestPoolRunsAsTheApplicationRole(t *testing.T) {
	cfg := apptest.Config(t)
	gdb := apptest.DB(t, cfg)
	var user string
	var bypass bool
	if err := db.SQL(gdb).QueryRow(`SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&user, &bypass); err != nil {
		t.Fatal(err)
	}
	if user != db.AppRole || bypass {
		t.Fatalf("pool runs as %q (bypass %v), want %s without bypass", user, bypass, db.AppRole)
	}
	var owns int
	if err := db.SQL(gdb).QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user`).Scan(&owns); err != nil {
		t.Fatal(err)
	}
	if owns != 0 {
		t.Fatalf("%s owns %d tables; it must own none", db.AppRole, owns)
	}
}

func TestWithTenantOnlyNarrows(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want db.Scope
	}{
		{"unscoped to a tenant", db.WithTenant(ctx, 7), db.Scope{Tenant: 7}},
		{"system to a tenant", db.WithTenant(db.WithSystem(ctx), 7), db.Scope{Tenant: 7}},
		{"a tenant to itself", db.WithTenant(db.WithTenant(ctx, 7), 7), db.Scope{Tenant: 7}},
		{"a tenant to another", db.WithTenant(db.WithTenant(ctx, 7), 8), db.ScopeOf(db.WithTenant(db.WithTenant(ctx, 1), 2))},
		{"a conflict back to a tenant", db.WithTenant(db.WithTenant(db.WithTenant(ctx, 7), 8), 7), db.ScopeOf(db.WithTenant(db.WithTenant(ctx, 1), 2))},
	} {
		got := db.ScopeOf(tc.ctx)
		if got != tc.want {
			t.Errorf("%s: scope %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if s := db.ScopeOf(db.WithTenant(db.WithTenant(ctx, 7), 8)); s.Tenant != 0 || s.System {
		t.Errorf("two tenants: scope %+v, want one that sees none", s)
	}
}
