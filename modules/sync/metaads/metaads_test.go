package metaads

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/adspend/adspendtest"
	"github.com/srgplatform/srg/modules/sync/adspend/spendfake"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/metaads/metaadsfake"
)

var today = time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)

type env struct {
	fake *metaadsfake.Fake
	conn *Connector
	*adspendtest.Clock
}

// newEnv starts a fake with two ad accounts, the first with enough campaigns that
// a chunk takes two pages.
func newEnv(t *testing.T, opt metaadsfake.Options, w adspend.Window) *env {
	t.Helper()
	e := &env{fake: metaadsfake.Start(opt), Clock: adspendtest.NewClock(today.Add(12 * time.Hour))}
	t.Cleanup(e.fake.Close)
	from := today.AddDate(0, 0, -120)
	e.fake.AddAccount(metaadsfake.Account{ID: "1001", Currency: "USD", TimeZone: "America/Los_Angeles",
		Data: spendfake.Generate(spendfake.Options{Seed: 21, Campaigns: 25, From: from, To: today, IDBase: 23_850_000_000_000_000, Big: true})})
	e.fake.AddAccount(metaadsfake.Account{ID: "1002", Currency: "JPY", TimeZone: "UTC",
		Data: spendfake.Generate(spendfake.Options{Seed: 22, Campaigns: 2, From: from, To: today, IDBase: 23_860_000_000_000_000})})
	e.conn = e.connector(t, e.fake.Settings(w))
	return e
}

func (e *env) connector(t *testing.T, settings json.RawMessage) *Connector {
	t.Helper()
	c, err := New(connector.Config{Credentials: e.fake.Credentials(), Settings: settings, Now: e.Now})
	if err != nil {
		t.Fatal(err)
	}
	c.client.SetSleep(e.Sleep)
	return c
}

func (e *env) advance(days int) {
	e.AddDays(days)
	for _, id := range []string{"1001", "1002"} {
		e.fake.Account(id).Data.Extend(adspend.Day(e.Now()))
	}
}

func (e *env) expected(backfill int) []connector.SpendDay {
	return e.fake.Expected(adspend.Day(e.Now()).AddDate(0, 0, -(backfill-1)), adspend.Day(e.Now()))
}

func (e *env) pull(t *testing.T, r connector.Run) error {
	t.Helper()
	return e.conn.Pull(context.Background(), r)
}

func TestFullSync(t *testing.T) {
	e := newEnv(t, metaadsfake.Options{}, adspend.Window{BackfillDays: 121})
	r := adspendtest.New()
	if err := e.pull(t, r); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e.expected(121), r.Rows()); diff != "" {
		t.Errorf("mirror (-want +got):\n%s", diff)
	}
	var big bool
	for _, s := range r.Rows() {
		big = big || s.Spend == "9007199254.740993"
	}
	if !big {
		t.Error("a spend above 2^53 micros lost precision")
	}
	var pages int
	for _, uri := range e.fake.Requests() {
		if strings.Contains(uri, "after=") {
			pages++
		}
	}
	if pages == 0 {
		t.Error("no next page was followed")
	}
	for _, c := range r.Commits() {
		if c.Rows > pageLimit {
			t.Errorf("a commit of %d rows: pages were merged", c.Rows)
		}
	}
}

func TestDeletedCampaignsAndRestatements(t *testing.T) {
	e := newEnv(t, metaadsfake.Options{}, adspend.Window{TrailingDays: 7, BackfillDays: 30})
	r := adspendtest.New()
	if err := e.pull(t, r); err != nil {
		t.Fatal(err)
	}
	e.advance(1)
	e.fake.SetStatus("1001", "23850000000000003", "DELETED")
	e.fake.SetStatus("1001", "23850000000000004", "ARCHIVED")
	data := e.fake.Account("1001").Data
	data.Restate(adspend.Day(e.Now()).AddDate(0, 0, -1))
	data.Rename("23850000000000005", "Renamed")
	if err := e.pull(t, r); err != nil {
		t.Fatal(err)
	}
	want := e.expected(31)
	windowStart := adspend.Day(e.Now()).AddDate(0, 0, -6)
	for i, s := range want {
		if s.CampaignID == "23850000000000005" && s.Day.Before(windowStart) {
			want[i].CampaignName = "Campaign 5 — Search"
		}
	}
	if diff := cmp.Diff(want, r.Rows()); diff != "" {
		t.Errorf("mirror (-want +got):\n%s", diff)
	}
}

