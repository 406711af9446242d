package metaadsfake

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/srgplatform/srg/modules/sync/adspend/spendfake"
)

// report is an asynchronous insights report (an AdReportRun).
type report struct {
	id      string
	account *Account
	query   url.Values
	polls   int    // status reads so far
	failure string // the error_message of a report that fails
}

// firstReportID numbers report runs like Meta's, apart from ad account ids.
const firstReportID = 6_023_920_149_050

// FailReports makes the reports started from now on fail with message ("" to
// let them finish again).
func (f *Fake) FailReports(message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failReports = message
}

func (f *Fake) report(id string) *report {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reports[id]
}

// startReport is POST /act_{id}/insights: the same query as the edge's GET, run
// as a report whose id it answers.
func (f *Fake) startReport(w http.ResponseWriter, r *http.Request) {
	a := f.find(r.PathValue("node"))
	if a == nil {
		writeError(w, http.StatusBadRequest, graphErr{code: 100, subcode: 33, message: "Unsupported post request."})
		return
	}
	if err := r.ParseForm(); err != nil {
		badParam(w, "the request body is not a form")
		return
	}
	q := url.Values{}
	for k, v := range r.Form {
		if k != "access_token" {
			q[k] = v
		}
	}
	if _, _, _, problem := f.insightRows(a, q); problem != "" {
		badParam(w, problem)
		return
	}
	f.mu.Lock()
	id := strconv.Itoa(firstReportID + len(f.reports))
	f.reports[id] = &report{id: id, account: a, query: q, failure: f.failReports}
	f.mu.Unlock()
	spendfake.WriteJSON(w, http.StatusOK, map[string]string{"report_run_id": id})
}

// reportStatus is GET /{report_run_id}: "Job Not Started", then "Job Running" for
// Options.ReportPolls reads, then "Job Completed" (or "Job Failed").
func (f *Fake) reportStatus(w http.ResponseWriter, rep *report) {
	f.mu.Lock()
	rep.polls++
	polls, failure := rep.polls, rep.failure
	f.mu.Unlock()
	out := map[string]any{"id": rep.id, "account_id": rep.account.ID, "async_status": "Job Running",
		"async_percent_completion": min(100*(polls-1)/max(f.opt.ReportPolls, 1), 99)}
	switch {
	case failure != "" && polls > 1:
		out["async_status"], out["error_code"], out["error_message"] = "Job Failed", 2601, failure
	case polls == 1:
		out["async_status"], out["async_percent_completion"] = "Job Not Started", 0
	case polls > f.opt.ReportPolls+1:
		out["async_status"], out["async_percent_completion"] = "Job Completed", 100
	}
	spendfake.WriteJSON(w, http.StatusOK, out)
}

// reportInsights is GET /{report_run_id}/insights: the finished report's rows,
// paged like the edge.
func (f *Fake) reportInsights(w http.ResponseWriter, r *http.Request, rep *report) {
	f.mu.Lock()
	done := rep.failure == "" && rep.polls > f.opt.ReportPolls+1
	f.mu.Unlock()
	if !done {
		badParam(w, "The report run "+rep.id+" has not completed")
		return
	}
	q := url.Values{}
	for k, v := range rep.query {
		q[k] = v
	}
	for _, k := range []string{"limit", "after"} {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		} else {
			q.Del(k)
		}
	}
	rows, limit, start, problem := f.insightRows(rep.account, q)
	if problem != "" {
		badParam(w, problem)
		return
	}
	f.writePage(w, r, rows, limit, start)
}
