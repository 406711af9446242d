package metaadsfake

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/adspend/spendfake"
)

func badParam(w http.ResponseWriter, msg string) {
	writeError(w, http.StatusBadRequest, graphErr{code: 100, message: "(#100) " + msg})
}

// node is GET /act_{id}?fields=… or a report run's status, GET /{report_run_id}.
func (f *Fake) node(w http.ResponseWriter, r *http.Request) {
	if rep := f.report(r.PathValue("node")); rep != nil {
		f.reportStatus(w, rep)
		return
	}
	a := f.find(r.PathValue("node"))
	if a == nil {
		writeError(w, http.StatusBadRequest, graphErr{code: 100, subcode: 33,
			message: "Unsupported get request. Object with ID '" + r.PathValue("node") + "' does not exist, cannot be loaded due to missing permissions, or does not support this operation."})
		return
	}
	out := map[string]any{"id": "act_" + a.ID}
	for _, fld := range strings.Split(r.URL.Query().Get("fields"), ",") {
		switch fld {
		case "":
		case "currency":
			out["currency"] = a.Currency
		case "timezone_name":
			out["timezone_name"] = a.TimeZone
		case "account_id":
			out["account_id"] = a.ID
		default:
			badParam(w, "Tried accessing nonexisting field ("+fld+") on node type (AdAccount)")
			return
		}
	}
	spendfake.WriteJSON(w, http.StatusOK, out)
}

var (
	insightFields = map[string]bool{"campaign_id": true, "campaign_name": true, "spend": true, "clicks": true,
		"impressions": true, "account_currency": true, "account_id": true}
	campaignStatuses = map[string]bool{"ACTIVE": true, "PAUSED": true, "DELETED": true, "ARCHIVED": true, "IN_PROCESS": true, "WITH_ISSUES": true}
	insightParams    = map[string]bool{"level": true, "time_increment": true, "time_range": true, "fields": true, "limit": true,
		"after": true, "filtering": true, "access_token": true}
)

// insights is the ad account's insights edge at campaign level, one row per
// campaign and day, paged with cursors and an absolute next link; or, for a
// report run's id, the rows of that finished report.
func (f *Fake) insights(w http.ResponseWriter, r *http.Request) {
	if rep := f.report(r.PathValue("node")); rep != nil {
		f.reportInsights(w, r, rep)
		return
	}
	a := f.find(r.PathValue("node"))
	if a == nil {
		writeError(w, http.StatusBadRequest, graphErr{code: 100, subcode: 33, message: "Unsupported get request."})
		return
	}
	rows, limit, start, problem := f.insightRows(a, r.URL.Query())
	if problem != "" {
		badParam(w, problem)
		return
	}
	if f.opt.SyncRowLimit > 0 && len(rows) > f.opt.SyncRowLimit {
		writeError(w, http.StatusInternalServerError, graphErr{code: 1, subcode: 99,
			message: "Please reduce the amount of data you're asking for, then retry your request"})
		return
	}
	f.writePage(w, r, rows, limit, start)
}

