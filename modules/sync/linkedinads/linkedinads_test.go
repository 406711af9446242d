package linkedinads

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/adspend/adspendtest"
	"github.com/srgplatform/srg/modules/sync/adspend/spendfake"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/linkedinads/linkedinadsfake"
)

var today = time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)

type env struct {
	fake *linkedinadsfake.Fake
	conn *Connector
	*adspendtest.Clock
}

// newEnv starts a fake with two accounts (the first one's campaigns paged three
// at a time, one of them left out of the search) and a connector with refreshable
// credentials, or with accessOnly a bare access token.
func newEnv(t *testing.T, opt linkedinadsfake.Options, w adspend.Window, accessOnly bool) *env {
	t.Helper()
	e := &env{fake: linkedinadsfake.Start(opt), Clock: adspendtest.NewClock(today.Add(23 * time.Hour))}
	t.Cleanup(e.fake.Close)
	from := today.AddDate(0, 0, -120)
	e.fake.AddAccount(linkedinadsfake.Account{ID: "501234567", Name: "Acme", Currency: "USD",
		Data:     spendfake.Generate(spendfake.Options{Seed: 11, Campaigns: 7, From: from, To: today, IDBase: 180_000_000}),
		Unlisted: map[string]bool{"180000004": true}})
	e.fake.AddAccount(linkedinadsfake.Account{ID: "502222222", Name: "Acme EU", Currency: "EUR",
		Data: spendfake.Generate(spendfake.Options{Seed: 12, Campaigns: 2, From: from, To: today, IDBase: 190_000_000})})
	e.conn = e.connector(t, e.fake.Settings(w), accessOnly)
	return e
}

func (e *env) connector(t *testing.T, settings json.RawMessage, accessOnly bool) *Connector {
	t.Helper()
	c, err := New(connector.Config{Credentials: e.fake.Credentials(accessOnly), Settings: settings, Now: e.Now})
	if err != nil {
		t.Fatal(err)
	}
	c.client.SetSleep(e.Sleep)
	return c
}

func (e *env) advance(days int) {
	e.AddDays(days)
	for _, id := range []string{"501234567", "502222222"} {
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
	e := newEnv(t, linkedinadsfake.Options{CampaignPageSize: 3}, adspend.Window{BackfillDays: 45}, false)
	r := adspendtest.New()
	if err := e.pull(t, r); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e.expected(45), r.Rows()); diff != "" {
		t.Errorf("mirror (-want +got):\n%s", diff)
	}
	want := map[string]string{"spend:501234567": "2026-03-31", "spend:502222222": "2026-03-31"}
	if diff := cmp.Diff(want, r.Cursors()); diff != "" {
		t.Errorf("cursors (-want +got):\n%s", diff)
	}
	// The wire form of the first analytics request: Rest.li structure unencoded,
	// the account URN encoded.
	const first = "/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY" +
		"&dateRange=(start:(year:2026,month:2,day:15),end:(year:2026,month:3,day:16))" +
		"&accounts=List(urn%3Ali%3AsponsoredAccount%3A501234567)&fields=dateRange,pivotValues,costInLocalCurrency,impressions,clicks"
	var found, single bool
	for _, uri := range e.fake.Requests() {
		found = found || uri == first
		single = single || uri == "/rest/adAccounts/501234567/adCampaigns/180000004"
	}
	if !found {
		t.Errorf("no request %s among %q", first, e.fake.Requests())
	}
	if !single {
		t.Error("the campaign missing from the search was not read on its own")
	}
}

