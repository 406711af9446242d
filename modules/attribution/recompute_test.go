package attribution_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/modules/attribution"
)

// store is the app's adapter, rebuilt here: credits go to the real index.
type store struct{ *search.Client }

func (s store) WriteCredits(ctx context.Context, tenant string, credits []attribution.Credit) error {
	docs := make([]search.Doc, len(credits))
	for i, c := range credits {
		docs[i] = search.Doc{Tenant: tenant, Kind: search.Credits, ID: c.ID, Source: c.Source}
	}
	errs, err := s.BulkIndex(ctx, docs)
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return err
}

func (s store) DeleteCredits(ctx context.Context, tenant string, ids []string) error {
	docs := make([]search.Doc, len(ids))
	for i, id := range ids {
		docs[i] = search.Doc{Tenant: tenant, Kind: search.Credits, ID: id}
	}
	_, err := s.BulkDelete(ctx, docs)
	return err
}

type env struct {
	cfg    config.Config
	db     *gorm.DB
	es     *search.Client
	svc    *attribution.Service
	tenant int64
}

func newEnv(t *testing.T) *env {
	ctx := context.Background()
	e := &env{cfg: apptest.Config(t)}
	e.db = apptest.DB(t, e.cfg)
	e.es = apptest.Search(t, e.cfg)
	if err := e.es.EnsureTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Raw(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id`).Scan(&e.tenant).Error; err != nil {
		t.Fatal(err)
	}
	var ann, bob int64
	e.scan(t, &ann, `INSERT INTO people (tenant_id, email, first_seen_at, last_seen_at) VALUES (?, 'ann@acme.com', now(), now()) RETURNING id`, e.tenant)
	// Bob was identified on 3 March and has no opportunity: a lead conversion.
	e.scan(t, &bob, `INSERT INTO people (tenant_id, email, first_seen_at, last_seen_at, created_at) VALUES (?, 'bob@else.com', now(), now(), '2026-03-03T00:00:00Z') RETURNING id`, e.tenant)
	e.exec(t, `INSERT INTO crm_contacts (tenant_id, source, kind, external_id, email) VALUES (?, 'hubspot', 'contact', 'c1', 'Ann@acme.com')`, e.tenant)
	e.exec(t, `INSERT INTO crm_opportunities (tenant_id, source, external_id, amount, currency, is_won, is_closed, created_date, close_date)
		VALUES (?, 'hubspot', 'o1', 1000, 'EUR', true, true, '2026-03-10T00:00:00Z', '2026-03-20')`, e.tenant)
	e.exec(t, `INSERT INTO crm_opportunity_contacts (tenant_id, source, opportunity_external_id, contact_external_id) VALUES (?, 'hubspot', 'o1', 'c1')`, e.tenant)
	touch := func(id string, person int64, typ string, start bool, channel, at string) search.Doc {
		src, _ := json.Marshal(map[string]any{"event_id": id, "tenant": "acme", "type": typ, "session_start": start, "channel": channel,
			"person_id": fmt.Sprint(person), "occurred_at": at, "received_at": at, "url": "https://acme.com/" + id, "is_bot": false})
		return search.Doc{Tenant: "acme", Kind: search.Touchpoints, ID: id, Source: src}
	}
	docs := []search.Doc{
		touch("t1", ann, "pageview", true, "Organic Search", "2026-03-01T10:00:00Z"),
		touch("t2", ann, "pageview", false, "Organic Search", "2026-03-01T10:05:00Z"), // not a session's first: does not count
		touch("t3", ann, "form", false, "Paid Search", "2026-03-05T09:00:00Z"),
		touch("t4", ann, "pageview", true, "Direct", "2026-03-15T08:00:00Z"),
		touch("t0", ann, "pageview", true, "Email", "2025-10-01T08:00:00Z"), // before the 90-day lookback
		touch("b1", bob, "pageview", true, "Referral", "2026-03-02T08:00:00Z"),
	}
	if _, err := e.es.BulkCreate(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if err := e.es.Refresh(ctx, "acme", search.Touchpoints); err != nil {
		t.Fatal(err)
	}
	e.svc = attribution.NewService(e.db, store{e.es}, apptest.Logger(t))
	return e
}

// asAcme is the database under acme's scope, for the fixture's own statements.
func (e *env) asAcme() *gorm.DB {
	return e.db.WithContext(db.WithTenant(context.Background(), e.tenant))
}

// exec runs a fixture statement as acme.
func (e *env) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if err := e.asAcme().Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// scan runs a fixture statement as acme and scans what it returns into dst.
func (e *env) scan(t *testing.T, dst any, sql string, args ...any) {
	t.Helper()
	if err := e.asAcme().Raw(sql, args...).Scan(dst).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// credits reads the credits index: model → touchpoint → amount.
func (e *env) credits(t *testing.T) map[string]map[string]float64 {
	ctx := context.Background()
	if err := e.es.Refresh(ctx, "acme", search.Credits); err != nil {
		t.Fatal(err)
	}
	url := strings.TrimRight(e.cfg.Elasticsearch.URL, "/") + "/" + e.es.IndexName("acme", search.Credits) + "/_search?size=1000"
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Hits struct {
			Hits []struct {
				Source struct {
					Touches []struct {
						TouchpointID string             `json:"touchpoint_id"`
						Credit       map[string]float64 `json:"credit"`
					} `json:"touches"`
				} `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for _, h := range body.Hits.Hits {
		for _, tc := range h.Source.Touches {
			for m, amount := range tc.Credit {
				if out[m] == nil {
					out[m] = map[string]float64{}
				}
				out[m][tc.TouchpointID] += amount
			}
		}
	}
	return out
}

func TestRecomputeCreditsJourneys(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	res, err := e.svc.Recompute(ctx, e.tenant, "acme", false)
	if err != nil || !res.Full || res.Changed != 2 {
		t.Fatalf("first recompute = %+v, %v", res, err)
	}
	got := e.credits(t)
	// W-shaped: t1 first touch 30%; t3 is both the lead creation (form) and the last
	// touch before the opportunity was created, 30% + 30%; t4 shares the last 10%.
	want := map[string]float64{"t1": 300, "t3": 600, "t4": 100}
	for id, amount := range want {
		if math.Abs(got["w_shaped"][id]-amount) > 1e-6 {
			t.Fatalf("w_shaped credits = %v, want %v", got["w_shaped"], want)
		}
	}
	// Bob's lead conversion is one conversion, credited to his only touch.
	if got["w_shaped"]["b1"] != 1 {
		t.Fatalf("lead conversion credits = %v", got["w_shaped"])
	}
	delete(got["w_shaped"], "b1")
	if len(got["w_shaped"]) != 3 {
		t.Fatalf("w_shaped credited %v", got["w_shaped"])
	}
	if got["last_non_direct"]["t3"] != 1000 || got["first_touch"]["t1"] != 1000 || got["last_touch"]["t4"] != 1000 {
		t.Fatalf("single-touch models = %v %v %v", got["first_touch"], got["last_touch"], got["last_non_direct"])
	}
	for name, byTouch := range got {
		sum := 0.0
		for id, a := range byTouch {
			if id != "b1" {
				sum += a
			}
		}
		if math.Abs(sum-1000) > 1e-6 {
			t.Errorf("%s credits sum to %v", name, sum)
		}
	}
	// Markov and Shapley learn from Ann's converting journey and Bob's that did not
	// convert: each of Ann's three channels is needed for her conversion.
	for _, m := range []string{"markov", "shapley"} {
		if math.Abs(got[m]["t1"]-1000.0/3) > 1e-6 || math.Abs(got[m]["t4"]-1000.0/3) > 1e-6 {
			t.Fatalf("%s credits = %v", m, got[m])
		}
	}
	if len(got) != 14 {
		t.Fatalf("%d models computed", len(got))
	}

	res, err = e.svc.Recompute(ctx, e.tenant, "acme", false)
	if err != nil || res.Full || res.Changed != 0 {
		t.Fatalf("recompute with no change = %+v, %v", res, err)
	}
	// A full run reads every journey again, and writes none that did not change.
	res, err = e.svc.Recompute(ctx, e.tenant, "acme", true)
	if err != nil || !res.Full || res.Changed != 0 {
		t.Fatalf("full recompute with no change = %+v, %v", res, err)
	}

	// The amount changes in the CRM: only that opportunity is recomputed.
	e.exec(t, `UPDATE crm_opportunities SET amount = 2000, synced_at = now() WHERE external_id = 'o1'`)
	res, err = e.svc.Recompute(ctx, e.tenant, "acme", false)
	if err != nil || res.Full || res.Changed != 1 {
		t.Fatalf("recompute after a change = %+v, %v", res, err)
	}
	if got := e.credits(t); got["w_shaped"]["t3"] != 1200 || got["w_shaped"]["b1"] != 1 {
		t.Fatalf("after the amount change: %v", got["w_shaped"])
	}

	// Bob becomes a contact of the opportunity: his lead conversion's credits go, and
	// his touch joins the opportunity's journey.
	e.exec(t, `INSERT INTO crm_contacts (tenant_id, source, kind, external_id, email) VALUES (?, 'hubspot', 'contact', 'c2', 'bob@else.com')`, e.tenant)
	e.exec(t, `INSERT INTO crm_opportunity_contacts (tenant_id, source, opportunity_external_id, contact_external_id) VALUES (?, 'hubspot', 'o1', 'c2')`, e.tenant)
	e.exec(t, `UPDATE crm_opportunities SET synced_at = now() WHERE external_id = 'o1'`)
	if res, err = e.svc.Recompute(ctx, e.tenant, "acme", false); err != nil || res.Changed != 2 || res.Deleted != 1 {
		t.Fatalf("recompute after Bob joined = %+v, %v", res, err)
	}
	if got := e.credits(t); got["linear"]["b1"] != 2000.0/4 {
		t.Fatalf("after Bob joined the opportunity: %v", got["linear"])
	}

	// New settings: only form fills count, with one model. Everything is recomputed,
	// each document replaced whole: credits that no longer apply go with it.
	st := attribution.DefaultSettings()
	st.Types = []string{"form"}
	st.DefaultModel, st.Models = "linear", nil
	if err := e.svc.SetSettings(ctx, e.tenant, st, "test"); err != nil {
		t.Fatal(err)
	}
	// Under another tenant's scope (its request handing acme's id), the settings are
	// not there to read, and cannot be written.
	other := db.WithTenant(ctx, e.tenant+1)
	if seen, _, err := e.svc.Settings(other, e.tenant); err != nil || seen.DefaultModel != attribution.DefaultSettings().DefaultModel {
		t.Fatalf("acme's settings read under another tenant's scope = %+v, %v; want the defaults", seen, err)
	}
	if err := e.svc.SetSettings(other, e.tenant, attribution.DefaultSettings(), "test"); err == nil {
		t.Fatal("acme's settings written under another tenant's scope")
	}
	res, err = e.svc.Recompute(ctx, e.tenant, "acme", false)
	if err != nil || !res.Full || res.Deleted != 0 {
		t.Fatalf("recompute after new settings = %+v, %v", res, err)
	}
	got = e.credits(t)
	if len(got) != 1 || len(got["linear"]) != 1 || got["linear"]["t3"] != 2000 { // Bob's page view no longer counts
		t.Fatalf("credits after new settings = %v", got)
	}
}

func TestSettingsValidation(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*attribution.Settings)
		field string
	}{
		{"unknown default model", func(s *attribution.Settings) { s.DefaultModel = "magic" }, "default_model"},
		{"unknown model", func(s *attribution.Settings) { s.Models = []string{"linear", "nope"} }, "models"},
		{"lookback", func(s *attribution.Settings) { s.LookbackDays = 0 }, "lookback_days"},
		{"no types", func(s *attribution.Settings) { s.Types = nil }, "touchpoint_types"},
		{"bad type", func(s *attribution.Settings) { s.Types = []string{"click"} }, "touchpoint_types"},
		{"half-life", func(s *attribution.Settings) { s.HalfLifeDays = -1 }, "half_life_days"},
		{"custom weights", func(s *attribution.Settings) { s.Custom.Middle = -1 }, "custom.middle"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := attribution.DefaultSettings()
			c.edit(&s)
			err := s.Validate()
			if err == nil || errs.FieldOf(err) != c.field {
				t.Fatalf("err = %v, want one naming %s", err, c.field)
			}
		})
	}
	if err := attribution.DefaultSettings().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}
