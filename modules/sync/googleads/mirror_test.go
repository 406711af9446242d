package googleads

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/adspend/adspendtest"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/googleads/googleadsfake"
	"github.com/srgplatform/srg/modules/sync/synctest"
)

// checkMirror compares every ad_spend_daily row of the tenant with want.
func checkMirror(t *testing.T, m *synctest.Mirror, want []connector.SpendDay) {
	t.Helper()
	got := adspendtest.Mirror(t, m)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ad_spend_daily (-want +got):\n%s", diff)
	}
	if n := m.Count(t, "ad_spend_daily"); n != len(want) {
		t.Errorf("%d rows in ad_spend_daily, want %d", n, len(want))
	}
}

func TestMirrorSyncs(t *testing.T) {
	ctx := context.Background()
	m := synctest.New(t, connector.GoogleAds)
	e := newEnv(t, googleadsfake.Options{BatchSize: 200}, adspend.Window{TrailingDays: 7, BackfillDays: 121})

	if err := m.Pull(ctx, e.conn); err != nil {
		t.Fatal(err)
	}
	checkMirror(t, m, e.expected(121))

	// A day later the platform restated a day inside the trailing window and a
	// campaign started: both show up, and nothing is duplicated.
	e.advance(1)
	data := e.fake.Customer("9876543210").Data
	data.Restate(adspend.Day(e.Now()).AddDate(0, 0, -3))
	data.AddCampaign("Spring launch", adspend.Day(e.Now()).AddDate(0, 0, -2))
	if err := m.Pull(ctx, e.conn); err != nil {
		t.Fatal(err)
	}
	checkMirror(t, m, e.expected(122))
	wantCursors := map[string]string{"spend:1234567890": "2026-04-01", "spend:9876543210": "2026-04-01"}
	if diff := cmp.Diff(wantCursors, m.Cursors(t)); diff != "" {
		t.Errorf("cursors (-want +got):\n%s", diff)
	}
}

func TestMirrorCrashThenResume(t *testing.T) {
	ctx := context.Background()
	for _, crashAfter := range []int{3} {
		m := synctest.New(t, connector.GoogleAds)
		e := newEnv(t, googleadsfake.Options{BatchSize: 100}, adspend.Window{BackfillDays: 100})
		if err := m.PullFailingAfter(ctx, e.conn, crashAfter); !errors.Is(err, synctest.ErrCrash) {
			t.Fatalf("crash after %d commits: Pull() = %v", crashAfter, err)
		}
		if n := m.Count(t, "ad_spend_daily"); n == 0 {
			t.Errorf("crash after %d commits: nothing was kept", crashAfter)
		}
		if err := m.Pull(ctx, e.conn); err != nil {
			t.Fatal(err)
		}
		checkMirror(t, m, e.expected(100))
	}
}