func TestIncrementalSyncRereadsTheTrailingWindow(t *testing.T) {
	e := newEnv(t, linkedinadsfake.Options{}, adspend.Window{TrailingDays: 3, BackfillDays: 20}, false)
	r := adspendtest.New()
	if err := e.pull(t, r); err != nil {
		t.Fatal(err)
	}
	e.advance(1)
	data := e.fake.Account("502222222").Data
	data.Restate(adspend.Day(e.Now()).AddDate(0, 0, -2))
	data.AddCampaign("Webinar", adspend.Day(e.Now()))
	before := len(e.fake.Requests())
	if err := e.pull(t, r); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e.expected(21), r.Rows()); diff != "" {
		t.Errorf("mirror (-want +got):\n%s", diff)
	}
	var windows []string
	for _, uri := range e.fake.Requests()[before:] {
		if strings.HasPrefix(uri, "/rest/adAnalytics") {
			windows = append(windows, uri[strings.Index(uri, "dateRange="):strings.Index(uri, "&accounts")])
		}
	}
	want := []string{"dateRange=(start:(year:2026,month:3,day:30),end:(year:2026,month:4,day:1))"}
	if diff := cmp.Diff(append(want, want...), windows); diff != "" {
		t.Errorf("second run's date ranges (-want +got):\n%s", diff)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name        string
		accessOnly  bool
		faults      []spendfake.Fault
		wantErr     string // "" when the run recovers by itself
		wantReauth  bool
		wantRefresh int
		wantSleep   time.Duration
	}{
		{"429 waits its Retry-After", false, []spendfake.Fault{spendfake.NoFault, spendfake.RateLimit}, "", false, 1, 2 * time.Second},
		{"503 is retried", false, []spendfake.Fault{spendfake.ServerError, spendfake.ServerError, spendfake.ServerError}, "", false, 1, 0},
		{"expired token is refreshed", false, []spendfake.Fault{spendfake.NoFault, spendfake.NoFault, spendfake.ExpireToken}, "", false, 2, 0},
		{"revoked grant needs re-authorisation", false, []spendfake.Fault{spendfake.NoFault, spendfake.Revoke}, "REVOKED", true, 1, 0},
		{"an expired bare access token needs re-authorisation", true, []spendfake.Fault{spendfake.ExpireToken}, "refused", true, 0, 0},
		{"malformed JSON fails the run", false, []spendfake.Fault{spendfake.NoFault, spendfake.NoFault, spendfake.Malformed}, "malformed JSON", false, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, linkedinadsfake.Options{}, adspend.Window{BackfillDays: 10}, tt.accessOnly)
			e.fake.Faults.Inject(tt.faults...)
			r := adspendtest.New()
			err := e.pull(t, r)
			if tt.wantErr != "" {
				if err == nil || errors.Is(err, connector.ErrReauth) != tt.wantReauth {
					t.Fatalf("Pull() = %v, want an error (re-authorisation: %v)", err, tt.wantReauth)
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
			if got := e.fake.Tokens.Refreshes(); got != tt.wantRefresh {
				t.Errorf("%d token refreshes, want %d", got, tt.wantRefresh)
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

// TestChunkDays checks that chunks are sized so that campaigns × days stays under
// LinkedIn's cut.
func TestChunkDays(t *testing.T) {
	tests := []struct{ campaigns, want int }{{1, 30}, {450, 30}, {600, 22}, {2700, 5}}
	for _, tt := range tests {
		f := linkedinadsfake.Start(linkedinadsfake.Options{})
		f.AddAccount(linkedinadsfake.Account{ID: "1", Currency: "USD",
			Data: spendfake.Generate(spendfake.Options{Campaigns: tt.campaigns, From: today, To: today})})
		c, err := New(connector.Config{Credentials: f.Credentials(true), Settings: f.Settings(adspend.Window{})})
		if err != nil {
			t.Fatal(err)
		}
		a, err := (&source{c: c, names: map[string]map[string]string{}}).Account(context.Background(), "1")
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if a.ChunkDays != tt.want {
			t.Errorf("%d campaigns: chunks of %d days, want %d", tt.campaigns, a.ChunkDays, tt.want)
		}
	}
}

// TestElementCut covers LinkedIn's silent cut at 15,000 elements: when the
// search under-counts the campaigns a response can reach the cut, and it is asked
// again in halves.
func TestElementCut(t *testing.T) {
	tests := []struct {
		name     string
		unlisted int
		spans    []int
	}{
		{"cut detected when the search lists 450 of 600", 150, []int{30, 15, 15}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := linkedinadsfake.Start(linkedinadsfake.Options{})
			defer f.Close()
			data := spendfake.Generate(spendfake.Options{Seed: 5, Campaigns: 600, From: today.AddDate(0, 0, -29), To: today, IDBase: 1000})
			unlisted := map[string]bool{}
			for _, c := range data.Campaigns()[:tt.unlisted] {
				unlisted[c.ID] = true
			}
			f.AddAccount(linkedinadsfake.Account{ID: "1", Currency: "USD", Data: data, Unlisted: unlisted})
			c, err := New(connector.Config{Credentials: f.Credentials(false), Settings: f.Settings(adspend.Window{BackfillDays: 30}),
				Now: func() time.Time { return today }})
			if err != nil {
				t.Fatal(err)
			}
			r := adspendtest.New()
			if err := c.Pull(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			if want := f.Expected(today.AddDate(0, 0, -29), today); !reflect.DeepEqual(want, r.Rows()) {
				// cmp.Diff over 18,000 rows is slow: only for a failure.
				diff := cmp.Diff(want, r.Rows())
				t.Errorf("mirror (-want +got):\n%s", diff)
			}
			for _, cm := range r.Commits() {
				if cm.Rows >= MaxElements {
					t.Errorf("a page of %d rows: LinkedIn would have cut it", cm.Rows)
				}
			}
			if diff := cmp.Diff(tt.spans, spans(t, f.Requests())); diff != "" {
				t.Errorf("days per analytics request (-want +got):\n%s", diff)
			}
		})
	}
}

var rangeRe = regexp.MustCompile(`dateRange=\(start:\(year:(\d+),month:(\d+),day:(\d+)\),end:\(year:(\d+),month:(\d+),day:(\d+)\)\)`)

// spans are the days each analytics request covers.
func spans(t *testing.T, uris []string) []int {
	t.Helper()
	var out []int
	for _, uri := range uris {
		m := rangeRe.FindStringSubmatch(uri)
		if m == nil {
			continue
		}
		n := make([]int, 6)
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+1])
		}
		from := time.Date(n[0], time.Month(n[1]), n[2], 0, 0, 0, 0, time.UTC)
		to := time.Date(n[3], time.Month(n[4]), n[5], 0, 0, 0, 0, time.UTC)
		out = append(out, adspend.Range{From: from, To: to}.Days())
	}
	return out
}

func TestCrashThenResume(t *testing.T) {
	for crashAfter := range 4 {
		e := newEnv(t, linkedinadsfake.Options{}, adspend.Window{BackfillDays: 70}, false)
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

func TestSettings(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		wantErr bool
		want    []string
	}{
		{"ids and URNs", `{"account_ids":["123","urn:li:sponsoredAccount:456"]}`, false, []string{"123", "456"}},
		{"no accounts", `{}`, true, nil},
		{"not an id", `{"account_ids":["act_1"]}`, true, nil},
		{"bad version", `{"account_ids":["1"],"version":"2024-01"}`, true, nil},
		{"bad base URL", `{"account_ids":["1"],"base_url":"api.linkedin.com"}`, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseSettings([]byte(tt.raw))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseSettings() error = %v, want error %v", err, tt.wantErr)
			}
			if tt.want != nil && !cmp.Equal(tt.want, s.AccountIDs) {
				t.Errorf("account ids %v, want %v", s.AccountIDs, tt.want)
			}
		})
	}
	if _, err := New(connector.Config{Credentials: []byte(`{"client_id":"x"}`), Settings: []byte(`{"account_ids":["1"]}`)}); err == nil {
		t.Error("credentials without a refresh or access token were accepted")
	}
}
