package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Database is a fresh database on the dev stack's Postgres.
type Database struct {
	c   *child
	URL string
}

// NewDatabase creates a database; Drop removes it.
func NewDatabase(ctx context.Context, adminURL string) (*Database, error) {
	c := &child{adminURL: adminURL, dbName: "srg_bench_" + newToken(8)}
	u, err := c.createDatabase(ctx)
	if err != nil {
		return nil, err
	}
	return &Database{c: c, URL: u}, nil
}

// Drop removes the database, reporting a failure to log.
func (d *Database) Drop(log io.Writer) { d.c.stop(log) }

// ResetPeakRSS makes the kernel forget this process's peak resident memory, so
// that PeakRSSKB measures from now.
func ResetPeakRSS() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// PeakRSSKB is this process's peak resident memory (VmHWM) in kB.
func PeakRSSKB() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, errNoProc
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("bench: no VmHWM in /proc/self/status")
}

// ExportTenant is a synthetic tenant for the export benchmark, generated as it is
// read, never held: Touchpoints touchpoint documents (updated a millisecond apart
// from Start on), and one opportunity per ten touchpoints whose credit document
// (one touch per touchpoint) gives each of Models a share of each touch. It answers the warehouse
// export's reads of Elasticsearch and of the attribution state.
type ExportTenant struct {
	Touchpoints int
	Models      []string
	Start       time.Time
}

const touchesPerOpportunity = 10

var benchChannels = []string{"Paid Search", "Organic Search", "Email", "Paid Social", "Referral", "Direct", "Display"}

func (g *ExportTenant) touchAt(k int) time.Time {
	return g.Start.Add(time.Duration(k) * time.Millisecond)
}

// pad appends n in decimal, zero-padded to width digits.
func pad(b []byte, n, width int) []byte {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], int64(n), 10)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

func num(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// touchpoint appends touchpoint k's document to b (appends, not fmt: the generator
// stands in for Elasticsearch and should cost little next to the export).
func (g *ExportTenant) touchpoint(b []byte, k int) []byte {
	at := g.touchAt(k)
	b = pad(append(b, `{"event_id":"e`...), k, 9)
	b = append(b, `","tenant":"bench","site_key":"bench-site","type":"pageview","occurred_at":"`...)
	b = at.Add(-time.Hour).AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","received_at":"`...)
	b = at.Add(-time.Hour).AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","updated_at":"`...)
	b = at.AppendFormat(b, time.RFC3339Nano)
	b = pad(append(b, `","visitor_id":"v`...), k/5, 7)
	b = pad(append(b, `","session_id":"s`...), k/3, 8)
	b = strconv.AppendBool(append(b, `","session_start":`...), k%3 == 0)
	b = num(append(b, `,"person_id":"`...), k/touchesPerOpportunity)
	b = num(append(b, `","account_id":"`...), k/100)
	b = num(append(b, `","url":"https://bench.example/docs/page-`...), k%500)
	b = num(append(b, `?utm_campaign=camp-`...), k%40)
	b = num(append(b, `","path":"/docs/page-`...), k%500)
	b = num(append(b, `","title":"Page `...), k%500)
	b = append(b, `","referrer":"https://www.google.com/","referrer_host":"www.google.com","utm_source":"google","utm_medium":"cpc","utm_campaign":"camp-`...)
	b = num(b, k%40)
	b = append(append(b, `","channel":"`...), benchChannels[k%len(benchChannels)]...)
	b = num(append(b, `","channel_rule":"rule-`...), k%len(benchChannels))
	b = append(b, `","browser":"Chrome","browser_version":"131","os":"Linux","device_type":"desktop",`...)
	b = append(b, `"is_bot":false,"ip":"192.0.2.1","country":"DE","screen":"1920x1080","language":"de-DE","timezone":"Europe/Berlin"}`...)
	return b
}

// ChangedTouchpoints generates the touchpoints after (afterAt, afterID) and up to
// until, in (updated_at, event_id) order.
func (g *ExportTenant) ChangedTouchpoints(ctx context.Context, _ string, afterAt time.Time, afterID string, until time.Time,
	fn func(source json.RawMessage, updatedAt time.Time) error) error {
	var buf []byte
	for k := range g.Touchpoints {
		at := g.touchAt(k)
		if at.After(until) {
			return nil
		}
		if at.Before(afterAt) || at.Equal(afterAt) && fmt.Sprintf("e%09d", k) <= afterID {
			continue
		}
		if k%10000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		buf = g.touchpoint(buf[:0], k)
		if err := fn(buf, at); err != nil {
			return err
		}
	}
	return nil
}

