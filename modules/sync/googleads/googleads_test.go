package googleads

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
	"github.com/srgplatform/srg/modules/sync/googleads/googleadsfake"
)

// today is the clock's date at the start of each test; the data runs to it.
var today = time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)

// env is a fake with two customers and a connector pointed at it.
type env struct {
	fake *googleadsfake.Fake
	conn *Connector
	*adspendtest.Clock
}

func newEnv(t *testing.T, opt googleadsfake.Options, w adspend.Window) *env {
	t.Helper()
	e := &env{fake: googleadsfake.Start(opt), Clock: adspendtest.NewClock(today.Add(15 * time.Hour))}
	t.Cleanup(e.fake.Close)
	from := today.AddDate(0, 0, -120)
	e.fake.AddCustomer(googleadsfake.Customer{ID: "1234567890", Currency: "USD", TimeZone: "America/New_York",
		Data: spendfake.Generate(spendfake.Options{Seed: 1, Campaigns: 6, From: from, To: today, IDBase: 20_000_000, Big: true})})
	e.fake.AddCustomer(googleadsfake.Customer{ID: "9876543210", Currency: "EUR", TimeZone: "Europe/Berlin",
		Data: spendfake.Generate(spendfake.Options{Seed: 2, Campaigns: 3, From: from, To: today, IDBase: 30_000_000})})
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

// advance moves the clock and the fake's data on by days.
func (e *env) advance(days int) {
	e.AddDays(days)
	for _, id := range []string{"1234567890", "9876543210"} {
		e.fake.Customer(id).Data.Extend(adspend.Day(e.Now()))
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
	e := newEnv(t, googleadsfake.Options{BatchSize: 50}, adspend.Window{})
	r := adspendtest.New()
	if err := e.pull(t, r); err != nil {
		t.Fatal(err)
	}
	want := e.expected(adspend.DefaultBackfillDays)
	if diff := cmp.Diff(want, r.Rows()); diff != "" {
		t.Errorf("mirror (-want +got):\n%s", diff)
	}
	wantCursors := map[string]string{"spend:1234567890": "2026-03-31", "spend:9876543210": "2026-03-31"}
	if diff := cmp.Diff(wantCursors, r.Cursors()); diff != "" {
		t.Errorf("cursors (-want +got):\n%s", diff)
	}
	// 90 days in chunks of 30, plus one customer query, per customer.
	if got := len(e.fake.Queries()); got != 8 {
		t.Errorf("%d queries, want 8", got)
	}
	// Batches of 50 rows: every commit holds at most one batch.
	for _, c := range r.Commits() {
		if c.Rows > 50 {
			t.Errorf("a commit of %d rows: batches were merged", c.Rows)
		}
	}
}

func TestCostMicrosAreExact(t *testing.T) {
	e := newEnv(t, googleadsfake.Options{}, adspend.Window{BackfillDays: 121})
	r := adspendtest.New()
	if err := e.pull(t, r); err != nil {
		t.Fatal(err)
	}
	first := today.AddDate(0, 0, -120)
	for _, s := range r.Rows() {
		if s.CampaignID == "20000001" && s.Day.Equal(first) {
			if s.Spend != "9007199254.740993" {
				t.Errorf("spend of %d micros = %q", spendfake.BigMicros, s.Spend)
			}
			return
		}
	}
	t.Error("the big row is missing")
}

func TestIncrementalSyncRereadsTheTrailingWindow(t *testing.T) {
	e := newEnv(t, googleadsfake.Options{}, adspend.Window{TrailingDays: 5, BackfillDays: 30})
	r := adspendtest.New()
	if err := e.pull(t, r); err != nil {
		t.Fatal(err)
	}
	e.advance(2)
	data := e.fake.Customer("1234567890").Data
	restated := adspend.Day(e.Now()).AddDate(0, 0, -4)
	if data.Restate(restated) == 0 {
		t.Fatal("nothing to restate")
	}
	newID := data.AddCampaign("Launch", adspend.Day(e.Now()).AddDate(0, 0, -1))
	old, _ := data.Campaign("20000002")
	data.Rename("20000002", "Renamed")
	before := len(e.fake.Queries())
	if err := e.pull(t, r); err != nil {
		t.Fatal(err)
	}
	// Rows before the trailing window keep the name they were read with.
	windowStart := adspend.Day(e.Now()).AddDate(0, 0, -4)
	want := e.expected(32)
	for i, s := range want {
		if s.CampaignID == "20000002" && s.Day.Before(windowStart) {
			want[i].CampaignName = old.Name
		}
	}
	if diff := cmp.Diff(want, r.Rows()); diff != "" {
		t.Errorf("mirror (-want +got):\n%s", diff)
	}
	var sawNew bool
	for _, s := range r.Rows() {
		sawNew = sawNew || s.CampaignID == newID
	}
	if !sawNew {
		t.Error("the new campaign's spend is missing")
	}
	wantQueries := []string{
		"SELECT customer.currency_code, customer.time_zone FROM customer",
		"SELECT campaign.id, campaign.name, metrics.cost_micros, metrics.clicks, metrics.impressions, segments.date FROM campaign WHERE segments.date BETWEEN '2026-03-29' AND '2026-04-02'",
	}
	if diff := cmp.Diff(wantQueries, e.fake.Queries()[before:before+2]); diff != "" {
		t.Errorf("queries of the second run (-want +got):\n%s", diff)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults []spendfake.Fault
		// wantErr is nil when the run recovers by itself.
		wantErr      error
		wantRefresh  int
		wantSleepMin time.Duration
	}{
		{"quota error waits its retry delay", []spendfake.Fault{spendfake.NoFault, spendfake.RateLimit, spendfake.RateLimit}, nil, 1, 3 * time.Second},
		{"transient server error is retried", []spendfake.Fault{spendfake.ServerError, spendfake.ServerError}, nil, 1, 0},
		{"expired access token is refreshed", []spendfake.Fault{spendfake.NoFault, spendfake.ExpireToken}, nil, 2, 0},
		{"revoked grant needs re-authorisation", []spendfake.Fault{spendfake.NoFault, spendfake.Revoke}, connector.ErrReauth, 1, 0},
		{"malformed JSON fails the run", []spendfake.Fault{spendfake.NoFault, spendfake.Malformed}, errMalformed, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, googleadsfake.Options{}, adspend.Window{BackfillDays: 10})
			e.fake.Faults.Inject(tt.faults...)
			r := adspendtest.New()
			err := e.pull(t, r)
			switch {
			case tt.wantErr == errMalformed:
				if err == nil || !strings.Contains(err.Error(), "malformed JSON") {
					t.Fatalf("Pull() = %v, want a malformed JSON error", err)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Pull() = %v, want %v", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if got := e.fake.Tokens.Refreshes(); got != tt.wantRefresh {
				t.Errorf("%d token refreshes, want %d", got, tt.wantRefresh)
			}
			if slept := e.Slept(); tt.wantSleepMin > 0 && (len(slept) == 0 || slept[0] < tt.wantSleepMin) {
				t.Errorf("slept %v, want at least %v first", slept, tt.wantSleepMin)
			}
			if tt.wantErr == errMalformed {
				if err := e.pull(t, r); err != nil {
					t.Fatalf("the run after a malformed response: %v", err)
				}
			}
			if diff := cmp.Diff(e.expected(10), r.Rows()); diff != "" {
				t.Errorf("mirror (-want +got):\n%s", diff)
			}
		})
	}
}

var errMalformed = errors.New("malformed")

func TestCrashThenResume(t *testing.T) {
	for crashAfter := range 5 {
		e := newEnv(t, googleadsfake.Options{BatchSize: 100}, adspend.Window{BackfillDays: 75})
		r := adspendtest.New()
		r.CrashAfter(crashAfter)
		if err := e.pull(t, r); !errors.Is(err, adspendtest.ErrCrash) {
			t.Fatalf("crash after %d commits: Pull() = %v", crashAfter, err)
		}
		r.CrashAfter(-1)
		if err := e.pull(t, r); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(e.expected(75), r.Rows()); diff != "" {
			t.Errorf("crash after %d commits: mirror (-want +got):\n%s", crashAfter, diff)
		}
	}
}

func TestAccountTimeZoneDecidesToday(t *testing.T) {
	e := newEnv(t, googleadsfake.Options{}, adspend.Window{TrailingDays: 1, BackfillDays: 1})
	e.fake.AddCustomer(googleadsfake.Customer{ID: "5555555555", Currency: "NZD", TimeZone: "Pacific/Auckland",
		Data: spendfake.Generate(spendfake.Options{Seed: 3, Campaigns: 2, From: today, To: today.AddDate(0, 0, 1), IDBase: 1})})
	e.conn = e.connector(t, e.fake.Settings(adspend.Window{TrailingDays: 1, BackfillDays: 1}))
	r := adspendtest.New()
	if err := e.pull(t, r); err != nil {
		t.Fatal(err)
	}
	// 15:00 UTC is 04:00 the next day in Auckland.
	want := map[string]string{"spend:1234567890": "2026-03-31", "spend:5555555555": "2026-04-01", "spend:9876543210": "2026-03-31"}
	if diff := cmp.Diff(want, r.Cursors()); diff != "" {
		t.Errorf("cursors (-want +got):\n%s", diff)
	}
}

func TestManagerAccountHeader(t *testing.T) {
	tests := []struct {
		name    string
		login   string
		wantErr bool
	}{
		{"through the manager", "111-222-3333", false},
		{"without the manager", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, googleadsfake.Options{LoginCustomerID: "1112223333"}, adspend.Window{BackfillDays: 3})
			var s map[string]any
			if err := json.Unmarshal(e.fake.Settings(adspend.Window{BackfillDays: 3}), &s); err != nil {
				t.Fatal(err)
			}
			s["login_customer_id"] = tt.login
			raw, _ := json.Marshal(s)
			e.conn = e.connector(t, raw)
			err := e.pull(t, adspendtest.New())
			if (err != nil) != tt.wantErr {
				t.Fatalf("Pull() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "USER_PERMISSION_DENIED") {
				t.Errorf("the error does not carry Google's reason: %v", err)
			}
		})
	}
}
