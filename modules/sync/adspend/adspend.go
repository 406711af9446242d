// Package adspend is what the ad-platform connectors (Google Ads, LinkedIn, Meta)
// share: the trailing window of days every run re-reads because platforms restate
// recent days, the back-fill of a first run, slicing long ranges into chunks that
// commit one at a time, and the per-account pull loop around a platform's reader.
package adspend

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/srgplatform/srg/modules/sync/connector"
)

// Defaults of the window settings.
const (
	DefaultTrailingDays = 7
	DefaultBackfillDays = 90
	// DefaultChunkDays is how many days one request covers and one commit stores,
	// so a crash in a long back-fill loses at most one chunk of work.
	DefaultChunkDays = 30
)

// MaxWait is the longest a connector waits inside a run for a platform's quota to
// come back; a longer wait fails the run, and the next scheduled run resumes from
// its cursors instead of holding a worker for hours.
const MaxWait = 10 * time.Minute

// DateLayout is how the platforms and the cursors write a day.
const DateLayout = "2006-01-02"

// Window is the part of every ad connector's settings that says which days a run
// reads. Zero values mean the defaults.
type Window struct {
	// TrailingDays are re-read on every run, ending today, because platforms
	// restate recent days (late conversions, invalid-click refunds).
	TrailingDays int `json:"trailing_days"`
	// BackfillDays are read on the first run, ending today.
	BackfillDays int `json:"backfill_days"`
}

// Check fills in defaults and reports values out of range.
func (w *Window) Check() error {
	if w.TrailingDays == 0 {
		w.TrailingDays = DefaultTrailingDays
	}
	if w.BackfillDays == 0 {
		w.BackfillDays = DefaultBackfillDays
	}
	var errs []error
	if w.TrailingDays < 1 || w.TrailingDays > 90 {
		errs = append(errs, fmt.Errorf("trailing_days %d is not between 1 and 90", w.TrailingDays))
	}
	// Meta keeps 37 months of insights; nobody keeps less than three years.
	if w.BackfillDays < 1 || w.BackfillDays > 1095 {
		errs = append(errs, fmt.Errorf("backfill_days %d is not between 1 and 1095", w.BackfillDays))
	}
	return errors.Join(errs...)
}

// Range is the days From through To, both included, as midnight UTC.
type Range struct {
	From, To time.Time
}

// Days is the number of days in the range.
func (r Range) Days() int { return int(r.To.Sub(r.From).Hours()/24) + 1 }

// String writes the range as "2006-01-02..2006-01-31" for logs and errors.
func (r Range) String() string {
	return r.From.Format(DateLayout) + ".." + r.To.Format(DateLayout)
}

// Plan is the chunks a run reads for a stream whose cursor (the last day already
// stored, "" on the first run) is given, ending today: from the day after the
// cursor or the start of the trailing window, whichever is earlier, so a crashed or
// paused connector catches up without a gap and restated days are re-read.
func (w Window) Plan(cursor string, today time.Time, chunkDays int) ([]Range, error) {
	if chunkDays < 1 {
		chunkDays = DefaultChunkDays
	}
	today = Day(today)
	start := today.AddDate(0, 0, -(w.TrailingDays - 1))
	if cursor == "" {
		start = today.AddDate(0, 0, -(w.BackfillDays - 1))
	} else {
		last, err := time.Parse(DateLayout, cursor)
		if err != nil {
			return nil, fmt.Errorf("adspend: cursor %q is not a day: %w", cursor, err)
		}
		if next := last.AddDate(0, 0, 1); next.Before(start) {
			start = next
		}
	}
	var out []Range
	for from := start; !from.After(today); {
		to := from.AddDate(0, 0, chunkDays-1)
		if to.After(today) {
			to = today
		}
		out = append(out, Range{From: from, To: to})
		from = to.AddDate(0, 0, 1)
	}
	return out, nil
}

// Day is midnight UTC of t's calendar date in t's location.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Today is the calendar date at now in loc (UTC when nil), as midnight UTC: an ad
// account reports days in its own time zone, so "today" is that zone's today.
func Today(now time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return Day(now.In(loc))
}

// ParseDay reads a platform's "2006-01-02" day.
func ParseDay(s string) (time.Time, error) {
	return time.Parse(DateLayout, s)
}

// CheckURL reports a setting that is not an absolute http(s) URL.
func CheckURL(key, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute http(s) URL", key, raw)
	}
	return nil
}

// Account is what a platform says about one ad account before its spend is read.
type Account struct {
	// ID is the account id as stored in ad_spend_daily (no "act_" or URN prefix).
	ID       string
	Currency string
	// Location is the account's reporting time zone; nil means UTC.
	Location *time.Location
	// ChunkDays overrides DefaultChunkDays (LinkedIn sizes it by campaign count).
	ChunkDays int
}

// Source is one platform's reader, driven by Pull.
type Source interface {
	// Account reads the account's currency and time zone.
	Account(ctx context.Context, id string) (Account, error)
	// Fetch reads the spend of the days in r and hands it to emit one page at a
	// time, in the order the platform returns it.
	Fetch(ctx context.Context, a Account, r Range, emit func([]connector.SpendDay) error) error
}

// Stream is the name of an account's stream: its cursor is the last day stored.
func Stream(accountID string) string { return "spend:" + accountID }

// Pull reads every account's planned chunks through src and commits each page. All
// pages of a chunk but the last commit with the cursor the chunk started from (a
// crash re-reads the chunk, and upserts make that harmless); the last one moves the
// cursor to the chunk's end. An account that fails does not stop the others,
// except when the credentials are refused or the context ends.
func Pull(ctx context.Context, r connector.Run, now time.Time, w Window, accountIDs []string, src Source) error {
	var errs []error
	for _, id := range accountIDs {
		err := pullAccount(ctx, r, now, w, id, src)
		if err == nil {
			continue
		}
		if errors.Is(err, connector.ErrReauth) || ctx.Err() != nil {
			return err
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func pullAccount(ctx context.Context, r connector.Run, now time.Time, w Window, id string, src Source) error {
	acct, err := src.Account(ctx, id)
	if err != nil {
		return fmt.Errorf("account %s: %w", id, err)
	}
	stream := Stream(acct.ID)
	cursor := r.Cursor(stream)
	plan, err := w.Plan(cursor, Today(now, acct.Location), acct.ChunkDays)
	if err != nil {
		return err
	}
	for _, rg := range plan {
		// One page is held back so the chunk's last page can carry its new cursor.
		var held []connector.SpendDay
		emit := func(page []connector.SpendDay) error {
			if len(page) == 0 {
				return nil
			}
			if held != nil {
				if err := r.Commit(ctx, stream, cursor, connector.Page{Spend: held}); err != nil {
					return err
				}
			}
			held = page
			return nil
		}
		if err := src.Fetch(ctx, acct, rg, emit); err != nil {
			return fmt.Errorf("account %s, days %s: %w", acct.ID, rg, err)
		}
		cursor = rg.To.Format(DateLayout)
		if err := r.Commit(ctx, stream, cursor, connector.Page{Spend: held}); err != nil {
			return err
		}
	}
	return nil
}
