package spendfake

import (
	"encoding/json"
	"net/http"
	"sync"
)

// Fault is a failure a fake answers one request with instead of its data.
type Fault int

// The faults every ad-platform fake can inject; each renders them in its API's
// own status codes and error bodies.
const (
	NoFault Fault = iota
	// RateLimit: the platform's quota error with a retry delay (429 and
	// Retry-After, Google's retryDelay, Meta's usage header).
	RateLimit
	// ServerError: a 5xx the platform says is transient.
	ServerError
	// Malformed: 200 with a body cut off in the middle.
	Malformed
	// ExpireToken: the access token expires; the request gets 401 and a refresh
	// succeeds.
	ExpireToken
	// Revoke: the user revokes the grant; the request is refused and so is any
	// refresh.
	Revoke
)

// String names the fault in test output.
func (f Fault) String() string {
	return [...]string{"none", "rate-limit", "server-error", "malformed", "expire-token", "revoke"}[f]
}

// Faults is a queue of faults for the next API requests, and a count of the
// requests served. It is safe for concurrent use.
type Faults struct {
	mu       sync.Mutex
	queue    []Fault
	requests int
}

// Inject queues faults: the next len(fs) API requests get them, in order
// (NoFault lets a request through).
func (f *Faults) Inject(fs ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, fs...)
}

// Next counts a request and takes the fault it gets.
func (f *Faults) Next() Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if len(f.queue) == 0 {
		return NoFault
	}
	next := f.queue[0]
	f.queue = f.queue[1:]
	return next
}

// Pending is how many injected faults no request has taken yet.
func (f *Faults) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queue)
}

// Requests is how many API requests were served.
func (f *Faults) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// WriteJSON writes v with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteMalformed writes the first half of v's JSON with status 200, as a
// connection cut mid-body or a broken proxy does.
func WriteMalformed(w http.ResponseWriter, v any) {
	raw, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(raw[:len(raw)/2])
}