// insightRows checks an insights query and returns its rows, the page size and
// the first row asked for; problem is the message of a parameter Meta would refuse.
func (f *Fake) insightRows(a *Account, q url.Values) (rows []map[string]string, limit, start int, problem string) {
	for k := range q {
		if !insightParams[k] {
			return nil, 0, 0, "The parameter " + k + " is not supported by the fake"
		}
	}
	if q.Get("level") != "campaign" {
		return nil, 0, 0, "level must be one of the following values: ad, adset, campaign, account (the fake serves campaign)"
	}
	if q.Get("time_increment") != "1" {
		return nil, 0, 0, "the fake only serves time_increment=1"
	}
	var tr struct{ Since, Until string }
	if err := json.Unmarshal([]byte(q.Get("time_range")), &tr); err != nil {
		return nil, 0, 0, "param time_range must be a JSON object with since and until"
	}
	since, err1 := time.Parse(adspend.DateLayout, tr.Since)
	until, err2 := time.Parse(adspend.DateLayout, tr.Until)
	if err1 != nil || err2 != nil || until.Before(since) {
		return nil, 0, 0, "param time_range is invalid: since must be a date before or equal to until"
	}
	fields := strings.Split(q.Get("fields"), ",")
	for _, fld := range fields {
		if !insightFields[fld] {
			return nil, 0, 0, fld + " is not valid for fields param"
		}
	}
	limit, start, problem = pageParams(q)
	if problem != "" {
		return nil, 0, 0, problem
	}
	include, ok := statusFilter(q.Get("filtering"))
	if !ok {
		return nil, 0, 0, "Filtering field campaign.effective_status with operation IN and a list of statuses is the only filter the fake knows"
	}

	names := map[string]string{}
	for _, c := range a.Data.Campaigns() {
		names[c.ID] = c.Name
	}
	f.mu.Lock()
	status := map[string]string{}
	for k, v := range a.Status {
		status[k] = v
	}
	f.mu.Unlock()
	for _, d := range a.Data.Rows(since, until) {
		st := status[d.CampaignID]
		if st == "" {
			st = "ACTIVE"
		}
		if !include[st] {
			continue
		}
		day := d.Day.Format(adspend.DateLayout)
		row := map[string]string{"date_start": day, "date_stop": day}
		for _, fld := range fields {
			switch fld {
			case "campaign_id":
				row[fld] = d.CampaignID
			case "campaign_name":
				row[fld] = names[d.CampaignID]
			case "spend":
				row[fld] = spendfake.TrimmedDecimal(d.Micros)
			case "clicks":
				row[fld] = strconv.FormatInt(d.Clicks, 10)
			case "impressions":
				row[fld] = strconv.FormatInt(d.Impressions, 10)
			case "account_currency":
				row[fld] = a.Currency
			case "account_id":
				row[fld] = a.ID
			}
		}
		rows = append(rows, row)
	}
	return rows, limit, start, ""
}

// pageParams reads limit (default 25, at most 5,000) and the after cursor.
func pageParams(q url.Values) (limit, start int, problem string) {
	limit = 25
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, "param limit must be a positive integer"
		}
		limit = min(n, 5000)
	}
	if after := q.Get("after"); after != "" {
		raw, err := base64.StdEncoding.DecodeString(after)
		n, err2 := strconv.Atoi(string(raw))
		if err != nil || err2 != nil || n < 0 {
			return 0, 0, "param after is not a valid cursor"
		}
		start = n
	}
	return limit, start, ""
}

// writePage answers one page of rows, with a next link repeating the request's own
// parameters.
func (f *Fake) writePage(w http.ResponseWriter, r *http.Request, rows []map[string]string, limit, start int) {
	end := min(start+limit, len(rows))
	page := rows[min(start, len(rows)):end]
	cursor := func(n int) string { return base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(n))) }
	paging := map[string]any{"cursors": map[string]string{"before": cursor(start), "after": cursor(end)}}
	if end < len(rows) {
		next := url.Values{}
		for k, v := range r.URL.Query() {
			next[k] = v
		}
		next.Set("after", cursor(end))
		paging["next"] = f.URL + r.URL.Path + "?" + next.Encode()
	}
	f.usage(w, f.opt.UsagePct, 0)
	if page == nil {
		page = []map[string]string{}
	}
	spendfake.WriteJSON(w, http.StatusOK, map[string]any{"data": page, "paging": paging})
}

// statusFilter reads filtering=[{"field":"campaign.effective_status",
// "operator":"IN","value":[…]}]; without it only live campaigns report, as on
// Meta, where deleted and archived objects need the filter.
func statusFilter(raw string) (map[string]bool, bool) {
	if raw == "" {
		return map[string]bool{"ACTIVE": true, "PAUSED": true, "IN_PROCESS": true, "WITH_ISSUES": true}, true
	}
	var filters []struct {
		Field    string   `json:"field"`
		Operator string   `json:"operator"`
		Value    []string `json:"value"`
	}
	if json.Unmarshal([]byte(raw), &filters) != nil || len(filters) != 1 ||
		filters[0].Field != "campaign.effective_status" || filters[0].Operator != "IN" || len(filters[0].Value) == 0 {
		return nil, false
	}
	out := map[string]bool{}
	for _, v := range filters[0].Value {
		if !campaignStatuses[v] {
			return nil, false
		}
		out[v] = true
	}
	return out, true
}
