package metaads

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/adspend/adspendtest"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/metaads/metaadsfake"
	"github.com/srgplatform/srg/modules/sync/synctest"
)

// checkMirror compares every ad_spend_daily row of the tenant with want.
func checkMirror(t *testing.T, m *synctest.Mirror, want []connector.SpendDay) {
	t.Helper()
	if diff := cmp.Diff(want, adspendtest.Mirror(t, m)); diff != "" {
		t.Errorf("ad_spend_daily (-want +got):\n%s", diff)
	}
	if n := m.Count(t, "ad_spend_daily"); n != len(want) {
		t.Errorf("%d rows in ad_spend_daily, want %d", n, len(want))
	}
}

func TestMirrorSyncs(t *testing.T) {
	ctx := context.Background()
	m := synctest.New(t, connector.Meta)
	e := newEnv(t, metaadsfake.Options{}, adspend.Window{TrailingDays: 7, BackfillDays: 121})
	if err := m.Pull(ctx, e.conn); err != nil {
		t.Fatal(err)
	}
	checkMirror(t, m, e.expected(121))

	// Next day: a campaign was deleted, a day restated, a campaign created.
	e.advance(1)
	e.fake.SetStatus("1001", "23850000000000007", "DELETED")
	data := e.fake.Account("1001").Data
	data.Restate(adspend.Day(e.Now()).AddDate(0, 0, -2))
	data.AddCampaign("Retargeting Q2", adspend.Day(e.Now()))
	if err := m.Pull(ctx, e.conn); err != nil {
		t.Fatal(err)
	}
	checkMirror(t, m, e.expected(122))
	want := map[string]string{"spend:1001": "2026-04-01", "spend:1002": "2026-04-01"}
	if diff := cmp.Diff(want, m.Cursors(t)); diff != "" {
		t.Errorf("cursors (-want +got):\n%s", diff)
	}
}

func TestMirrorCrashThenResume(t *testing.T) {
	ctx := context.Background()
	m := synctest.New(t, connector.Meta)
	e := newEnv(t, metaadsfake.Options{}, adspend.Window{BackfillDays: 90})
	// Chunks of the first account take two pages: the fourth commit, which
	// fails, is the last page of the second chunk, after its first was stored.
	if err := m.PullFailingAfter(ctx, e.conn, 3); !errors.Is(err, synctest.ErrCrash) {
		t.Fatalf("Pull() = %v, want the crash", err)
	}
	if err := m.Pull(ctx, e.conn); err != nil {
		t.Fatal(err)
	}
	checkMirror(t, m, e.expected(90))
}
