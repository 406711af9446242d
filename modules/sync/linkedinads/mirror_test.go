package linkedinads

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/adspend/adspendtest"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/linkedinads/linkedinadsfake"
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
	m := synctest.New(t, connector.LinkedIn)
	e := newEnv(t, linkedinadsfake.Options{}, adspend.Window{TrailingDays: 5, BackfillDays: 100}, false)
	if err := m.Pull(ctx, e.conn); err != nil {
		t.Fatal(err)
	}
	checkMirror(t, m, e.expected(100))

	e.advance(2)
	data := e.fake.Account("501234567").Data
	data.Restate(adspend.Day(e.Now()).AddDate(0, 0, -4))
	data.Restate(adspend.Day(e.Now()).AddDate(0, 0, -1))
	data.AddCampaign("Event follow-up", adspend.Day(e.Now()).AddDate(0, 0, -1))
	if err := m.Pull(ctx, e.conn); err != nil {
		t.Fatal(err)
	}
	checkMirror(t, m, e.expected(102))
}

func TestMirrorCrashThenResume(t *testing.T) {
	ctx := context.Background()
	m := synctest.New(t, connector.LinkedIn)
	e := newEnv(t, linkedinadsfake.Options{}, adspend.Window{BackfillDays: 100}, false)
	if err := m.PullFailingAfter(ctx, e.conn, 2); !errors.Is(err, synctest.ErrCrash) {
		t.Fatalf("Pull() = %v, want the crash", err)
	}
	if got := m.Cursors(t); got["spend:501234567"] == "" {
		t.Errorf("cursors after the crash %v: the first chunks were not kept", got)
	}
	if err := m.Pull(ctx, e.conn); err != nil {
		t.Fatal(err)
	}
	checkMirror(t, m, e.expected(100))
}
