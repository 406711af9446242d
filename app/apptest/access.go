package apptest

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/authz"
	"github.com/srgplatform/srg/app/config"
)

// Enforcer starts a permission enforcer on cfg's database gdb with the definitions of
// cfg.Access (the built-in ones by default), stopped on cleanup.
func Enforcer(t testing.TB, cfg config.Config, gdb *gorm.DB) *authz.Enforcer {
	t.Helper()
	defs, err := authz.LoadDefinitions(cfg.Access)
	if err != nil {
		t.Fatalf("apptest: %v", err)
	}
	return EnforcerWith(t, cfg, gdb, defs)
}

// EnforcerWith starts a permission enforcer with defs.
func EnforcerWith(t testing.TB, cfg config.Config, gdb *gorm.DB, defs authz.Definitions) *authz.Enforcer {
	t.Helper()
	e, err := authz.New(authz.Deps{DB: gdb, DatabaseURL: cfg.Database.URL, Definitions: defs, Log: Logger(t)})
	if err != nil {
		t.Fatalf("apptest: %v", err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatalf("apptest: %v", err)
	}
	t.Cleanup(e.Close)
	return e
}

// IDs runs query, whose rows are a name and an id, and maps the names to the ids.
func IDs(t testing.TB, gdb *gorm.DB, query string, args ...any) map[string]int64 {
	t.Helper()
	rows, err := System(gdb).Raw(query, args...).Rows()
	if err != nil {
		t.Fatalf("apptest: %v", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var id int64
		if err := rows.Scan(&name, &id); err != nil {
			t.Fatalf("apptest: %v", err)
		}
		out[name] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("apptest: %v", err)
	}
	return out
}
