// Package adspendtest is an in-memory connector.Run for the ad connectors' unit
// tests: it keeps cursors and spend rows as the mirror would (upserts by account,
// campaign and day) and can fail a commit as if the process crashed.
package adspendtest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/adspend/spendfake"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/synctest"
)

// ErrCrash is what a commit returns once the budget given to CrashAfter is spent.
var ErrCrash = errors.New("adspendtest: simulated crash before this commit")

// Commit records one commit.
type Commit struct {
	Stream, Cursor string
	Rows           int
}

type key struct {
	account, campaign string
	day               time.Time
}

// Run is an in-memory run. The zero value is not usable; call New.
type Run struct {
	mu      sync.Mutex
	cursors map[string]string
	rows    map[key]connector.SpendDay
	commits []Commit
	// crashIn is how many more commits succeed; negative means no crash.
	crashIn int
}

// New makes an empty run.
func New() *Run {
	return &Run{cursors: map[string]string{}, rows: map[key]connector.SpendDay{}, crashIn: -1}
}

// CrashAfter makes the commit after the next n fail with ErrCrash, writing nothing;
// a negative n turns crashing off.
func (r *Run) CrashAfter(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.crashIn = n
}

// Cursor implements connector.Run.
func (r *Run) Cursor(stream string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cursors[stream]
}

// Commit implements connector.Run: it refuses anything but spend, as the ad
// connectors write nothing else.
func (r *Run) Commit(_ context.Context, stream, cursor string, page connector.Page) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.crashIn == 0 {
		return ErrCrash
	}
	if r.crashIn > 0 {
		r.crashIn--
	}
	if page.Len() != len(page.Spend) {
		return errors.New("adspendtest: an ad connector committed records other than spend")
	}
	for _, s := range page.Spend {
		r.rows[key{s.AccountID, s.CampaignID, s.Day}] = s
	}
	r.cursors[stream] = cursor
	r.commits = append(r.commits, Commit{Stream: stream, Cursor: cursor, Rows: len(page.Spend)})
	return nil
}

// Log implements connector.Run.
func (r *Run) Log() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Rows are the stored rows sorted by account, campaign and day.
func (r *Run) Rows() []connector.SpendDay {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]connector.SpendDay, 0, len(r.rows))
	for _, s := range r.rows {
		out = append(out, s)
	}
	spendfake.SortSpend(out)
	return out
}

// Cursors are the stored cursors by stream.
func (r *Run) Cursors() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.cursors)
}

// Commits are the successful commits in order.
func (r *Run) Commits() []Commit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Commit(nil), r.commits...)
}

// Mirror reads the tenant's ad_spend_daily rows back from the test database as
// spend records comparable with a fake's expected rows: spend as exact text in
// canonical form (a float would round it), the day as midnight UTC.
func Mirror(t testing.TB, m *synctest.Mirror) []connector.SpendDay {
	t.Helper()
	var rows []struct {
		AccountID, CampaignID, CampaignName, Spend, Currency string
		Day                                                  time.Time
		Clicks, Impressions                                  int64
	}
	err := m.Tenant().Raw(`SELECT account_id, campaign_id, campaign_name, day, spend::text AS spend, currency, clicks, impressions
		FROM ad_spend_daily WHERE tenant_id = ? AND platform = ?`, m.TenantID, string(m.Kind)).Scan(&rows).Error
	if err != nil {
		t.Fatalf("adspendtest: read ad_spend_daily: %v", err)
	}
	out := make([]connector.SpendDay, 0, len(rows))
	for _, r := range rows {
		spend, err := adspend.Decimal(r.Spend)
		if err != nil {
			t.Fatalf("adspendtest: spend: %v", err)
		}
		out = append(out, connector.SpendDay{
			AccountID: r.AccountID, CampaignID: r.CampaignID, CampaignName: r.CampaignName,
			Day: adspend.Day(r.Day), Spend: spend, Currency: r.Currency, Clicks: r.Clicks, Impressions: r.Impressions,
		})
	}
	spendfake.SortSpend(out)
	return out
}
