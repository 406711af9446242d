package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/secrets"
	"github.com/srgplatform/srg/modules/warehouse"
)

func TestExportCommand(t *testing.T) {
	cfg := apptest.Config(t)
	gdb := apptest.DB(t, cfg)
	root := t.TempDir()
	env := stackEnviron(t, cfg, "SRG_LOG_LEVEL=warn", "SRG_WAREHOUSE_LOCAL_DIR="+root, "SRG_WAREHOUSE_SETTLE=0s")
	conf := writeFile(t, "tenants:\n  - {slug: acme, name: Acme}\n")
	addDestination := func() {
		box, err := secrets.New(cfg.Secrets.Key)
		if err != nil {
			t.Fatal(err)
		}
		var tid int64
		gdb.Raw(`SELECT id FROM tenants WHERE slug = 'acme'`).Scan(&tid)
		svc := warehouse.NewService(warehouse.ServiceDeps{DB: gdb, Box: box, Options: warehouse.Options{LocalRoot: root}})
		if _, err := svc.Save(context.Background(), tid, "acme", 0, warehouse.SaveInput{Name: "files", Kind: warehouse.KindLocal,
			Settings: json.RawMessage(`{"path": "out"}`), Datasets: []string{warehouse.People}}); err != nil {
			t.Fatal(err)
		}
		if err := gdb.WithContext(db.WithTenant(context.Background(), tid)).Exec(`INSERT INTO people (tenant_id, email, first_seen_at, last_seen_at)
			VALUES (?, 'ann@acme.test', now(), now())`, tid).Error; err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name   string
		args   []string
		code   int
		output string
	}{
		{"without tenant", []string{"export"}, 2, "--tenant is required"},
		{"two destinations", []string{"export", "a", "b", "--tenant", "acme"}, 2, "at most one destination"},
		{"bad from", []string{"export", "files", "--tenant", "acme", "--from", "last week"}, 2, "--from must be a date"},
		{"from without destination", []string{"export", "--tenant", "acme", "--from", "2026-01-01"}, 2, "--from needs a destination"},
		{"empty list", []string{"export", "--tenant", "acme"}, 0, "DESTINATION"},
		{"unknown destination", []string{"export", "nope", "--tenant", "acme"}, 1, `no destination "nope"`},
		{"export", []string{"export", "files", "--tenant", "acme"}, 0, `"people": 1`},
		{"backfill", []string{"export", "files", "--tenant", "acme", "--from", "2020-01-01"}, 0, `"people": 1`},
		{"listed", []string{"export", "--tenant", "acme"}, 0, "files        local  ok"},
	}
	for _, s := range steps {
		if s.name == "unknown destination" {
			addDestination()
		}
		code, stdout, stderr := runCLI(env, append(s.args, "--config", conf)...)
		if code != s.code || !strings.Contains(stdout+stderr, s.output) {
			t.Fatalf("%s: exit %d (want %d)\nstdout: %s\nstderr: %s", s.name, code, s.code, stdout, stderr)
		}
	}
}
