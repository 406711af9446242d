package adspend_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/adspend/adspendtest"
	"github.com/srgplatform/srg/modules/sync/connector"
)

func day(s string) time.Time {
	d, err := time.Parse(adspend.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return d
}

func ranges(rs []adspend.Range) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.String())
	}
	return out
}

func TestPlan(t *testing.T) {
	w := adspend.Window{TrailingDays: 7, BackfillDays: 90}
	tests := []struct {
		name   string
		w      adspend.Window
		cursor string
		today  string
		chunk  int
		want   []string
	}{
		{"first run back-fills in chunks", w, "", "2026-03-31", 30,
			[]string{"2026-01-01..2026-01-30", "2026-01-31..2026-03-01", "2026-03-02..2026-03-31"}},
		{"up to date re-reads the trailing window", w, "2026-03-31", "2026-03-31", 30,
			[]string{"2026-03-25..2026-03-31"}},
		{"the next day re-reads the trailing window and the new day", w, "2026-03-31", "2026-04-01", 30,
			[]string{"2026-03-26..2026-04-01"}},
		{"a stale cursor resumes the day after it", w, "2026-02-10", "2026-03-31", 30,
			[]string{"2026-02-11..2026-03-12", "2026-03-13..2026-03-31"}},
		{"a cursor ahead of today (clock or zone change) still re-reads the window", w, "2026-04-02", "2026-03-31", 30,
			[]string{"2026-03-25..2026-03-31"}},
		{"small chunks", adspend.Window{TrailingDays: 3, BackfillDays: 5}, "", "2026-03-31", 2,
			[]string{"2026-03-27..2026-03-28", "2026-03-29..2026-03-30", "2026-03-31..2026-03-31"}},
		{"zero chunk means the default", adspend.Window{TrailingDays: 1, BackfillDays: 31}, "", "2026-03-31", 0,
			[]string{"2026-03-01..2026-03-30", "2026-03-31..2026-03-31"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.w.Plan(tt.cursor, day(tt.today), tt.chunk)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ranges(got)); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := w.Plan("yesterday", day("2026-03-31"), 30); err == nil {
		t.Error("a malformed cursor was accepted")
	}
}

func TestWindowCheck(t *testing.T) {
	tests := []struct {
		in      adspend.Window
		want    adspend.Window
		wantErr bool
	}{
		{adspend.Window{}, adspend.Window{TrailingDays: 7, BackfillDays: 90}, false},
		{adspend.Window{TrailingDays: 3, BackfillDays: 400}, adspend.Window{TrailingDays: 3, BackfillDays: 400}, false},
		{adspend.Window{TrailingDays: -1}, adspend.Window{TrailingDays: -1, BackfillDays: 90}, true},
		{adspend.Window{TrailingDays: 91}, adspend.Window{TrailingDays: 91, BackfillDays: 90}, true},
		{adspend.Window{BackfillDays: 5000}, adspend.Window{TrailingDays: 7, BackfillDays: 5000}, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.in), func(t *testing.T) {
			w := tt.in
			err := w.Check()
			if (err != nil) != tt.wantErr {
				t.Errorf("Check() error = %v, want error %v", err, tt.wantErr)
			}
			if w != tt.want {
				t.Errorf("Check() left %+v, want %+v", w, tt.want)
			}
		})
	}
}

func TestToday(t *testing.T) {
	now := time.Date(2026, 3, 31, 20, 0, 0, 0, time.UTC)
	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		loc  *time.Location
		want string
	}{{nil, "2026-03-31"}, {time.UTC, "2026-03-31"}, {auckland, "2026-04-01"}}
	for _, tt := range tests {
		if got := adspend.Today(now, tt.loc).Format(time.RFC3339); got != tt.want+"T00:00:00Z" {
			t.Errorf("Today(%v) = %s, want %s", tt.loc, got, tt.want)
		}
	}
}

