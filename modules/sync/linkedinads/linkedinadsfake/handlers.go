package linkedinadsfake

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend/spendfake"
)

func (f *Fake) find(id string) *Account {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accounts[id]
}

func (f *Fake) account(w http.ResponseWriter, r *http.Request) {
	a := f.find(r.PathValue("account"))
	if a == nil {
		writeError(w, http.StatusNotFound, 0, "NOT_FOUND", "Not Found")
		return
	}
	id, _ := strconv.ParseInt(a.ID, 10, 64)
	spendfake.WriteJSON(w, http.StatusOK, map[string]any{
		"id": id, "name": a.Name, "currency": a.Currency, "status": "ACTIVE", "type": "BUSINESS",
		"reference": "urn:li:organization:1", "test": false, "servingStatuses": []string{"RUNNABLE"},
	})
}

func campaignJSON(a *Account, c spendfake.Campaign) map[string]any {
	id, _ := strconv.ParseInt(c.ID, 10, 64)
	return map[string]any{
		"id": id, "name": c.Name, "account": "urn:li:sponsoredAccount:" + a.ID, "status": "ACTIVE",
		"campaignGroup": "urn:li:sponsoredCampaignGroup:1", "type": "SPONSORED_UPDATES",
	}
}

// searchCampaigns is the search finder with cursor paging (pageSize, pageToken,
// metadata.nextPageToken).
func (f *Fake) searchCampaigns(w http.ResponseWriter, r *http.Request) {
	a := f.find(r.PathValue("account"))
	q := r.URL.Query()
	if a == nil {
		writeError(w, http.StatusNotFound, 0, "NOT_FOUND", "Not Found")
		return
	}
	if q.Get("q") != "search" {
		writeError(w, http.StatusBadRequest, 0, "ILLEGAL_ARGUMENT", "Invalid value for param q")
		return
	}
	size := 100
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, 0, "ILLEGAL_ARGUMENT", "pageSize must be between 1 and 1000")
			return
		}
		size = n
	}
	size = min(size, f.opt.CampaignPageSize)
	start := 0
	if tok := q.Get("pageToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
		if err != nil || err2 != nil || n < 0 {
			writeError(w, http.StatusBadRequest, 0, "ILLEGAL_ARGUMENT", "Invalid pageToken")
			return
		}
		start = n
	}
	var listed []spendfake.Campaign
	for _, c := range a.Data.Campaigns() {
		if !a.Unlisted[c.ID] {
			listed = append(listed, c)
		}
	}
	end := min(start+size, len(listed))
	elements := []any{}
	for _, c := range listed[min(start, len(listed)):end] {
		elements = append(elements, campaignJSON(a, c))
	}
	meta := map[string]any{}
	if end < len(listed) {
		meta["nextPageToken"] = base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(end)))
	}
	spendfake.WriteJSON(w, http.StatusOK, map[string]any{"elements": elements, "metadata": meta,
		"paging": map[string]any{"start": 0, "count": size, "links": []any{}}})
}

func (f *Fake) campaign(w http.ResponseWriter, r *http.Request) {
	a := f.find(r.PathValue("account"))
	if a == nil {
		writeError(w, http.StatusNotFound, 0, "NOT_FOUND", "Not Found")
		return
	}
	c, ok := a.Data.Campaign(r.PathValue("campaign"))
	if !ok {
		writeError(w, http.StatusNotFound, 0, "NOT_FOUND", "Not Found")
		return
	}
	spendfake.WriteJSON(w, http.StatusOK, campaignJSON(a, c))
}

var (
	dateRangeRe = regexp.MustCompile(`^\(start:\(year:([0-9]{4}),month:([0-9]{1,2}),day:([0-9]{1,2})\)(?:,end:\(year:([0-9]{4}),month:([0-9]{1,2}),day:([0-9]{1,2})\))?\)$`)
	accountsRe  = regexp.MustCompile(`^List\(urn%3Ali%3AsponsoredAccount%3A[0-9]+(?:,urn%3Ali%3AsponsoredAccount%3A[0-9]+)*\)$`)
	metrics     = map[string]bool{"dateRange": true, "pivotValues": true, "costInLocalCurrency": true, "costInUsd": true, "impressions": true, "clicks": true}
	analyticsQ  = map[string]bool{"q": true, "pivot": true, "timeGranularity": true, "dateRange": true, "accounts": true, "fields": true}
)

