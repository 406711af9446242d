package hubspotfake

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is a failure the fake can answer with instead of running an endpoint.
type FaultKind int

// The faults.
const (
	// RateLimited answers 429 with Retry-After and HubSpot's rate-limit body.
	RateLimited FaultKind = iota + 1
	// ServerError answers 502 with an HTML body, as HubSpot's edge does.
	ServerError
	// MalformedJSON answers 200 with a JSON body cut short.
	MalformedJSON
)

// Fault makes matching requests fail. Faults are checked in the order injected;
// each is spent after Times matching requests.
type Fault struct {
	Kind FaultKind
	// Method and Path, when not empty, limit the fault to requests with that method
	// and a path containing Path.
	Method, Path string
	// Skip lets this many matching requests through before failing any.
	Skip int
	// Times is how many requests fail (default 1).
	Times int
	// RetryAfter is the Retry-After of a RateLimited fault (default 1 s).
	RetryAfter time.Duration
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times == 0 {
		f.Times = 1
	}
	if f.RetryAfter == 0 {
		f.RetryAfter = time.Second
	}
	s.faults = append(s.faults, &f)
}

// PendingFaults is how many injected faults have not been spent yet.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults)
}

// fault answers the request with the first matching fault, if any.
func (s *Server) fault(w http.ResponseWriter, r *http.Request) bool {
	for i, f := range s.faults {
		if (f.Path != "" && !strings.Contains(r.URL.Path, f.Path)) || (f.Method != "" && f.Method != r.Method) {
			continue
		}
		if f.Skip > 0 {
			f.Skip--
			continue
		}
		f.Times--
		if f.Times <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		switch f.Kind {
		case RateLimited:
			w.Header().Set("Retry-After", formatSeconds(f.RetryAfter))
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"status": "error",
				"message": "You have reached your ten_secondly_rolling limit.", "errorType": "RATE_LIMIT",
				"correlationId": s.correlationID(), "policyName": "TEN_SECONDLY_ROLLING"})
		case ServerError:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>"))
		case MalformedJSON:
			w.Header().Set("Content-Type", "application/json;charset=utf-8")
			_, _ = w.Write([]byte(`{"total":3,"results":[{"id":"1","properties":{"email":"a@`))
		}
		return true
	}
	return false
}

func formatSeconds(d time.Duration) string {
	return strconv.Itoa(max(int(d.Round(time.Second)/time.Second), 0))
}
