package metaads

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/apiclient"
)

// graphError is the Graph API's error body.
type graphError struct {
	Error *struct {
		Message     string `json:"message"`
		Type        string `json:"type"`
		Code        int    `json:"code"`
		Subcode     int    `json:"error_subcode"`
		IsTransient bool   `json:"is_transient"`
		UserTitle   string `json:"error_user_title"`
		FBTraceID   string `json:"fbtrace_id"`
	} `json:"error"`
}

// Rate-limit error codes: app (4), user (17), page (32), custom (613), the
// business use case limits (80000–80014), and the ad-account insights subcodes.
func rateLimited(code, subcode int) bool {
	switch {
	case code == 4, code == 17, code == 32, code == 613, code >= 80000 && code <= 80014:
		return true
	case subcode == 1504022, subcode == 1504039, subcode == 2446079, subcode == 1487742:
		return true
	}
	return false
}

// errTooMuchData is Meta refusing a synchronous insights query as too large
// (code 1, "Please reduce the amount of data you're asking for, then retry your
// request"): retrying it the same way fails again, running it as an asynchronous
// report does not.
var errTooMuchData = errors.New("too much data for a synchronous insights query")

func tooMuchData(code int, message string) bool {
	return code == 1 && strings.Contains(strings.ToLower(message), "reduce the amount of data")
}

// Classify reads Graph API errors: a query too large to answer synchronously fails
// with errTooMuchData; code 190 (and 102, an expired session) means the token is
// gone for good; rate limits are retried after the time the usage
// headers say access comes back (failing the run when that is longer than
// adspend.MaxWait); transient errors are retried; anything else fails with
// Meta's message.
func Classify(r *apiclient.Response) apiclient.Classification {
	if r.Status >= 200 && r.Status < 300 {
		return apiclient.Classification{Verdict: apiclient.Done}
	}
	var ge graphError
	if json.Unmarshal(r.Body, &ge) != nil || ge.Error == nil {
		return apiclient.DefaultClassify(r)
	}
	e := ge.Error
	err := fmt.Errorf("%s (code %d, subcode %d, fbtrace_id %s): %s", e.Type, e.Code, e.Subcode, e.FBTraceID, e.Message)
	switch {
	case tooMuchData(e.Code, e.Message):
		return apiclient.Classification{Verdict: apiclient.Fail, Err: fmt.Errorf("%w: %w", errTooMuchData, err)}
	case e.Code == 190 || e.Code == 102:
		return apiclient.Classification{Verdict: apiclient.Reauth, Err: err}
	case rateLimited(e.Code, e.Subcode):
		wait := regainAccess(r.Header)
		if wait > adspend.MaxWait {
			return apiclient.Classification{Verdict: apiclient.Fail, Err: fmt.Errorf("rate limited for %s: %w", wait, err)}
		}
		return apiclient.Classification{Verdict: apiclient.Retry, RetryAfter: max(wait, apiclient.RetryAfter(r.Header)), Err: err}
	case e.IsTransient || e.Code == 1 || e.Code == 2 || r.Status >= 500:
		return apiclient.Classification{Verdict: apiclient.Retry, RetryAfter: apiclient.RetryAfter(r.Header), Err: err}
	default:
		return apiclient.Classification{Verdict: apiclient.Fail, Err: err}
	}
}

// bucUsage is one entry of X-Business-Use-Case-Usage: percentages of the
// business's quota used, and minutes until a throttled business may call again.
type bucUsage struct {
	Type                        string  `json:"type"`
	CallCount                   float64 `json:"call_count"`
	TotalCPUTime                float64 `json:"total_cputime"`
	TotalTime                   float64 `json:"total_time"`
	EstimatedTimeToRegainAccess float64 `json:"estimated_time_to_regain_access"`
}

func bucEntries(h http.Header) []bucUsage {
	var byBusiness map[string][]bucUsage
	if json.Unmarshal([]byte(h.Get("X-Business-Use-Case-Usage")), &byBusiness) != nil {
		return nil
	}
	var out []bucUsage
	for _, es := range byBusiness {
		out = append(out, es...)
	}
	return out
}

// regainAccess is the longest estimated_time_to_regain_access in the headers.
func regainAccess(h http.Header) time.Duration {
	var d time.Duration
	for _, e := range bucEntries(h) {
		d = max(d, time.Duration(e.EstimatedTimeToRegainAccess*float64(time.Minute)))
	}
	return d
}

// busy is the usage percentage from which the connector pauses before the next
// call instead of running into the throttle.
const busy = 90

// Pace reads Meta's usage headers: a business that is throttled waits until it
// regains access; one close to its quota, or an ad account close to its limit,
// waits a minute (or the ad account's reset time). Pauses are capped at
// adspend.MaxWait; a throttle that lasts longer fails the request in Classify.
func Pace(h http.Header) time.Duration {
	var d time.Duration
	for _, e := range bucEntries(h) {
		d = max(d, time.Duration(e.EstimatedTimeToRegainAccess*float64(time.Minute)))
		if max(e.CallCount, e.TotalCPUTime, e.TotalTime) >= busy {
			d = max(d, time.Minute)
		}
	}
	var acct struct {
		AccIDUtilPct      float64 `json:"acc_id_util_pct"`
		ResetTimeDuration float64 `json:"reset_time_duration"`
	}
	if json.Unmarshal([]byte(h.Get("X-Ad-Account-Usage")), &acct) == nil && acct.AccIDUtilPct >= busy {
		d = max(d, time.Minute, time.Duration(acct.ResetTimeDuration*float64(time.Second)))
	}
	var insights struct {
		AppIDUtilPct float64 `json:"app_id_util_pct"`
		AccIDUtilPct float64 `json:"acc_id_util_pct"`
	}
	if json.Unmarshal([]byte(h.Get("X-Fb-Ads-Insights-Throttle")), &insights) == nil && max(insights.AppIDUtilPct, insights.AccIDUtilPct) >= busy {
		d = max(d, time.Minute)
	}
	return min(d, adspend.MaxWait)
}
