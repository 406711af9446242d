package syncer_test

import (
	"context"
	"encoding/json"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/app/secrets"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/synctest"

	syncer "github.com/srgplatform/srg/modules/sync"
)

// fakeCRM is a source that is also a CRM taking touchpoints, idempotently by id.
type fakeCRM struct {
	mu      gosync.Mutex
	records map[string]connector.Touchpoint
	calls   int
}

func (f *fakeCRM) Pull(context.Context, connector.Run) error { return nil }
func (f *fakeCRM) MaxBatch() int                             { return 2 }

func (f *fakeCRM) Write(_ context.Context, tps []connector.Touchpoint) ([]connector.WriteResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	out := make([]connector.WriteResult, len(tps))
	for i, tp := range tps {
		_, existed := f.records[tp.ID]
		f.records[tp.ID] = tp
		out[i] = connector.WriteResult{ID: tp.ID, ExternalID: "ext-" + tp.ID, Created: !existed}
	}
	return out, nil
}

type searchTouchpoints struct{ c *search.Client }

func (s searchTouchpoints) Identified(ctx context.Context, tenant string, personIDs []string, from, to time.Time, after string, size int) ([]json.RawMessage, string, error) {
	return s.c.IdentifiedTouchpoints(ctx, tenant, search.TouchpointQuery{PersonIDs: personIDs, ReceivedFrom: from, ReceivedTo: to}, after, size)
}

func TestWritebackWritesKnownPeopleOnce(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	db := apptest.DB(t, cfg)
	es := apptest.Search(t, cfg)
	if err := es.EnsureTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	var tenant, known, unknown, later int64
	db.Raw(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id`).Scan(&tenant)
	acme := synctest.AsTenant(db, tenant)
	for _, p := range []struct {
		email string
		id    *int64
	}{{"ann@acme.com", &known}, {"bob@other.com", &unknown}, {"cy@acme.com", &later}} {
		acme.Raw(`INSERT INTO people (tenant_id, email, first_seen_at, last_seen_at) VALUES (?, ?, now(), now()) RETURNING id`, tenant, p.email).Scan(p.id)
	}
	// Ann is a contact with an opportunity; Bob is not in the CRM.
	acme.Exec(`INSERT INTO crm_contacts (tenant_id, source, kind, external_id, email) VALUES (?, 'hubspot', 'contact', 'c1', 'ANN@acme.com')`, tenant)
	acme.Exec(`INSERT INTO crm_opportunities (tenant_id, source, external_id) VALUES (?, 'hubspot', 'o1')`, tenant)
	acme.Exec(`INSERT INTO crm_opportunity_contacts (tenant_id, source, opportunity_external_id, contact_external_id) VALUES (?, 'hubspot', 'o1', 'c1')`, tenant)

	received := time.Now().Add(-time.Minute).UTC()
	var docs []search.Doc
	add := func(id string, person int64) {
		src, _ := json.Marshal(map[string]any{"event_id": id, "tenant": "acme", "type": "pageview", "person_id": fmt.Sprint(person),
			"occurred_at": received, "received_at": received, "url": "https://acme.com/" + id, "channel": "Organic Search"})
		docs = append(docs, search.Doc{Tenant: "acme", Kind: search.Touchpoints, ID: id, Source: src})
	}
	for i := range 5 {
		add(fmt.Sprintf("ann-%d", i), known)
	}
	add("bob-0", unknown)
	add("cy-0", later)
	if _, err := es.BulkCreate(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if err := es.Refresh(ctx, "acme", search.Touchpoints); err != nil {
		t.Fatal(err)
	}

	crm := &fakeCRM{records: map[string]connector.Touchpoint{}}
	box, _ := secrets.New(apptest.NewKey())
	svc := syncer.NewService(syncer.ServiceDeps{DB: db, Box: box, Log: apptest.Logger(t), Touchpoints: searchTouchpoints{es},
		Writeback: syncer.WritebackOptions{Settle: time.Second},
		Factories: map[connector.Kind]syncer.Factory{connector.HubSpot: func(connector.Config) (connector.Puller, error) { return crm, nil }}})
	if _, err := svc.Connect(ctx, tenant, syncer.ConnectInput{Kind: connector.HubSpot, Credentials: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	run := func() syncer.RunResult {
		res, err := svc.RunNow(ctx, tenant, connector.HubSpot)
		if err != nil || res.Writeback == nil || res.Writeback.Status != "ok" {
			t.Fatalf("run = %+v, %v", res, err)
		}
		return *res.Writeback
	}
	first := run()
	if first.Counts["touchpoint_created"] != 5 {
		t.Fatalf("first write-back counts = %v", first.Counts)
	}
	second := run()
	if len(crm.records) != 5 || second.Counts["touchpoint_created"] != 0 {
		t.Fatalf("second run: %d records, counts %v", len(crm.records), second.Counts)
	}
	tp := crm.records["ann-0"]
	if tp.ContactID != "c1" || !cmp.Equal(tp.OpportunityIDs, []string{"o1"}) || tp.Email != "ann@acme.com" || tp.Channel != "Organic Search" {
		t.Fatalf("written touchpoint = %+v", tp)
	}

	// Cy appears in the CRM later: the mirror queues her whole history.
	r, err := svc.Connector(ctx, tenant, connector.HubSpot)
	if err != nil {
		t.Fatal(err)
	}
	if err := acme.Exec(`INSERT INTO writeback_queue (connector_id, person_id)
		SELECT ?, id FROM people WHERE email = 'cy@acme.com'`, r.ID).Error; err != nil {
		t.Fatal(err)
	}
	acme.Exec(`INSERT INTO crm_contacts (tenant_id, source, kind, external_id, email) VALUES (?, 'hubspot', 'lead', 'l9', 'cy@acme.com')`, tenant)
	third := run()
	if _, ok := crm.records["cy-0"]; !ok || third.Counts["touchpoint_created"] != 1 {
		t.Fatalf("queued person not written: counts %v", third.Counts)
	}
	if crm.records["cy-0"].LeadID != "l9" {
		t.Fatalf("lead id = %q", crm.records["cy-0"].LeadID)
	}
	if _, ok := crm.records["bob-0"]; ok {
		t.Fatal("a person unknown to the CRM was written")
	}
	var queued int
	db.Raw(`SELECT count(*) FROM writeback_queue`).Scan(&queued)
	if queued != 0 {
		t.Fatalf("%d people left in the queue", queued)
	}
}
