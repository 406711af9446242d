package metaads

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/adspend/adspendtest"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/metaads/metaadsfake"
)

// TestAsyncReports runs ranges the fake refuses to answer synchronously (more than
// SyncRowLimit rows) through asynchronous reports.
func TestAsyncReports(t *testing.T) {
	tests := []struct {
		name    string
		opt     metaadsfake.Options
		failing string // the fake's reports fail with this message in the first run
		wantErr string // of the first run; the second runs with reports that finish
	}{
		{"large ranges run as reports", metaadsfake.Options{SyncRowLimit: 100}, "", ""},
		{"a failed report fails the run", metaadsfake.Options{SyncRowLimit: 100}, "Not enough memory", `Job Failed (code 2601): Not enough memory`},
		{"a report that never finishes fails the run", metaadsfake.Options{SyncRowLimit: 100, ReportPolls: 1_000}, "", `still "Job Running"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opt, adspend.Window{BackfillDays: 121})
			e.fake.FailReports(tt.failing)
			r := adspendtest.New()
			err := e.pull(t, r)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Pull() = %v, want %q", err, tt.wantErr)
				}
				if c := r.Cursors()["spend:1001"]; c != "" {
					t.Errorf("the cursor moved to %s past a range whose report did not finish", c)
				}
				e.fake.FailReports("")
				if tt.opt.ReportPolls > 0 {
					e = newEnv(t, metaadsfake.Options{SyncRowLimit: 100}, adspend.Window{BackfillDays: 121})
				}
				if err := e.pull(t, r); err != nil {
					t.Fatalf("the next run: %v", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(e.expected(121), r.Rows()); diff != "" {
				t.Errorf("mirror (-want +got):\n%s", diff)
			}
			var posts, reportPages int
			for _, req := range e.fake.Requests() {
				posts += strings.Count(req, "POST /v24.0/act_1001/insights")
				if strings.HasPrefix(req, "GET /v24.0/6023920") && strings.Contains(req, "/insights?") && strings.Contains(req, "after=") {
					reportPages++
				}
			}
			if posts == 0 || reportPages == 0 {
				t.Errorf("%d reports started, %d report pages after the first read; want some of each", posts, reportPages)
			}
			if slept := e.Slept(); len(slept) == 0 || slept[0] != reportFirstPoll {
				t.Errorf("slept %v, want %v before the first status read", slept[:min(len(slept), 5)], reportFirstPoll)
			}
		})
	}
}

func TestReportRunStatus(t *testing.T) {
	tests := []struct {
		run     reportRun
		done    bool
		wantErr string
	}{
		{reportRun{Status: "Job Not Started"}, false, ""},
		{reportRun{Status: "Job Started", Percent: 0}, false, ""},
		{reportRun{Status: "Job Running", Percent: 60}, false, ""},
		{reportRun{Status: "Job Completed", Percent: 95}, false, ""},
		{reportRun{Status: "Job Completed", Percent: 100}, true, ""},
		{reportRun{Status: "Job Failed"}, false, "Job Failed"},
		{reportRun{Status: "Job Failed", ErrorCode: 2601, ErrorMessage: "too big"}, false, "Job Failed (code 2601): too big"},
		{reportRun{Status: "Job Skipped"}, false, "Job Skipped"},
		{reportRun{Status: ""}, false, `unknown async_status ""`},
		{reportRun{Status: "Job Done"}, false, `unknown async_status "Job Done"`},
	}
	for _, tt := range tests {
		done, err := tt.run.finished()
		if done != tt.done || (tt.wantErr == "") != (err == nil) || (err != nil && err.Error() != tt.wantErr) {
			t.Errorf("%+v: finished() = %v, %v; want %v, %q", tt.run, done, err, tt.done, tt.wantErr)
		}
	}
}

// TestMalformedReportStart answers the start of a report with what is not a report
// run id: the run fails saying so.
func TestMalformedReportStart(t *testing.T) {
	tests := []struct{ name, body, wantErr string }{
		{"no id", `{}`, `report_run_id "" is not a report id`},
		{"not a number", `{"report_run_id":"../act_1"}`, `report_run_id "../act_1" is not a report id`},
		{"not JSON", `{"report_run_id":`, "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					w.Write([]byte(tt.body))
					return
				}
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte(`{"error":{"message":"Please reduce the amount of data you're asking for, then retry your request","type":"OAuthException","code":1,"error_subcode":99,"fbtrace_id":"A1"}}`))
			}))
			defer ts.Close()
			c, err := New(connector.Config{Credentials: []byte(`{"access_token":"t"}`),
				Settings: []byte(`{"account_ids":["act_1"],"base_url":"` + ts.URL + `","backfill_days":3}`)})
			if err != nil {
				t.Fatal(err)
			}
			day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			err = c.Fetch(context.Background(), adspend.Account{ID: "1", Currency: "USD"}, adspend.Range{From: day, To: day},
				func([]connector.SpendDay) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Fetch() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