// analytics is the adAnalytics analytics finder. It reads the raw query as
// LinkedIn does: Rest.li 2.0 structure (parentheses, colons, commas) must arrive
// unencoded and URNs inside List(...) encoded; anything else is a 400.
func (f *Fake) analytics(w http.ResponseWriter, r *http.Request) {
	params := map[string]string{}
	for _, kv := range strings.Split(r.URL.RawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if !analyticsQ[k] {
			writeError(w, http.StatusBadRequest, 0, "QUERY_PARAM_NOT_ALLOWED", "Query parameter "+k+" is not allowed")
			return
		}
		params[k] = v
	}
	bad := func(msg string) {
		writeError(w, http.StatusBadRequest, 0, "ILLEGAL_ARGUMENT", msg)
	}
	switch {
	case params["q"] != "analytics":
		bad("Invalid value for param q")
		return
	case params["pivot"] != "CAMPAIGN":
		bad("the fake only pivots by CAMPAIGN")
		return
	case params["timeGranularity"] != "DAILY":
		bad("the fake only reports DAILY")
		return
	}
	dm := dateRangeRe.FindStringSubmatch(params["dateRange"])
	if dm == nil {
		bad("Invalid query parameters passed to request")
		return
	}
	from, ok1 := civil(dm[1], dm[2], dm[3])
	// Without an end the range runs to the last day with data.
	to, ok2 := from.AddDate(100, 0, 0), true
	if dm[4] != "" {
		to, ok2 = civil(dm[4], dm[5], dm[6])
	}
	if !ok1 || !ok2 || to.Before(from) {
		bad("Invalid date range")
		return
	}
	if !accountsRe.MatchString(params["accounts"]) {
		bad("Invalid query parameters passed to request")
		return
	}
	fields := map[string]bool{"impressions": true, "clicks": true}
	if v, ok := params["fields"]; ok {
		fields = map[string]bool{}
		for _, fld := range strings.Split(v, ",") {
			if !metrics[fld] {
				bad("Invalid field " + fld)
				return
			}
			fields[fld] = true
		}
	}
	list := strings.TrimSuffix(strings.TrimPrefix(params["accounts"], "List("), ")")
	var ids []string
	for _, urn := range strings.Split(list, ",") {
		ids = append(ids, strings.TrimPrefix(urn, "urn%3Ali%3AsponsoredAccount%3A"))
	}
	sort.Strings(ids)
	elements := []analyticsElement{}
	for _, id := range ids {
		a := f.find(id)
		if a == nil {
			writeError(w, http.StatusForbidden, 100, "ACCESS_DENIED", "Not enough permissions to access: adAnalytics.FINDER-analytics.20240101")
			return
		}
		for _, row := range a.Data.Rows(from, to) {
			if len(elements) == f.opt.MaxElements {
				break
			}
			elements = append(elements, element(row, fields))
		}
	}
	spendfake.WriteJSON(w, http.StatusOK, map[string]any{"elements": elements,
		"paging": map[string]any{"start": 0, "count": 10, "links": []any{}}})
}

type ymd struct {
	Year  int `json:"year"`
	Month int `json:"month"`
	Day   int `json:"day"`
}

type dateRange struct {
	Start ymd `json:"start"`
	End   ymd `json:"end"`
}

// analyticsElement is one row of adAnalytics; fields not asked for are left out.
type analyticsElement struct {
	DateRange           *dateRange `json:"dateRange,omitempty"`
	PivotValues         []string   `json:"pivotValues,omitempty"`
	CostInLocalCurrency string     `json:"costInLocalCurrency,omitempty"`
	Impressions         *int64     `json:"impressions,omitempty"`
	Clicks              *int64     `json:"clicks,omitempty"`
}

func element(row spendfake.Row, fields map[string]bool) analyticsElement {
	var e analyticsElement
	if fields["dateRange"] {
		d := ymd{row.Day.Year(), int(row.Day.Month()), row.Day.Day()}
		e.DateRange = &dateRange{Start: d, End: d}
	}
	if fields["pivotValues"] {
		e.PivotValues = []string{"urn:li:sponsoredCampaign:" + row.CampaignID}
	}
	if fields["costInLocalCurrency"] {
		e.CostInLocalCurrency = spendfake.Decimal6(row.Micros)
	}
	if fields["impressions"] {
		e.Impressions = &row.Impressions
	}
	if fields["clicks"] {
		e.Clicks = &row.Clicks
	}
	return e
}

// civil is the date of year, month and day, when they name one.
func civil(y, m, d string) (time.Time, bool) {
	yi, _ := strconv.Atoi(y)
	mi, _ := strconv.Atoi(m)
	di, _ := strconv.Atoi(d)
	t := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, time.UTC)
	return t, t.Year() == yi && int(t.Month()) == mi && t.Day() == di
}
