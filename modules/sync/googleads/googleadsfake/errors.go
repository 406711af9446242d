package googleadsfake

import (
	"fmt"
	"net/http"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend/spendfake"
)

// writeStatus writes a google.rpc.Status without Google Ads details, as the
// front end does for unknown URLs.
func writeStatus(w http.ResponseWriter, code int, status, message string) {
	spendfake.WriteJSON(w, code, map[string]any{"error": map[string]any{"code": code, "message": message, "status": status}})
}

// failure is the error element of a searchStream response: a google.rpc.Status
// whose details hold a GoogleAdsFailure. SearchStream answers with an array, so
// the error arrives as its one element (unverified for every error; clients
// should accept a bare object too).
func failure(version string, code int, status, message, family, value string, details map[string]any) []map[string]any {
	e := map[string]any{"errorCode": map[string]string{family: value}, "message": message}
	if details != nil {
		e["details"] = details
	}
	return []map[string]any{{"error": map[string]any{
		"code":    code,
		"message": message,
		"status":  status,
		"details": []any{map[string]any{
			"@type":     fmt.Sprintf("type.googleapis.com/google.ads.googleads.%s.errors.GoogleAdsFailure", version),
			"errors":    []any{e},
			"requestId": "fake-request",
		}},
	}}}
}

func writeFailure(w http.ResponseWriter, version string, code int, status, message, family, value string) {
	spendfake.WriteJSON(w, code, failure(version, code, status, message, family, value, nil))
}

// writeQuota is the RESOURCE_EXHAUSTED quota error with its retry delay.
func writeQuota(w http.ResponseWriter, version string, delay time.Duration) {
	secs := fmt.Sprintf("%gs", delay.Seconds())
	spendfake.WriteJSON(w, http.StatusTooManyRequests, failure(version, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED",
		"Resource has been exhausted (e.g. check quota).", "quotaError", "RESOURCE_EXHAUSTED",
		map[string]any{"quotaErrorDetails": map[string]any{
			"rateScope": "DEVELOPER", "rateName": "Number of operations for basic access", "retryDelay": secs,
		}}))
}
