package bench

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"
)

// The generated documents are valid JSON with the fields the export reads.
func TestExportTenantDocuments(t *testing.T) {
	g := &ExportTenant{Touchpoints: 20, Models: []string{"linear", "first_touch"}, Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	var events []string
	err := g.ChangedTouchpoints(context.Background(), "bench", time.Time{}, "", g.touchAt(11), func(src json.RawMessage, at time.Time) error {
		var d struct {
			EventID   string    `json:"event_id"`
			UpdatedAt time.Time `json:"updated_at"`
			VisitorID string    `json:"visitor_id"`
			Channel   string    `json:"channel"`
		}
		if err := json.Unmarshal(src, &d); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if !d.UpdatedAt.Equal(at) || d.VisitorID == "" || d.Channel == "" {
			t.Fatalf("document %s, updated at %s", src, at)
		}
		events = append(events, d.EventID)
		return nil
	})
	if err != nil || len(events) != 12 || events[0] != "e000000000" || events[11] != "e000000011" {
		t.Fatalf("touchpoints up to the 12th: %v %v", events, err)
	}
	n := 0
	err = g.CreditsOf(context.Background(), "bench", []string{"o0000001"}, func(src json.RawMessage) error {
		var d struct {
			OpportunityID string `json:"opportunity_id"`
			Touches       []struct {
				CreditID  string             `json:"credit_id"`
				Credit    map[string]float64 `json:"credit"`
				Fractions map[string]float64 `json:"fractions"`
			} `json:"touches"`
		}
		if err := json.Unmarshal(src, &d); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if d.OpportunityID != "o0000001" || len(d.Touches) != touchesPerOpportunity || d.Touches[0].CreditID != "o0000001/e000000010" {
			t.Fatalf("credit document %s", src)
		}
		for _, c := range d.Touches {
			if math.Abs(c.Credit["linear"]-100.1) > 1e-9 || c.Fractions["first_touch"] != 0.1 {
				t.Fatalf("touch %+v of %s", c, src)
			}
		}
		n++
		return nil
	})
	if err != nil || n != 1 {
		t.Fatalf("%d credit documents, %v", n, err)
	}
}

// Changed opportunities page in (time, id) order after a mark, up to until.
func TestExportTenantChangedOpportunities(t *testing.T) {
	g := &ExportTenant{Touchpoints: 60, Models: []string{"linear"}, Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	_, at1 := g.ChangedOpportunity(1)
	_, at4 := g.ChangedOpportunity(4)
	tests := []struct {
		name    string
		afterAt time.Time
		afterID string
		until   time.Time
		limit   int
		want    []string
	}{
		{"from the start", time.Time{}, "", at4, 2, []string{"o0000000", "o0000001"}},
		{"after a mark", at1, "o0000001", at4, 10, []string{"o0000002", "o0000003", "o0000004"}},
		{"up to until", time.Time{}, "", at1, 10, []string{"o0000000", "o0000001"}},
		{"past the last", at4.Add(time.Hour), "", at4.Add(2 * time.Hour), 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			g.ChangedOpportunities(tt.afterAt, tt.afterID, tt.until, tt.limit, func(id string, at time.Time) {
				n, _ := strconv.Atoi(id[1:])
				if _, want := g.ChangedOpportunity(n); !at.Equal(want) {
					t.Errorf("%s changed at %s, want %s", id, at, want)
				}
				got = append(got, id)
			})
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