func TestMicros(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{1_230_000, "1.23"}, {0, "0"}, {5, "0.000005"}, {1_000_000, "1"}, {-2_500_000, "-2.5"},
		{9_007_199_254_740_993, "9007199254.740993"}, {-9223372036854775808, "-9223372036854.775808"},
	}
	for _, tt := range tests {
		if got := adspend.Micros(tt.in); got != tt.want {
			t.Errorf("Micros(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"12.340000", "12.34", false}, {"5339.5", "5339.5", false}, {"0", "0", false}, {"0.000", "0", false},
		{"007.10", "7.1", false}, {"-0.0", "0", false}, {"-3.50", "-3.5", false},
		{"9007199254.740993", "9007199254.740993", false},
		{"", "", true}, {"1e5", "", true}, {"1.", "", true}, {".5", "", true}, {"12,5", "", true}, {"+1", "", true}, {"NaN", "", true},
	}
	for _, tt := range tests {
		got, err := adspend.Decimal(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Decimal(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		in      string
		want    adspend.Int
		wantErr bool
	}{
		{`12`, 12, false}, {`"9007199254740993"`, 9007199254740993, false}, {`null`, 0, false},
		{`"x"`, 0, true}, {`1.5`, 0, true}, {`true`, 0, true},
	}
	for _, tt := range tests {
		var got adspend.Int
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Int(%s) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func commit(cursor string, rows int) adspendtest.Commit {
	return adspendtest.Commit{Stream: "spend:a", Cursor: cursor, Rows: rows}
}

// pagedSource hands each range over as one page per day, and fails the accounts
// it is told to.
type pagedSource struct {
	fail map[string]error
}

func (s pagedSource) Account(_ context.Context, id string) (adspend.Account, error) {
	if err := s.fail[id]; err != nil {
		return adspend.Account{}, err
	}
	return adspend.Account{ID: id, Currency: "EUR", ChunkDays: 3}, nil
}

func (s pagedSource) Fetch(_ context.Context, a adspend.Account, r adspend.Range, emit func([]connector.SpendDay) error) error {
	for d := r.From; !d.After(r.To); d = d.AddDate(0, 0, 1) {
		if d.Day()%4 == 0 {
			continue // a day without spend: no page at all
		}
		if err := emit([]connector.SpendDay{{AccountID: a.ID, CampaignID: "c", Day: d, Spend: "1", Currency: a.Currency}}); err != nil {
			return err
		}
	}
	return nil
}

func TestPullCommitsEachPageAndMovesTheCursorAtChunkEnds(t *testing.T) {
	r := adspendtest.New()
	w := adspend.Window{TrailingDays: 2, BackfillDays: 7}
	now := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	if err := adspend.Pull(context.Background(), r, now, w, []string{"a"}, pagedSource{}); err != nil {
		t.Fatal(err)
	}
	// Days 1..7 in chunks of 3: 1-3, 4-6, 7. Day 4 has no page.
	want := []adspendtest.Commit{
		commit("", 1), commit("", 1), commit("2026-03-03", 1),
		commit("2026-03-03", 1), commit("2026-03-06", 1),
		commit("2026-03-07", 1),
	}
	if diff := cmp.Diff(want, r.Commits()); diff != "" {
		t.Errorf("commits (-want +got):\n%s", diff)
	}
	if got := len(r.Rows()); got != 6 {
		t.Errorf("%d rows, want 6", got)
	}
}

func TestPullEmptyChunkStillMovesTheCursor(t *testing.T) {
	r := adspendtest.New()
	w := adspend.Window{TrailingDays: 1, BackfillDays: 1}
	now := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC) // day 4: no spend
	if err := adspend.Pull(context.Background(), r, now, w, []string{"a"}, pagedSource{}); err != nil {
		t.Fatal(err)
	}
	want := []adspendtest.Commit{commit("2026-03-04", 0)}
	if diff := cmp.Diff(want, r.Commits()); diff != "" {
		t.Errorf("commits (-want +got):\n%s", diff)
	}
}

func TestPullAccountFailures(t *testing.T) {
	boom := errors.New("boom")
	reauth := fmt.Errorf("%w: revoked", connector.ErrReauth)
	tests := []struct {
		name        string
		fail        map[string]error
		wantStreams []string
		wantIs      error
	}{
		{"one account failing does not stop the others", map[string]error{"a": boom}, []string{"spend:b"}, boom},
		{"refused credentials stop the run", map[string]error{"a": reauth}, nil, connector.ErrReauth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := adspendtest.New()
			now := time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)
			err := adspend.Pull(context.Background(), r, now, adspend.Window{TrailingDays: 1, BackfillDays: 2}, []string{"a", "b"}, pagedSource{fail: tt.fail})
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Pull() = %v, want %v", err, tt.wantIs)
			}
			var streams []string
			for s := range r.Cursors() {
				streams = append(streams, s)
			}
			if diff := cmp.Diff(tt.wantStreams, streams); diff != "" {
				t.Errorf("streams (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://graph.facebook.com": true, "http://127.0.0.1:8080/x": true,
		"graph.facebook.com": false, "ftp://x": false, "": false, "https://": false,
	} {
		if err := adspend.CheckURL("base_url", raw); (err == nil) != ok {
			t.Errorf("CheckURL(%q) = %v, want ok %v", raw, err, ok)
		}
	}
}
