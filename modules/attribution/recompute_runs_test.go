package attribution_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/modules/attribution"
)

// A credit index created after the last run (an upgrade rebuilt it empty) makes
// the next run a full one that writes every opportunity's credits again, though
// no journey changed.
func TestRecomputeAfterCreditIndexRebuilt(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if res, err := e.svc.Recompute(ctx, e.tenant, "acme", false); err != nil || !res.Full || res.Changed != 2 {
		t.Fatalf("first recompute = %+v, %v", res, err)
	}
	want := e.credits(t)
	e.recreateCreditIndex(t)
	again, err := e.svc.Recompute(ctx, e.tenant, "acme", false)
	if err != nil || !again.Full || again.Changed != 2 || again.Deleted != 0 {
		t.Fatalf("recompute over the rebuilt index = %+v, %v", again, err)
	}
	if got := e.credits(t); !maps.EqualFunc(got, want, maps.Equal) {
		t.Fatalf("credits after the rebuild = %v, want %v", got, want)
	}
	if res, err := e.svc.Recompute(ctx, e.tenant, "acme", false); err != nil || res.Full || res.Changed != 0 {
		t.Fatalf("the next recompute = %+v, %v", res, err)
	}
}

// The module fills a credit index EnsureTenant just created without waiting for
// the next tick, and starts nothing once closed.
func TestCreditsIndexCreatedRecomputes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.svc.Recompute(ctx, e.tenant, "acme", false); err != nil {
		t.Fatal(err)
	}
	want := e.credits(t)
	m := attribution.New(attribution.Deps{DB: e.db, Store: store{e.es}, Tenants: oneTenant{e.tenant}, Log: apptest.Logger(t)})
	e.es.OnIndexCreated(search.Credits, m.CreditsIndexCreated)
	e.recreateCreditIndex(t)
	var got map[string]map[string]float64
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got = e.credits(t); maps.EqualFunc(got, want, maps.Equal) {
			break
		}
	}
	if !maps.EqualFunc(got, want, maps.Equal) {
		t.Fatalf("credits after the index was created = %v, want %v", got, want)
	}
	m.CreditsIndexCreated("nobody") // logged, nothing started
	m.Close()
	m.CreditsIndexCreated("acme")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// recreateCreditIndex deletes the credit index and has EnsureTenant create it.
func (e *env) recreateCreditIndex(t *testing.T) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, strings.TrimRight(e.cfg.Elasticsearch.URL, "/")+"/"+e.es.IndexName("acme", search.Credits), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("delete the credit index: %s", res.Status)
	}
	if err := e.es.EnsureTenant(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
}

// watchedWrites is the store noting the credit index's settings at each write,
// and failing the writes when fail is set. A run writes its chunks in parallel.
type watchedWrites struct {
	store
	fail bool
	mu   *sync.Mutex
	seen *[]map[string]string
}

func (w watchedWrites) WriteCredits(ctx context.Context, tenant string, credits []attribution.Credit) error {
	got, err := w.IndexSettings(ctx, tenant, search.Credits, "refresh_interval", "translog.durability")
	if err != nil {
		return err
	}
	w.mu.Lock()
	*w.seen = append(*w.seen, got)
	w.mu.Unlock()
	if w.fail {
		return errors.New("disk full")
	}
	return w.store.WriteCredits(ctx, tenant, credits)
}

// A full run writes with the credit index in bulk-load mode and puts it back, also
// when writing fails.
func TestFullRecomputeBulkLoads(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	names := []string{"refresh_interval", "translog.durability"}
	resting, err := e.es.IndexSettings(ctx, "acme", search.Credits, names...)
	if err != nil {
		t.Fatal(err)
	}
	loading := map[string]string{"refresh_interval": "-1", "translog.durability": "async"}
	// The failed run saves no state, so the next one has everything to write.
	for _, fail := range []bool{true, false} {
		var seen []map[string]string
		svc := attribution.NewService(e.db, watchedWrites{store: store{e.es}, fail: fail, mu: new(sync.Mutex), seen: &seen}, apptest.Logger(t))
		if _, err := svc.Recompute(ctx, e.tenant, "acme", true); (err != nil) != fail {
			t.Fatalf("recompute (failing writes: %t): %v", fail, err)
		}
		if len(seen) == 0 || !maps.Equal(seen[0], loading) {
			t.Fatalf("failing writes %t: settings while writing %v, want %v", fail, seen, loading)
		}
		if got, err := e.es.IndexSettings(ctx, "acme", search.Credits, names...); err != nil || !maps.Equal(got, resting) {
			t.Fatalf("failing writes %t: after the run %v (%v), want %v", fail, got, err, resting)
		}
	}
}

