package search_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/search"
)

// Touchpoints indexed before documents had updated_at get their received_at (or,
// lacking it, occurred_at) as updated_at when the tenant's indices are ensured, so
// that an export from a date after the first one finds them.
func TestEnsureTenantStampsUpdatedAt(t *testing.T) {
	ctx := context.Background()
	c := apptest.Search(t, apptest.Config(t))
	if err := c.EnsureTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	occurred := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	updated := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	docs := []search.Doc{
		{Tenant: "acme", Kind: search.Touchpoints, ID: "e1", Source: []byte(`{"event_id":"e1","received_at":"2026-03-01T10:00:00Z","occurred_at":"2026-02-28T10:00:00Z"}`)},
		{Tenant: "acme", Kind: search.Touchpoints, ID: "e2", Source: []byte(`{"event_id":"e2","occurred_at":"2026-03-02T10:00:00Z"}`)},
		{Tenant: "acme", Kind: search.Touchpoints, ID: "e3", Source: []byte(`{"event_id":"e3","received_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-03T10:00:00Z"}`)},
	}
	if errs, err := c.BulkIndex(ctx, docs); err != nil || errs[0] != nil || errs[1] != nil || errs[2] != nil {
		t.Fatalf("index: %v %v", err, errs)
	}
	if err := c.Refresh(ctx, "acme", search.Touchpoints); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Time{}
	from := received.Add(-time.Hour)
	err := c.ChangedTouchpoints(ctx, "acme", from, "", time.Now(), func(source json.RawMessage, at time.Time) error {
		var d struct {
			EventID   string    `json:"event_id"`
			UpdatedAt time.Time `json:"updated_at"`
		}
		if err := json.Unmarshal(source, &d); err != nil {
			return err
		}
		if !d.UpdatedAt.Equal(at) {
			t.Errorf("%s: updated_at %v in the document, %v in the sort", d.EventID, d.UpdatedAt, at)
		}
		got[d.EventID] = at
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"e1": received, "e2": occurred, "e3": updated}
	for id, at := range want {
		if !got[id].Equal(at) {
			t.Errorf("%s exported from %v with updated_at %v, want %v", id, from, got[id], at)
		}
	}
}
