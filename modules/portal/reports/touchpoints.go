package reports

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/srgplatform/srg/app/errs"
)

// TouchpointTypes are the event types a touchpoint can have.
var TouchpointTypes = []string{"pageview", "form", "download", "outbound", "identify", "track"}

// PageSize is how many touchpoints a page lists.
const PageSize = 50

// maxWindow is how deep paging goes; Elasticsearch answers at most this many hits
// in pages (its max_result_window); the CSV export has no such limit.
const maxWindow = 10000

// TouchpointFilter selects touchpoints.
type TouchpointFilter struct {
	Range    Range
	Channel  string
	Type     string
	Campaign string
	// URL is free text that the touchpoint's URL must contain (any case).
	URL string
}

// ParseTouchpointFilter reads the filter of the touchpoints page from its query
// parameters, refusing values that cannot be right.
func ParseTouchpointFilter(get func(string) string, now time.Time) (TouchpointFilter, error) {
	r, err := ParseRange(get("from"), get("to"), now)
	if err != nil {
		return TouchpointFilter{}, err
	}
	f := TouchpointFilter{Range: r, Channel: strings.TrimSpace(get("channel")), Type: strings.TrimSpace(get("type")),
		Campaign: strings.TrimSpace(get("campaign")), URL: strings.TrimSpace(get("url"))}
	if f.Type != "" && !slices.Contains(TouchpointTypes, f.Type) {
		return f, errs.Invalid("type", "unknown touchpoint type %q; one of %s", f.Type, strings.Join(TouchpointTypes, ", "))
	}
	for name, v := range map[string]string{"channel": f.Channel, "campaign": f.Campaign, "url": f.URL} {
		if len(v) > 500 {
			return f, errs.Invalid(name, "the %s filter is longer than 500 characters", name)
		}
	}
	return f, nil
}

// ParsePage reads a page number (1 when empty).
func ParsePage(v string) (int, error) {
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errs.Invalid("page", "the page %q is not a whole number from 1", v)
	}
	if n*PageSize > maxWindow {
		return 0, errs.Invalid("page", "pages go up to %d; narrow the filters or export the touchpoints as CSV", maxWindow/PageSize)
	}
	return n, nil
}

func (f TouchpointFilter) query() map[string]any {
	clauses := []any{f.Range.esRange("occurred_at")}
	for field, v := range map[string]string{"channel": f.Channel, "type": f.Type, "utm_campaign": f.Campaign} {
		if v != "" {
			clauses = append(clauses, map[string]any{"term": map[string]any{field: v}})
		}
	}
	if f.URL != "" {
		clauses = append(clauses, map[string]any{"wildcard": map[string]any{"url": map[string]any{
			"value": "*" + wildcardEscape(f.URL) + "*", "case_insensitive": true}}})
	}
	return map[string]any{"bool": map[string]any{"filter": clauses}}
}

