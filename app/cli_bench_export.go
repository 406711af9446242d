package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/srgplatform/srg/app/bench"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/secrets"
	"github.com/srgplatform/srg/migrations"
	"github.com/srgplatform/srg/modules/warehouse"
)

// benchExportTouchpoints is the size of `srg bench export`'s tenant.
const benchExportTouchpoints = 1_000_000

// benchExport exports a synthetic tenant of 1,000,000 touchpoints and their
// credits (a credit document per opportunity of ten touchpoints, its touches
// nested, two models: a credit row per touchpoint and model) to a Postgres
// destination (a second database) and to Parquet files in a local directory,
// through the warehouse service as a run does: the documents are generated as
// they are read instead of coming from Elasticsearch, so the figures are the
// export's own. It prints rows/s and peak memory per destination. destinations is
// the --destinations flag: a comma-separated list of them, or empty for both.
func benchExport(ctx context.Context, env *cliEnv, pg, destinations string) error {
	names, err := benchExportDestinations(destinations)
	if err != nil {
		return err
	}
	return runExportBench(ctx, env, pg, benchExportTouchpoints, names...)
}

// benchExportKinds are the destinations `srg bench export` can export to.
var benchExportKinds = []string{"postgres", "parquet"}

// benchExportDestinations parses --destinations: names from benchExportKinds,
// comma-separated, each once; empty means all of them.
func benchExportDestinations(flag string) ([]string, error) {
	if strings.TrimSpace(flag) == "" {
		return benchExportKinds, nil
	}
	var out []string
	for _, n := range strings.Split(flag, ",") {
		n = strings.TrimSpace(n)
		switch {
		case !slices.Contains(benchExportKinds, n):
			return nil, fmt.Errorf("%w: --destinations: unknown destination %q, want %s", errUsage, n, strings.Join(benchExportKinds, " or "))
		case slices.Contains(out, n):
			return nil, fmt.Errorf("%w: --destinations: %s named twice", errUsage, n)
		}
		out = append(out, n)
	}
	return out, nil
}

