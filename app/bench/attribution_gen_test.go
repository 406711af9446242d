package bench

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var synthNow = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)

// synthDoc is the part of a generated touchpoint the tests check.
type synthDoc struct {
	EventID      string    `json:"event_id"`
	Type         string    `json:"type"`
	OccurredAt   time.Time `json:"occurred_at"`
	ReceivedAt   time.Time `json:"received_at"`
	SessionID    string    `json:"session_id"`
	SessionStart bool      `json:"session_start"`
	PersonID     string    `json:"person_id"`
	Channel      string    `json:"channel"`
	ChannelRule  string    `json:"channel_rule"`
	UTMSource    string    `json:"utm_source"`
	UTMMedium    string    `json:"utm_medium"`
	UTMCampaign  string    `json:"utm_campaign"`
	IsBot        *bool     `json:"is_bot"`
}

// generate makes opportunity i and its touchpoint documents.
func generate(g *synthTenant, i int) (synthOpp, [][]byte) {
	var o synthOpp
	g.opportunity(i, &o)
	buf, ends := g.touchpoints(&o, nil, nil)
	var docs [][]byte
	start := 0
	for _, end := range ends {
		docs = append(docs, buf[start:end])
		start = end
	}
	return o, docs
}

func TestSynthTenantDeterministic(t *testing.T) {
	a := &synthTenant{seed: 7, opportunities: 100, now: synthNow}
	b := &synthTenant{seed: 7, opportunities: 100, now: synthNow}
	other := &synthTenant{seed: 8, opportunities: 100, now: synthNow}
	// b makes the opportunities backwards into reused buffers, as a worker of
	// indexTouchpoints does: the rows must not depend on order or on what the buffers
	// held.
	var reused synthOpp
	var buf []byte
	var ends []int
	for i := 99; i >= 0; i-- {
		wantOpp, wantDocs := generate(a, i)
		b.opportunity(i, &reused)
		buf, ends = b.touchpoints(&reused, buf[:0], ends[:0])
		if diff := cmp.Diff(wantOpp, reused, cmp.AllowUnexported(synthOpp{}, synthContact{})); diff != "" {
			t.Fatalf("opportunity %d differs between runs (-first +second):\n%s", i, diff)
		}
		if !bytes.Equal(bytes.Join(wantDocs, nil), buf) {
			t.Fatalf("touchpoints of opportunity %d differ between runs", i)
		}
		otherOpp, otherDocs := generate(other, i)
		if otherOpp.amount == wantOpp.amount && bytes.Equal(bytes.Join(otherDocs, nil), buf) {
			t.Fatalf("opportunity %d is the same under another seed", i)
		}
	}
}

