package db_test

import (
	"context"
	"slices"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/migrations"
)

func TestMigrationsRoundTrip(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	owner, err := db.OpenOwner(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	m, err := db.NewMigrator(ctx, cfg.Database, migrations.SQL)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	userTables := func() []string {
		rows, err := owner.Query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version' ORDER BY tablename`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return names
	}
	foundation := []string{"audit_log", "job_runs", "sites", "tenant_members", "tenants", "users"}
	assertTables := func(step string, want []string) {
		t.Helper()
		got := userTables()
		if len(got) != len(want) {
			t.Fatalf("%s: tables %v, want %v", step, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: tables %v, want %v", step, got, want)
			}
		}
	}

	if pending, err := m.Pending(ctx); err != nil || !pending {
		t.Fatalf("fresh database: pending=%v err=%v, want pending", pending, err)
	}
	if n, err := m.Up(ctx); err != nil || n == 0 {
		t.Fatalf("up: applied %d, err %v", n, err)
	}
	want := userTables()
	for _, table := range foundation {
		if !slices.Contains(want, table) {
			t.Fatalf("after up: no table %s in %v", table, want)
		}
	}
	if pending, _ := m.Pending(ctx); pending {
		t.Fatal("after up: still pending")
	}
	if n, err := m.Up(ctx); err != nil || n != 0 {
		t.Fatalf("second up: applied %d, err %v; want 0", n, err)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if !s.Applied {
			t.Errorf("migration %d not applied after up", s.Version)
		}
	}
	if _, err := m.Down(ctx, true); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertTables("after down", nil)
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	assertTables("after up again", want)
}