// wildcardEscape makes text match literally inside a wildcard pattern.
func wildcardEscape(text string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`).Replace(text)
}

var touchpointSort = []any{map[string]any{"occurred_at": "desc"}, map[string]any{"event_id": "desc"}}

// Touchpoint is a raw touchpoint as the touchpoints page lists it.
type Touchpoint struct {
	EventID      string    `json:"event_id"`
	OccurredAt   time.Time `json:"occurred_at"`
	Type         string    `json:"type"`
	Channel      string    `json:"channel"`
	ChannelRule  string    `json:"channel_rule"`
	URL          string    `json:"url"`
	Referrer     string    `json:"referrer"`
	UTMSource    string    `json:"utm_source"`
	UTMMedium    string    `json:"utm_medium"`
	UTMCampaign  string    `json:"utm_campaign"`
	UTMContent   string    `json:"utm_content"`
	UTMTerm      string    `json:"utm_term"`
	ClickIDType  string    `json:"click_id_type"`
	VisitorID    string    `json:"visitor_id"`
	SessionID    string    `json:"session_id"`
	PersonID     string    `json:"person_id"`
	AccountID    string    `json:"account_id"`
	SiteKey      string    `json:"site_key"`
	Browser      string    `json:"browser"`
	OS           string    `json:"os"`
	DeviceType   string    `json:"device_type"`
	Country      string    `json:"country"`
	IsBot        bool      `json:"is_bot"`
	SessionStart bool      `json:"session_start"`
}

// TouchpointPage is one page of touchpoints.
type TouchpointPage struct {
	Touchpoints []Touchpoint
	Total       int64
	Page        int
	Pages       int
}

// Touchpoints lists one page of the tenant's touchpoints, newest first.
func (s *Service) Touchpoints(ctx context.Context, tenant string, f TouchpointFilter, page int) (TouchpointPage, error) {
	body := map[string]any{
		"from":             (page - 1) * PageSize,
		"size":             PageSize,
		"track_total_hits": true,
		"query":            f.query(),
		"sort":             touchpointSort,
	}
	out := TouchpointPage{Page: page}
	total, err := s.hitsTotal(ctx, tenant, touchpointsIndex, body, func(raw json.RawMessage) error {
		var t Touchpoint
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("reports: touchpoint document: %w", err)
		}
		out.Touchpoints = append(out.Touchpoints, t)
		return nil
	})
	if err != nil {
		return out, err
	}
	out.Total = total
	out.Pages = int(min((total+PageSize-1)/PageSize, maxWindow/PageSize))
	return out, nil
}

// csvColumns are the export's columns, in order: the Touchpoint fields by their
// JSON names.
var csvColumns = []string{"event_id", "occurred_at", "type", "channel", "channel_rule", "url", "referrer", "utm_source",
	"utm_medium", "utm_campaign", "utm_content", "utm_term", "click_id_type", "visitor_id", "session_id", "person_id",
	"account_id", "site_key", "browser", "os", "device_type", "country", "is_bot", "session_start"}

func (t *Touchpoint) csvRecord(rec []string) []string {
	return append(rec[:0], t.EventID, t.OccurredAt.UTC().Format(time.RFC3339Nano), t.Type, t.Channel, t.ChannelRule, t.URL,
		t.Referrer, t.UTMSource, t.UTMMedium, t.UTMCampaign, t.UTMContent, t.UTMTerm, t.ClickIDType, t.VisitorID,
		t.SessionID, t.PersonID, t.AccountID, t.SiteKey, t.Browser, t.OS, t.DeviceType, t.Country,
		strconv.FormatBool(t.IsBot), strconv.FormatBool(t.SessionStart))
}

// ExportTouchpoints writes every touchpoint the filter selects to w as CSV, newest
// first, a page at a time (memory stays bounded whatever the count), and returns
// how many rows it wrote. Cells that a spreadsheet would run as a formula are
// prefixed with a quote.
func (s *Service) ExportTouchpoints(ctx context.Context, tenant string, f TouchpointFilter, w io.Writer) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvColumns); err != nil {
		return 0, err
	}
	n := 0
	rec := make([]string, 0, len(csvColumns))
	body := map[string]any{"query": f.query(), "sort": touchpointSort, "_source": csvColumns}
	err := s.es.Each(ctx, tenant, touchpointsIndex, body, func(raw json.RawMessage) error {
		var t Touchpoint
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("reports: touchpoint document: %w", err)
		}
		rec = t.csvRecord(rec)
		for i, v := range rec {
			rec[i] = defuseFormula(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		n++
		if n%PageSize == 0 {
			cw.Flush()
			return cw.Error()
		}
		return nil
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return n, err
}

// defuseFormula keeps a spreadsheet from running a cell as a formula (CSV
// injection): tracked URLs and utm values come from anyone's browser.
func defuseFormula(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// Prev is the preceding page number.
func (p TouchpointPage) Prev() int { return p.Page - 1 }

// Next is the following page number.
func (p TouchpointPage) Next() int { return p.Page + 1 }
