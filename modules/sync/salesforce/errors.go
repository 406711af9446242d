package salesforce

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/srgplatform/srg/modules/sync/apiclient"
)

// ErrRequestLimit means the org used up its daily API allowance
// (REQUEST_LIMIT_EXCEEDED). Retrying soon only burns more of the next window, so
// it is not retried; the next scheduled run tries again.
var ErrRequestLimit = errors.New("the Salesforce org's daily API request limit is used up")

// errInvalidLocator marks an expired or unknown query locator: the query is
// restarted from the last committed cursor.
var errInvalidLocator = errors.New("query locator expired")

// APIError is an error Salesforce reported in its [{"message","errorCode"}] body.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// parseErrors reads Salesforce's error body; ok is false when it is not one.
func parseErrors(body []byte) (APIError, bool) {
	var errs []struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}
	if json.Unmarshal(body, &errs) != nil || len(errs) == 0 || errs[0].ErrorCode == "" {
		return APIError{}, false
	}
	return APIError{Code: errs[0].ErrorCode, Message: errs[0].Message}, true
}

// classify reads Salesforce's answers: 401 (INVALID_SESSION_ID) refreshes the
// session; REQUEST_LIMIT_EXCEEDED is final for this run unless it is the
// concurrent-request limit; INVALID_QUERY_LOCATOR is
// told apart so the caller can restart its query; 429 and 5xx are retried; other
// errors fail with Salesforce's own code and message.
func classify(r *apiclient.Response) apiclient.Classification {
	if r.Status >= 200 && r.Status < 300 {
		return apiclient.Classification{Verdict: apiclient.Done}
	}
	e, ok := parseErrors(r.Body)
	e.Status = r.Status
	switch {
	case r.Status == http.StatusUnauthorized:
		return apiclient.Classification{Verdict: apiclient.Refresh}
	case r.Status == http.StatusForbidden && e.Code == "REQUEST_LIMIT_EXCEEDED" && strings.Contains(e.Message, "Concurrent"):
		// Too many long requests at once in the org: it clears in seconds.
		return apiclient.Classification{Verdict: apiclient.Retry, RetryAfter: apiclient.RetryAfter(r.Header), Err: &e}
	case r.Status == http.StatusForbidden && e.Code == "REQUEST_LIMIT_EXCEEDED":
		return apiclient.Classification{Verdict: apiclient.Fail, Err: fmt.Errorf("%w (%s): %w", ErrRequestLimit, r.Header.Get("Sforce-Limit-Info"), &e)}
	case r.Status == http.StatusTooManyRequests || r.Status >= 500:
		return apiclient.DefaultClassify(r)
	case e.Code == "INVALID_QUERY_LOCATOR":
		return apiclient.Classification{Verdict: apiclient.Fail, Err: fmt.Errorf("%w: %w", errInvalidLocator, &e)}
	case ok:
		return apiclient.Classification{Verdict: apiclient.Fail, Err: &e}
	}
	return apiclient.DefaultClassify(r)
}

// Pacing: above paceFrom of the daily allowance every request waits, longer as the
// allowance runs out, leaving room for the org's other integrations.
const (
	paceFrom = 0.9
	paceMin  = 500 * time.Millisecond
	paceMax  = 10 * time.Second
)

// pace reads Sforce-Limit-Info: api-usage=USED/MAX.
func pace(h http.Header) time.Duration {
	used, limit, ok := apiUsage(h.Get("Sforce-Limit-Info"))
	if !ok || limit <= 0 {
		return 0
	}
	frac := float64(used) / float64(limit)
	if frac < paceFrom {
		return 0
	}
	d := time.Duration((frac - paceFrom) / (1 - paceFrom) * float64(paceMax)).Round(time.Millisecond)
	return min(max(d, paceMin), paceMax)
}

// apiUsage parses "api-usage=18/5000" among the header's comma-separated entries
// (it may also carry per-app-api-usage).
func apiUsage(v string) (used, limit int, ok bool) {
	for _, part := range strings.Split(v, ",") {
		k, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found || k != "api-usage" {
			continue
		}
		u, l, found := strings.Cut(val, "/")
		if !found {
			return 0, 0, false
		}
		var err1, err2 error
		used, err1 = strconv.Atoi(strings.TrimSpace(u))
		limit, err2 = strconv.Atoi(strings.TrimSpace(l))
		return used, limit, err1 == nil && err2 == nil
	}
	return 0, 0, false
}
