package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/srgplatform/srg/app"
	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/modules/warehouse"
)

// warehousePlatform is a platform that exports at once, with the tenant acme (its id
// tid) and its indices, and the URL of a second database to export to.
func warehousePlatform(t *testing.T) (p *app.Platform, dest string, tid int64) {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.Warehouse.Settle = 0
	p = build(t, cfg)
	if err := apptest.System(p.DB).Raw(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id`).Scan(&tid).Error; err != nil {
		t.Fatal(err)
	}
	if err := p.Search.EnsureTenant(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	return p, apptest.Config(t).Database.URL, tid
}

// TestWarehouseExportsTheOtherModulesRows runs the export through the platform's
// wiring: the identity, sync and attribution export queries, with the changed_at
// their tables' triggers keep, into a Postgres destination.
func TestWarehouseExportsTheOtherModulesRows(t *testing.T) {
	p, dest, tid := warehousePlatform(t)
	ctx := context.Background()
	scoped := p.DB.WithContext(db.WithTenant(ctx, tid))
	for _, sql := range []string{
		`INSERT INTO accounts (id, tenant_id, domain, name) VALUES (7, ?, 'acme.test', 'Acme')`,
		`INSERT INTO people (id, tenant_id, email, account_id, first_seen_at, last_seen_at) VALUES (9, ?, 'Ann@Acme.test', 7, now(), now())`,
		`INSERT INTO crm_opportunities (tenant_id, source, external_id, name, amount, currency, close_date) VALUES (?, 'hubspot', '1', 'Big', 1000.5, 'USD', '2026-03-31')`,
		`INSERT INTO crm_opportunities (tenant_id, source, external_id, name, deleted) VALUES (?, 'hubspot', '2', 'Gone', true)`,
		`INSERT INTO ad_spend_daily (tenant_id, platform, account_id, campaign_id, day, spend, clicks) VALUES (?, 'google_ads', 'a1', 'c1', '2026-03-01', 12.25, 4)`,
		`INSERT INTO attribution_state (tenant_id, opportunity_id, journey_hash, touchpoints, computed_at) VALUES (?, 'hubspot:1', 'h', 0, now())`,
	} {
		if err := scoped.Exec(sql, tid).Error; err != nil {
			t.Fatal(err)
		}
	}
	svc := p.Warehouse.Service()
	creds, _ := json.Marshal(map[string]string{"url": dest})
	d, err := svc.Save(ctx, tid, "acme", 0, warehouse.SaveInput{Name: "dw", Kind: warehouse.KindPostgres, Credentials: creds, PII: warehouse.PIIExport})
	if err != nil {
		t.Fatal(err)
	}
	run := func() warehouse.RunResult {
		t.Helper()
		time.Sleep(5 * time.Millisecond)
		res, err := svc.RunNow(ctx, tid, d.ID, nil, "test")
		if err != nil || res.Status != warehouse.RunOK {
			t.Fatalf("run: %+v %v", res, err)
		}
		return res
	}
	conn, err := pgx.Connect(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	query := func(sql string) string {
		t.Helper()
		var s string
		if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return s
	}

	res := run()
	if res.Rows[warehouse.People] != 1 || res.Rows[warehouse.Accounts] != 1 || res.Rows[warehouse.Opportunities] != 1 || res.Rows[warehouse.AdSpend] != 1 {
		t.Fatalf("exported %v", res.Rows)
	}
	for sql, want := range map[string]string{
		`SELECT email || ' ' || account_id FROM srg.people`:                                                "Ann@Acme.test 7",
		`SELECT name FROM srg.accounts WHERE id = 7`:                                                       "Acme",
		`SELECT string_agg(external_id || ' ' || amount || ' ' || close_date, ',') FROM srg.opportunities`: "1 1000.5 2026-03-31",
		`SELECT day || ' ' || spend || ' ' || clicks FROM srg.ad_spend`:                                    "2026-03-01 12.25 4",
	} {
		if got := query(sql); got != want {
			t.Errorf("%s = %q, want %q", sql, got, want)
		}
	}

	// The sync deletes the opportunity, identity updates the person: both follow.
	for _, sql := range []string{`UPDATE crm_opportunities SET deleted = true WHERE external_id = '1'`,
		`UPDATE people SET last_seen_at = now(), email = 'ann@acme.test' WHERE id = 9`} {
		if res := scoped.Exec(sql); res.Error != nil || res.RowsAffected != 1 {
			t.Fatalf("%s: %v", sql, res.Error)
		}
	}
	res = run()
	if res.Rows[warehouse.People] != 1 || res.Rows[warehouse.AdSpend] != 0 {
		t.Errorf("second run exported %v, want only the changed person", res.Rows)
	}
	if got := query(`SELECT count(*)::text FROM srg.opportunities`); got != "0" {
		t.Errorf("%s opportunities at the destination after the deletion, want 0", got)
	}
	if got := query(`SELECT email FROM srg.people`); got != "ann@acme.test" {
		t.Errorf("person's email %q after the update", got)
	}

	// A person written by a transaction that commits after a run started: its
	// changed_at is older than that run, yet the next run must export it.
	tx := scoped.Begin()
	if err := tx.Exec(`INSERT INTO people (id, tenant_id, email, first_seen_at, last_seen_at) VALUES (10, ?, 'late@acme.test', now(), now())`, tid).Error; err != nil {
		t.Fatal(err)
	}
	if err := scoped.Exec(`UPDATE accounts SET name = 'Acme Inc' WHERE id = 7`).Error; err != nil {
		t.Fatal(err)
	}
	res = run()
	if res.Rows[warehouse.Accounts] != 0 {
		t.Errorf("a run during an open transaction exported %v: rows changed after the transaction began must wait", res.Rows)
	}
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	res = run()
	if res.Rows[warehouse.People] != 1 || res.Rows[warehouse.Accounts] != 1 {
		t.Errorf("after the commit exported %v, want the late person and the account", res.Rows)
	}
	if got := query(`SELECT string_agg(email, ',' ORDER BY id) FROM srg.people`); got != "ann@acme.test,late@acme.test" {
		t.Errorf("people at the destination: %s", got)
	}
}

// TestWarehouseExportsTheAttributionsCredits holds the export to the credit
// documents the attribution module writes (not to documents a test writes in
// their image): one row per model and touchpoint, and each model's rows sum to the
// opportunity's amount.
func TestWarehouseExportsTheAttributionsCredits(t *testing.T) {
	p, dest, tid := warehousePlatform(t)
	ctx := context.Background()
	scoped := p.DB.WithContext(db.WithTenant(ctx, tid))
	var ann int64
	if err := scoped.Raw(`INSERT INTO people (tenant_id, email, first_seen_at, last_seen_at) VALUES (?, 'ann@acme.test', now(), now()) RETURNING id`, tid).Scan(&ann).Error; err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`INSERT INTO crm_contacts (tenant_id, source, kind, external_id, email) VALUES (?, 'hubspot', 'contact', 'c1', 'ann@acme.test')`,
		`INSERT INTO crm_opportunities (tenant_id, source, external_id, amount, currency, is_won, is_closed, created_date, close_date)
			VALUES (?, 'hubspot', 'o1', 900, 'EUR', true, true, now() - interval '2 days', current_date)`,
		`INSERT INTO crm_opportunity_contacts (tenant_id, source, opportunity_external_id, contact_external_id) VALUES (?, 'hubspot', 'o1', 'c1')`,
	} {
		if err := scoped.Exec(sql, tid).Error; err != nil {
			t.Fatal(err)
		}
	}
	var docs []search.Doc
	for i, channel := range []string{"Organic Search", "Paid Search", "Email"} {
		at := time.Now().UTC().Add(-time.Duration(10-i) * 24 * time.Hour).Format(time.RFC3339)
		src, _ := json.Marshal(map[string]any{"event_id": fmt.Sprint("t", i), "tenant": "acme", "type": "pageview", "session_start": true,
			"channel": channel, "person_id": fmt.Sprint(ann), "occurred_at": at, "received_at": at, "updated_at": at, "is_bot": false})
		docs = append(docs, search.Doc{Tenant: "acme", Kind: search.Touchpoints, ID: fmt.Sprint("t", i), Source: src})
	}
	if _, err := p.Search.BulkCreate(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if err := p.Search.Refresh(ctx, "acme", search.Touchpoints); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Attribution.Service().Recompute(ctx, tid, "acme", true); err != nil {
		t.Fatal(err)
	}
	if err := p.Search.Refresh(ctx, "acme", search.Credits); err != nil {
		t.Fatal(err)
	}

	svc := p.Warehouse.Service()
	creds, _ := json.Marshal(map[string]string{"url": dest})
	d, err := svc.Save(ctx, tid, "acme", 0, warehouse.SaveInput{Name: "dw", Kind: warehouse.KindPostgres, Credentials: creds,
		Datasets: []string{warehouse.Credits}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	res, err := svc.RunNow(ctx, tid, d.ID, nil, "test")
	if err != nil || res.Status != warehouse.RunOK || res.Rows[warehouse.Credits] == 0 {
		t.Fatalf("run: %+v %v", res, err)
	}
	conn, err := pgx.Connect(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT model, count(*), sum(amount), sum(fraction), min(model_version), min(opportunity_id), min(currency), min(opportunity_amount)
		FROM srg.credits GROUP BY model ORDER BY model`)
	if err != nil {
		t.Fatal(err)
	}
	type perModel struct {
		model, version, opportunity, currency string
		rows                                  int
		amount, fraction, oppAmount           float64
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (perModel, error) {
		var m perModel
		err := r.Scan(&m.model, &m.rows, &m.amount, &m.fraction, &m.version, &m.opportunity, &m.currency, &m.oppAmount)
		return m, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 5 {
		t.Fatalf("credits of %d models exported, want every default model", len(got))
	}
	for _, m := range got {
		if m.rows < 1 || m.rows > 3 || math.Abs(m.amount-900) > 1e-6 || math.Abs(m.fraction-1) > 1e-6 ||
			m.version == "" || m.opportunity == "" || m.currency != "EUR" || m.oppAmount != 900 {
			t.Errorf("model %s: %+v, want up to 3 rows summing to 900 EUR (fractions to 1) with a version", m.model, m)
		}
	}
}
