package search_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/search"
)

// Reads span several pages: every hit comes back once, in order.
func TestPagedReadsReturnEveryHitOnce(t *testing.T) {
	ctx := context.Background()
	c := apptest.Search(t, apptest.Config(t))
	if err := c.EnsureTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	defer search.SetPageSize(4)()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var docs []search.Doc
	var wantTouches []string
	for i := range 23 {
		id := fmt.Sprintf("e%02d", i)
		src, _ := json.Marshal(map[string]any{"event_id": id, "tenant": "acme", "type": "pageview", "person_id": fmt.Sprint(i % 2),
			"occurred_at": start.Add(time.Duration(i) * time.Minute), "received_at": start, "is_bot": false})
		docs = append(docs, search.Doc{Tenant: "acme", Kind: search.Touchpoints, ID: id, Source: src})
		wantTouches = append(wantTouches, id)
	}
	for id, extra := range map[string]string{"bot": `"person_id":"0","is_bot":true`, "anon": `"is_bot":false`} {
		docs = append(docs, search.Doc{Tenant: "acme", Kind: search.Touchpoints, ID: id, Source: []byte(`{"event_id":"` + id +
			`","tenant":"acme","type":"pageview","occurred_at":"2026-03-01T00:01:00Z","received_at":"2026-03-01T00:01:00Z",` + extra + `}`)})
	}
	if errs, err := c.BulkIndex(ctx, docs); err != nil || slices.ContainsFunc(errs, func(e error) bool { return e != nil }) {
		t.Fatalf("index: %v %v", err, errs)
	}
	if err := c.Refresh(ctx, "acme", search.Touchpoints); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := c.PeopleTouchpoints(ctx, "acme", []string{"0", "1"}, start, start.Add(time.Hour), appendEventID(&got))
	if err != nil || !slices.Equal(got, wantTouches) {
		t.Fatalf("touchpoints = %v, %v; want %v", got, err, wantTouches)
	}
	// Each slice is read by its own function, from its own goroutine.
	var mu sync.Mutex
	var parts []*[]string
	err = c.IdentifiedTouchpointsBetween(ctx, "acme", start.Add(2*time.Minute), start.Add(13*time.Minute), func() func(json.RawMessage) error {
		mu.Lock()
		defer mu.Unlock()
		parts = append(parts, new([]string))
		return appendEventID(parts[len(parts)-1])
	})
	got = got[:0]
	for _, p := range parts {
		got = append(got, *p...)
	}
	slices.Sort(got)
	if err != nil || !slices.Equal(got, wantTouches[2:13]) || len(parts) != 2 {
		t.Fatalf("touchpoints between = %v in %d parts, %v; want %v in 2", got, len(parts), err, wantTouches[2:13])
	}
	// A callback's error ends the read and is returned.
	stop := errors.New("stop")
	var calls atomic.Int32
	err = c.IdentifiedTouchpointsBetween(ctx, "acme", start, start.Add(time.Hour), func() func(json.RawMessage) error {
		return func(json.RawMessage) error {
			calls.Add(1)
			return stop
		}
	})
	if !errors.Is(err, stop) || calls.Load() > 2 {
		t.Fatalf("read ended by its callback: err %v after %d calls", err, calls.Load())
	}
}

// appendEventID returns a callback that appends each touchpoint's event id to ids.
func appendEventID(ids *[]string) func(json.RawMessage) error {
	return func(doc json.RawMessage) error {
		var d struct {
			EventID string `json:"event_id"`
		}
		if err := json.Unmarshal(doc, &d); err != nil {
			return err
		}
		*ids = append(*ids, d.EventID)
		return nil
	}
}