// TestSynthTenantShape checks the generated tenant over 1,500 opportunities: the
// counts the benchmark's figures rest on, and that every touchpoint is a valid
// document the attribution module would read as the tracker would have written it.
func TestSynthTenantShape(t *testing.T) {
	const n = 1500
	g := &synthTenant{seed: 1, opportunities: n, now: synthNow}
	channels := map[string]string{}
	for _, c := range synthChannels {
		channels[c.name] = c.rule
	}
	var touches, contacts, closed, won, counted int
	seenEvents := map[string]bool{}
	seenChannels := map[string]int{}
	seenTypes := map[string]int{}
	for i := range n {
		o, docs := generate(g, i)
		if want := "006" + pad8(i); o.externalID != want {
			t.Fatalf("opportunity %d: external id %q, want %q", i, o.externalID, want)
		}
		if !o.created.Before(synthNow) || o.created.Before(synthNow.Add(-365*24*time.Hour)) {
			t.Fatalf("opportunity %d created %s, not in the year before %s", i, o.created, synthNow)
		}
		if o.amount < 1000 || o.amount >= 100000 {
			t.Errorf("opportunity %d: amount %v", i, o.amount)
		}
		if o.isWon && !o.isClosed {
			t.Errorf("opportunity %d won but not closed", i)
		}
		if o.isClosed {
			closed++
			if o.closeDate.Before(o.created.Add(6*24*time.Hour)) || o.closeDate.After(synthNow) {
				t.Errorf("opportunity %d: created %s, closed %s", i, o.created, o.closeDate)
			}
		}
		if o.isWon {
			won++
		}
		if len(o.contacts) < 1 || len(o.contacts) > 3 {
			t.Fatalf("opportunity %d has %d contacts", i, len(o.contacts))
		}
		contacts += len(o.contacts)
		if len(docs) < 6 || len(docs) > 14 {
			t.Fatalf("opportunity %d has %d touchpoints, want 6 to 14", i, len(docs))
		}
		touches += len(docs)
		people := map[string]bool{}
		for _, c := range o.contacts {
			people[itoa64(c.personID)] = true
		}
		sessions := map[string]bool{}
		for _, raw := range docs {
			var d synthDoc
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := json.Unmarshal(raw, &d); err != nil {
				t.Fatalf("opportunity %d: %s: %v", i, raw, err)
			}
			if eventID(raw) != d.EventID || len(d.EventID) != 32 || seenEvents[d.EventID] {
				t.Fatalf("opportunity %d: event id %q (read as %q) is not a new 32-digit id", i, d.EventID, eventID(raw))
			}
			seenEvents[d.EventID] = true
			if !people[d.PersonID] {
				t.Fatalf("opportunity %d: touchpoint of person %s, not one of its contacts", i, d.PersonID)
			}
			if d.OccurredAt.Before(o.created.Add(-90*24*time.Hour)) || d.OccurredAt.After(synthNow) {
				t.Fatalf("opportunity %d created %s: touchpoint at %s", i, o.created, d.OccurredAt)
			}
			if !d.ReceivedAt.After(d.OccurredAt) || d.IsBot == nil || *d.IsBot {
				t.Fatalf("opportunity %d: %s", i, raw)
			}
			if rule, ok := channels[d.Channel]; !ok || rule != d.ChannelRule {
				t.Fatalf("opportunity %d: channel %q with rule %q", i, d.Channel, d.ChannelRule)
			}
			if (d.UTMSource == "") != (d.UTMMedium == "") || (d.UTMSource == "") != (d.UTMCampaign == "") {
				t.Fatalf("opportunity %d: utm fields half set: %s", i, raw)
			}
			// A session's first document is its only page view with session_start.
			first := !sessions[d.SessionID]
			sessions[d.SessionID] = true
			if d.SessionStart != (first && d.Type == "pageview") || first && d.Type != "pageview" {
				t.Fatalf("opportunity %d: session %s: %s", i, d.SessionID, raw)
			}
			if d.SessionStart || d.Type != "pageview" {
				counted++
			}
			seenChannels[d.Channel]++
			seenTypes[d.Type]++
		}
	}
	// Means over 1,500 opportunities: 10 touchpoints (6 to 14 uniform, sd 2.6, so the
	// mean's sd is 0.07), 2 contacts, 60% of those older than a week closed (99.0% of
	// them: 59.4%) and 40% of those won (23.8%).
	mean := func(k int) float64 { return float64(k) / n }
	checks := []struct {
		name     string
		got      float64
		min, max float64
	}{
		{"touchpoints per opportunity", mean(touches), 9.8, 10.2},
		{"contacts per opportunity", mean(contacts), 1.9, 2.1},
		{"closed share", mean(closed), 0.56, 0.63},
		{"won share", mean(won), 0.21, 0.27},
		// Sessions average 2 page views and a quarter end in a form or download, so
		// about half the touchpoints count for attribution.
		{"counted share", float64(counted) / float64(touches), 0.4, 0.65},
	}
	for _, c := range checks {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s = %.3f, want %.2f to %.2f", c.name, c.got, c.min, c.max)
		}
	}
	for _, c := range synthChannels {
		if seenChannels[c.name] == 0 {
			t.Errorf("no %s touchpoint", c.name)
		}
	}
	for _, kind := range []string{"pageview", "form", "download"} {
		if seenTypes[kind] == 0 {
			t.Errorf("no %s touchpoint", kind)
		}
	}
}

func TestPad8AndHex(t *testing.T) {
	tests := []struct{ got, want string }{
		{pad8(0), "00000000"},
		{pad8(42), "00000042"},
		{pad8(99_999), "00099999"},
		{pad8(123_456_789), "123456789"},
		{string(appendHex(nil, 0)), "0000000000000000"},
		{string(appendHex(nil, 0xdeadbeef)), "00000000deadbeef"},
		{string(appendHex([]byte("x"), 1<<63)), "x8000000000000000"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
	}
	// One in a hundred of 100,000 ids ends in 00: the bench's 1% change.
	ids := make([]string, 100_000)
	for i := range ids {
		ids[i] = pad8(i)
	}
	changed := slices.DeleteFunc(ids, func(s string) bool { return s[len(s)-2:] != "00" })
	if len(changed) != 1000 {
		t.Errorf("%d ids end in 00, want 1000", len(changed))
	}
}

func itoa64(v int64) string { return string(appendInt(nil, v)) }

func appendInt(b []byte, v int64) []byte {
	if v >= 10 {
		b = appendInt(b, v/10)
	}
	return append(b, byte('0'+v%10))
}

// BenchmarkSynthTouchpoints makes one opportunity and its touchpoints per
// iteration into reused buffers, as indexTouchpoints does.
func BenchmarkSynthTouchpoints(b *testing.B) {
	g := &synthTenant{seed: 1, opportunities: 100_000, now: synthNow}
	var o synthOpp
	var buf []byte
	var ends []int
	touches := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		g.opportunity(i%g.opportunities, &o)
		buf, ends = g.touchpoints(&o, buf[:0], ends[:0])
		touches += len(ends)
	}
	b.ReportMetric(float64(touches)/b.Elapsed().Seconds(), "touchpoints/s")
}