func TestAccountTimeZoneDecidesToday(t *testing.T) {
	e := newEnv(t, metaadsfake.Options{}, adspend.Window{TrailingDays: 1, BackfillDays: 1})
	e.Set(today.Add(2 * time.Hour)) // 19:00 the day before in Los Angeles
	r := adspendtest.New()
	if err := e.pull(t, r); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"spend:1001": "2026-03-30", "spend:1002": "2026-03-31"}
	if diff := cmp.Diff(want, r.Cursors()); diff != "" {
		t.Errorf("cursors (-want +got):\n%s", diff)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name       string
		opt        metaadsfake.Options
		faults     []spendfake.Fault
		wantErr    string // "" when the run recovers by itself
		wantReauth bool
		wantSleep  time.Duration
	}{
		{"rate limit waits until access is regained", metaadsfake.Options{RegainMinutes: 3}, []spendfake.Fault{spendfake.NoFault, spendfake.RateLimit}, "", false, 3 * time.Minute},
		{"rate limit for an hour fails the run", metaadsfake.Options{RegainMinutes: 60}, []spendfake.Fault{spendfake.RateLimit}, "rate limited", false, 0},
		{"transient error is retried", metaadsfake.Options{}, []spendfake.Fault{spendfake.NoFault, spendfake.ServerError, spendfake.ServerError}, "", false, 0},
		{"expired token needs re-authorisation", metaadsfake.Options{}, []spendfake.Fault{spendfake.NoFault, spendfake.ExpireToken}, "code 190, subcode 463", true, 0},
		{"revoked token needs re-authorisation", metaadsfake.Options{}, []spendfake.Fault{spendfake.Revoke}, "code 190, subcode 460", true, 0},
		{"malformed JSON fails the run", metaadsfake.Options{}, []spendfake.Fault{spendfake.NoFault, spendfake.Malformed}, "malformed JSON", false, 0},
		{"high usage paces the next call", metaadsfake.Options{UsagePct: 95}, nil, "", false, 59 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opt, adspend.Window{BackfillDays: 10})
			e.fake.Faults.Inject(tt.faults...)
			r := adspendtest.New()
			err := e.pull(t, r)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, connector.ErrReauth) != tt.wantReauth {
					t.Fatalf("Pull() = %v, want %q (re-authorisation: %v)", err, tt.wantErr, tt.wantReauth)
				}
				if tt.wantReauth {
					return
				}
				if err := e.pull(t, r); err != nil {
					t.Fatalf("the next run: %v", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if slept := e.Slept(); tt.wantSleep > 0 && (len(slept) == 0 || slept[0] < tt.wantSleep) {
				t.Errorf("slept %v, want at least %v first", slept, tt.wantSleep)
			}
			if diff := cmp.Diff(e.expected(10), r.Rows()); diff != "" {
				t.Errorf("mirror (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCrashThenResume(t *testing.T) {
	for crashAfter := range 5 {
		e := newEnv(t, metaadsfake.Options{}, adspend.Window{BackfillDays: 70})
		r := adspendtest.New()
		r.CrashAfter(crashAfter)
		if err := e.pull(t, r); !errors.Is(err, adspendtest.ErrCrash) {
			t.Fatalf("crash after %d commits: Pull() = %v", crashAfter, err)
		}
		r.CrashAfter(-1)
		if err := e.pull(t, r); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(e.expected(70), r.Rows()); diff != "" {
			t.Errorf("crash after %d commits: mirror (-want +got):\n%s", crashAfter, diff)
		}
	}
}
