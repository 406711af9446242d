package googleads

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/apiclient"
)

// statusBody is a google.rpc.Status as the REST API writes it, with the
// GoogleAdsFailure in its details.
type statusBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []struct {
		Type   string `json:"@type"`
		Errors []struct {
			// ErrorCode has one key naming the error family ("quotaError") and
			// the enum value ("RESOURCE_EXHAUSTED").
			ErrorCode map[string]string `json:"errorCode"`
			Message   string            `json:"message"`
			Details   struct {
				QuotaErrorDetails struct {
					RetryDelay string `json:"retryDelay"`
				} `json:"quotaErrorDetails"`
			} `json:"details"`
		} `json:"errors"`
		RequestID string `json:"requestId"`
	} `json:"details"`
}

func (s *statusBody) codes() map[string]string {
	out := map[string]string{}
	for _, d := range s.Details {
		for _, e := range d.Errors {
			for k, v := range e.ErrorCode {
				out[k] = v
			}
		}
	}
	return out
}

func (s *statusBody) err() error {
	msg := s.Status
	if s.Message != "" {
		msg += ": " + s.Message
	}
	var parts []string
	for _, d := range s.Details {
		for _, e := range d.Errors {
			for k, v := range e.ErrorCode {
				parts = append(parts, fmt.Sprintf("%s %s: %s", k, v, e.Message))
			}
		}
	}
	sort.Strings(parts)
	if len(parts) > 0 {
		msg += " (" + strings.Join(parts, "; ") + ")"
	}
	return fmt.Errorf("%s", msg)
}

// retryDelay is the longest retry delay the quota details ask for.
func (s *statusBody) retryDelay() time.Duration {
	var d time.Duration
	for _, det := range s.Details {
		for _, e := range det.Errors {
			if v, err := time.ParseDuration(e.Details.QuotaErrorDetails.RetryDelay); err == nil && v > d {
				d = v
			}
		}
	}
	return d
}

// Classify reads Google Ads responses: quota errors are retried after their
// retryDelay (or fail the run when that is longer than adspend.MaxWait), an
// expired or invalid OAuth token is refreshed, transient server errors are
// retried, and anything else fails with the GoogleAdsFailure's own words. A 200
// stream that ends in an error element is judged by that error.
func Classify(r *apiclient.Response) apiclient.Classification {
	ok := r.Status >= 200 && r.Status < 300
	if ok && !bytes.Contains(r.Body, []byte(`"error"`)) {
		return apiclient.Classification{Verdict: apiclient.Done}
	}
	st := findStatus(r.Body)
	if st == nil {
		if ok {
			return apiclient.Classification{Verdict: apiclient.Done}
		}
		return apiclient.DefaultClassify(r)
	}
	codes := st.codes()
	switch {
	case st.Status == "RESOURCE_EXHAUSTED" || strings.Contains(codes["quotaError"], "EXHAUSTED") ||
		strings.Contains(codes["quotaError"], "EXCESSIVE"):
		d := st.retryDelay()
		if d > adspend.MaxWait {
			return apiclient.Classification{Verdict: apiclient.Fail, Err: fmt.Errorf("quota exhausted, retry in %s: %w", d, st.err())}
		}
		return apiclient.Classification{Verdict: apiclient.Retry, RetryAfter: max(d, apiclient.RetryAfter(r.Header)), Err: st.err()}
	case st.Status == "UNAUTHENTICATED" || st.Code == http.StatusUnauthorized:
		// Only a refused OAuth token is cured by a refresh; a bad developer token
		// or customer id would fail the same way after one.
		if c := codes["authenticationError"]; c != "" && !strings.HasPrefix(c, "OAUTH_TOKEN") {
			return apiclient.Classification{Verdict: apiclient.Fail, Err: st.err()}
		}
		return apiclient.Classification{Verdict: apiclient.Refresh}
	case st.Status == "INTERNAL" || st.Status == "UNAVAILABLE" || st.Status == "DEADLINE_EXCEEDED" ||
		codes["internalError"] == "TRANSIENT_ERROR" || st.Code >= 500:
		return apiclient.Classification{Verdict: apiclient.Retry, RetryAfter: apiclient.RetryAfter(r.Header), Err: st.err()}
	default:
		return apiclient.Classification{Verdict: apiclient.Fail, Err: st.err()}
	}
}

// findStatus reads the error of a response body: an object {"error": …}, or a
// searchStream array whose elements may hold one.
func findStatus(body []byte) *statusBody {
	body = bytes.TrimSpace(body)
	type holder struct {
		Error *statusBody `json:"error"`
	}
	if len(body) > 0 && body[0] == '[' {
		var arr []holder
		if json.Unmarshal(body, &arr) != nil {
			return nil
		}
		for _, h := range arr {
			if h.Error != nil {
				return h.Error
			}
		}
		return nil
	}
	var h holder
	if json.Unmarshal(body, &h) != nil {
		return nil
	}
	return h.Error
}
