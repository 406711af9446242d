package warehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/bench"
)

// faultyIndex serves the generated touchpoints, one of them malformed or the read
// failing at one.
type faultyIndex struct {
	*bench.ExportTenant
	bad, failAt int
	read        int
}

func (f *faultyIndex) ChangedTouchpoints(ctx context.Context, tenant string, afterAt time.Time, afterID string, until time.Time,
	fn func(json.RawMessage, time.Time) error) error {
	return f.ExportTenant.ChangedTouchpoints(ctx, tenant, afterAt, afterID, until, func(raw json.RawMessage, at time.Time) error {
		f.read++
		switch f.read - 1 {
		case f.failAt:
			return errors.New("index: connection reset")
		case f.bad:
			raw = json.RawMessage(`{"event_id":"x","is_bot":"yes"}`)
		}
		return fn(raw, at)
	})
}

// A failure anywhere in the decoding pipeline (a document, the writer, the read)
// ends the read with that error, after the batches before it were handed on in
// order.
func TestDecodingPipelineFailures(t *testing.T) {
	const docs = 4 * 10000
	tests := []struct {
		name        string
		bad, failAt int
		failBatch   int
		want        string
		batches     int
	}{
		{"a malformed document", pageSize + 7, -1, -1, "warehouse: touchpoint: is_bot", 1},
		{"the writer fails", -1, -1, 1, "destination: disk full", 1},
		{"the read fails", -1, 2*pageSize + 1, -1, "index: connection reset", 2},
	}
	for _, tt := range tests {
		for _, files := range []bool{true, false} {
			t.Run(tt.name+map[bool]string{true: " (files)", false: " (postgres)"}[files], func(t *testing.T) {
				g := generated(docs)
				idx := &faultyIndex{ExportTenant: g, bad: tt.bad, failAt: tt.failAt}
				sc := &scope{tenant: "bench", until: g.Start.Add(time.Hour)}
				if files {
					sc.values = newValuePool()
				}
				var marks []string
				err := sources{index: idx}.touchpoints(context.Background(), sc, func(b *Batch) error {
					if len(marks) == tt.failBatch {
						return errors.New("destination: disk full")
					}
					marks = append(marks, b.Mark.ID)
					if b.len() != pageSize {
						t.Errorf("batch of %d rows, want %d", b.len(), pageSize)
					}
					return nil
				})
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want %q", err, tt.want)
				}
				if len(marks) != tt.batches {
					t.Fatalf("%d batches handed on (%v), want %d", len(marks), marks, tt.batches)
				}
				for i, m := range marks {
					if want := fmt.Sprintf("e%09d", (i+1)*pageSize-1); m != want {
						t.Errorf("batch %d ends at %s, want %s", i, m, want)
					}
				}
				if idx.read == docs {
					t.Errorf("the read went on to the end after the failure")
				}
			})
		}
	}
}