// runExportBench is benchExport over touchpoints touchpoints to the named
// destinations (postgres, parquet).
func runExportBench(ctx context.Context, env *cliEnv, pg string, touchpoints int, destinations ...string) error {
	home, err := bench.NewDatabase(ctx, pg)
	if err != nil {
		return err
	}
	defer home.Drop(env.stderr)
	dest, err := bench.NewDatabase(ctx, pg)
	if err != nil {
		return err
	}
	defer dest.Drop(env.stderr)
	dir, err := os.MkdirTemp("", "srg-bench-export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dbCfg := config.Database{URL: home.URL, MaxOpenConns: 4, MaxIdleConns: 2}
	m, err := db.NewMigrator(ctx, dbCfg, migrations.SQL)
	if err != nil {
		return err
	}
	_, err = m.Up(ctx)
	m.Close()
	if err != nil {
		return err
	}
	gdb, err := db.Open(ctx, dbCfg, log)
	if err != nil {
		return err
	}
	defer db.SQL(gdb).Close()
	var tenantID int64
	if err := gdb.WithContext(db.WithSystem(ctx)).Raw(`INSERT INTO tenants (slug, name) VALUES ('bench', 'Bench') RETURNING id`).Scan(&tenantID).Error; err != nil {
		return fmt.Errorf("bench: tenant: %w", err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secrets.New(base64.StdEncoding.EncodeToString(key))
	if err != nil {
		return err
	}
	g := &bench.ExportTenant{Touchpoints: touchpoints, Models: []string{"linear", "position_based"},
		Start: time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)}
	svc := warehouse.NewService(warehouse.ServiceDeps{DB: gdb, Box: box, Index: g, Tables: benchCredits{g}, Log: log,
		Options: warehouse.Options{LocalRoot: dir}})
	fmt.Fprintf(env.stderr, "exporting %d touchpoints and the credits of %d opportunities (%d models) to each destination\n",
		g.Touchpoints, g.Opportunities(), len(g.Models))

	targets := []struct {
		name, kind  string
		credentials string
		settings    string
	}{
		{"postgres", warehouse.KindPostgres, `{"url": "` + dest.URL + `"}`, `{"schema": "srg"}`},
		{"parquet", warehouse.KindLocal, `{}`, `{"path": "lake"}`},
	}
	for _, t := range targets {
		if !slices.Contains(destinations, t.name) {
			continue
		}
		d, err := svc.Save(ctx, tenantID, "bench", 0, warehouse.SaveInput{Name: t.name, Kind: t.kind, Credentials: json.RawMessage(t.credentials),
			Settings: json.RawMessage(t.settings), Datasets: []string{warehouse.Touchpoints, warehouse.Credits}, Actor: "bench"})
		if err != nil {
			return err
		}
		if err := bench.ResetPeakRSS(); err != nil {
			return err
		}
		start := time.Now()
		res, err := svc.RunNow(ctx, tenantID, d.ID, nil, "bench")
		took := time.Since(start)
		if err != nil {
			return err
		}
		if res.Status != warehouse.RunOK {
			return fmt.Errorf("bench: export to %s: %s", t.name, res.Error)
		}
		peak, err := bench.PeakRSSKB()
		if err != nil {
			return err
		}
		var rows int64
		for _, n := range res.Rows {
			rows += n
		}
		fmt.Fprintf(env.stderr, "%s: %v in %s, %d bytes\n", t.name, res.Rows, took.Round(time.Millisecond), res.Bytes)
		printFigures(env.stdout, map[string]string{
			"export_" + t.name + "_rows":          fmt.Sprint(rows),
			"export_" + t.name + "_touchpoints":   fmt.Sprint(res.Rows[warehouse.Touchpoints]),
			"export_" + t.name + "_credit_rows":   fmt.Sprint(res.Rows[warehouse.Credits]),
			"export_" + t.name + "_seconds":       fmt.Sprintf("%.2f", took.Seconds()),
			"export_" + t.name + "_rows_per_s":    fmt.Sprintf("%.0f", float64(rows)/took.Seconds()),
			"export_" + t.name + "_peak_rss_mb":   fmt.Sprintf("%.1f", float64(peak)/1024),
			"export_" + t.name + "_written_bytes": fmt.Sprint(res.Bytes),
		})
	}
	return nil
}

// printFigures prints name=value lines in name order.
func printFigures(w io.Writer, figures map[string]string) {
	names := make([]string, 0, len(figures))
	for n := range figures {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "%s=%s\n", n, figures[n])
	}
}

// benchCredits lists the synthetic tenant's opportunities as changed, for the
// credits dataset; the other tables are empty.
type benchCredits struct{ g *bench.ExportTenant }

func (b benchCredits) ChangedCredits(_ context.Context, _ int64, afterAt time.Time, afterID string, until time.Time, limit int) ([]warehouse.CreditChange, error) {
	var out []warehouse.CreditChange
	b.g.ChangedOpportunities(afterAt, afterID, until, limit, func(id string, at time.Time) {
		out = append(out, warehouse.CreditChange{OpportunityID: id, ChangedAt: at})
	})
	return out, nil
}

func (benchCredits) ChangedPeople(context.Context, int64, time.Time, int64, time.Time, int) ([]warehouse.PersonRow, error) {
	return nil, nil
}

func (benchCredits) ChangedAccounts(context.Context, int64, time.Time, int64, time.Time, int) ([]warehouse.AccountRow, error) {
	return nil, nil
}

func (benchCredits) ChangedOpportunities(context.Context, int64, time.Time, [2]string, time.Time, int) ([]warehouse.OpportunityRow, error) {
	return nil, nil
}

func (benchCredits) ChangedSpend(context.Context, int64, time.Time, [4]string, time.Time, int) ([]warehouse.SpendRow, error) {
	return nil, nil
}