// An incremental run finds a lead conversion whose person got an opportunity
// through a new contact role of a contact synced long ago, the opportunity
// alone synced since: the lead's credits go.
func TestIncrementalRecomputeFormerLeadByNewRole(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if res, err := e.svc.Recompute(ctx, e.tenant, "acme", false); err != nil || !res.Full {
		t.Fatalf("first recompute = %+v, %v", res, err)
	}
	if got := e.credits(t); got["linear"]["b1"] != 1 {
		t.Fatalf("Bob's lead conversion: %v", got["linear"])
	}
	e.exec(t, `INSERT INTO crm_contacts (tenant_id, source, kind, external_id, email, synced_at) VALUES (?, 'hubspot', 'contact', 'c2', 'bob@else.com', '2020-01-01')`, e.tenant)
	if res, err := e.svc.Recompute(ctx, e.tenant, "acme", false); err != nil || res.Full || res.Changed != 0 {
		t.Fatalf("recompute after an old contact without a role = %+v, %v", res, err)
	}
	e.exec(t, `INSERT INTO crm_opportunity_contacts (tenant_id, source, opportunity_external_id, contact_external_id) VALUES (?, 'hubspot', 'o1', 'c2')`, e.tenant)
	e.exec(t, `UPDATE crm_opportunities SET synced_at = now() WHERE external_id = 'o1'`)
	if res, err := e.svc.Recompute(ctx, e.tenant, "acme", false); err != nil || res.Full || res.Changed != 2 {
		t.Fatalf("recompute after the new role = %+v, %v", res, err)
	}
	if got := e.credits(t); got["linear"]["b1"] != 1000.0/4 {
		t.Fatalf("after Bob joined the opportunity: %v", got["linear"])
	}
}

// Touchpoints received since the last run bring their people's opportunities and
// lead conversions into an incremental run (and, as it looks back a minute for
// late ones, those of the run before), and nothing else changes.
func TestIncrementalRecomputeNewTouches(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if res, err := e.svc.Recompute(ctx, e.tenant, "acme", false); err != nil || !res.Full {
		t.Fatalf("first recompute = %+v, %v", res, err)
	}
	var ann, bob string
	e.scan(t, &ann, `SELECT id::text FROM people WHERE email = 'ann@acme.com'`)
	e.scan(t, &bob, `SELECT id::text FROM people WHERE email = 'bob@else.com'`)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	late := func(id, person, at string) search.Doc {
		return search.Doc{Tenant: "acme", Kind: search.Touchpoints, ID: id, Source: []byte(`{"event_id":"` + id + `","tenant":"acme","type":"pageview",` +
			`"session_start":true,"channel":"Email","person_id":"` + person + `","occurred_at":"` + at + `","received_at":"` + now + `","is_bot":false}`)}
	}
	for _, c := range []struct {
		name    string
		docs    []search.Doc
		changed int
		credit  string
	}{
		{"Ann's late touch", []search.Doc{late("t5", ann, "2026-03-16T08:00:00Z")}, 1, "t5"},
		{"Bob's late touch", []search.Doc{late("b2", bob, "2026-03-02T09:00:00Z")}, 1, "b2"},
		{"an unknown person's touch", []search.Doc{late("x1", "999999", "2026-03-02T09:00:00Z")}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if errs, err := e.es.BulkCreate(ctx, c.docs); err != nil || errs[0] != nil {
				t.Fatalf("index: %v %v", err, errs)
			}
			if err := e.es.Refresh(ctx, "acme", search.Touchpoints); err != nil {
				t.Fatal(err)
			}
			res, err := e.svc.Recompute(ctx, e.tenant, "acme", false)
			if err != nil || res.Full || res.Changed != c.changed {
				t.Fatalf("recompute = %+v, %v", res, err)
			}
			if got := e.credits(t); c.credit != "" && got["linear"][c.credit] == 0 {
				t.Fatalf("%s not credited: %v", c.credit, got["linear"])
			}
		})
	}
}