// CreditsOf generates the credit documents of opportunities named o<number>: one
// each, its touches (one per touchpoint) nested.
func (g *ExportTenant) CreditsOf(_ context.Context, _ string, opportunityIDs []string, fn func(source json.RawMessage) error) error {
	var buf []byte
	share := 1.0 / touchesPerOpportunity
	for _, id := range opportunityIDs {
		o, err := strconv.Atoi(strings.TrimPrefix(id, "o"))
		if err != nil {
			return fmt.Errorf("bench: opportunity id %q", id)
		}
		amount := float64(1000 + o%9000)
		// Dates as srg writes credits' dates: epoch milliseconds.
		buf = append(append(buf[:0], `{"opportunity_id":"`...), id...)
		buf = append(buf, `","tenant":"bench","settings_hash":"h1","kind":"pipeline","currency":"USD","opportunity_amount":`...)
		buf = strconv.AppendFloat(buf, amount, 'g', -1, 64)
		buf = strconv.AppendInt(append(buf, `,"opportunity_created_at":`...), g.Start.UnixMilli(), 10)
		buf = strconv.AppendInt(append(buf, `,"computed_at":`...), g.Start.UnixMilli(), 10)
		buf = append(buf, `,"model_versions":{`...)
		for i, m := range g.Models {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(append(append(buf, '"'), m...), `":"1"`...)
		}
		buf = append(buf, `},"touches":[`...)
		for k := o * touchesPerOpportunity; k < (o+1)*touchesPerOpportunity; k++ {
			if k > o*touchesPerOpportunity {
				buf = append(buf, ',')
			}
			buf = append(append(buf, `{"credit_id":"`...), id...)
			buf = pad(append(buf, `/e`...), k, 9)
			buf = pad(append(buf, `","touchpoint_id":"e`...), k, 9)
			buf = num(append(buf, `","person_id":"`...), o)
			buf = num(append(buf, `","account_id":"`...), k/100)
			buf = append(append(buf, `","currency":"USD","channel":"`...), benchChannels[k%len(benchChannels)]...)
			buf = num(append(buf, `","channel_rule":"rule-`...), k%len(benchChannels))
			buf = num(append(buf, `","campaign":"camp-`...), k%40)
			buf = append(buf, `","source":"google","medium":"cpc","touched_at":`...)
			buf = strconv.AppendInt(buf, g.touchAt(k).Add(-time.Hour).UnixMilli(), 10)
			buf = g.perModel(append(buf, `,"credit":{`...), amount*share)
			buf = g.perModel(append(buf, `},"fractions":{`...), share)
			buf = append(buf, "}}"...)
		}
		buf = append(buf, "]}"...)
		if err := fn(buf); err != nil {
			return err
		}
	}
	return nil
}

// perModel appends "<model>":v for each model, comma-separated.
func (g *ExportTenant) perModel(b []byte, v float64) []byte {
	for i, m := range g.Models {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(append(append(append(b, '"'), m...), `":`...), v, 'g', -1, 64)
	}
	return b
}

// Opportunities is how many opportunities the tenant has.
func (g *ExportTenant) Opportunities() int { return g.Touchpoints / touchesPerOpportunity }

// ChangedOpportunity returns opportunity i's id and the time its credits changed.
func (g *ExportTenant) ChangedOpportunity(i int) (string, time.Time) {
	return string(pad([]byte{'o'}, i, 7)), g.Start.Add(time.Duration(i) * time.Millisecond)
}

// OpportunityAt is the opportunity whose credits changed at t (negative before
// the first).
func (g *ExportTenant) OpportunityAt(t time.Time) int {
	if t.Before(g.Start) {
		return -1
	}
	return int(t.Sub(g.Start) / time.Millisecond)
}

// ChangedOpportunities calls fn with the id and change time of each opportunity
// whose credits changed after (afterAt, afterID) and up to until, in that order, at
// most limit: the attribution state's page of changed credits.
func (g *ExportTenant) ChangedOpportunities(afterAt time.Time, afterID string, until time.Time, limit int, fn func(id string, at time.Time)) {
	n := 0
	for i := max(0, g.OpportunityAt(afterAt)); i < g.Opportunities() && n < limit; i++ {
		id, at := g.ChangedOpportunity(i)
		if at.After(until) {
			return
		}
		if at.After(afterAt) || at.Equal(afterAt) && id > afterID {
			fn(id, at)
			n++
		}
	}
}

// Query answers searches with nothing (the rollups are not part of the benchmark).
func (g *ExportTenant) Query(context.Context, string, string, any) (json.RawMessage, error) {
	return nil, nil
}

// Mapping answers with an empty mapping.
func (g *ExportTenant) Mapping(context.Context, string, string) (map[string]any, error) {
	return map[string]any{}, nil
}
