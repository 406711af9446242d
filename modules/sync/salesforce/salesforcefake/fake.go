// Package salesforcefake is an in-process Salesforce org for tests and for
// `srg bench sync`: the OAuth token endpoint (refresh_token grant, answering with an
// instance_url that points back at the fake) and the REST resources the salesforce
// connector uses (query and queryAll with a SOQL subset and query locators, describe,
// sObject Collections upsert), with Salesforce's error bodies and limit headers. It
// checks what real Salesforce checks, injects the failures a client must survive,
// and lets a test change the org between syncs.
package salesforcefake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a fake org. The zero value is usable.
type Options struct {
	// ClientID, ClientSecret and RefreshToken are the credentials the token
	// endpoint accepts (defaults "fake-client-id", "fake-client-secret",
	// "fake-refresh-token").
	ClientID, ClientSecret, RefreshToken string
	// BatchSize is how many records a query batch holds (default 2,000, as in
	// Salesforce).
	BatchSize int
	// MultiCurrency gives Opportunity a CurrencyIsoCode field.
	MultiCurrency bool
	// TouchpointObject and TouchpointExternalID name the custom object written back
	// and its external id field (defaults SRG_Touchpoint__c, SRG_Touchpoint_Id__c).
	TouchpointObject, TouchpointExternalID string
	// Start is the fake clock's start (default 2024-01-01T00:00:00Z).
	Start time.Time
	// DailyLimit is the org's API request allowance (default 1,000,000).
	DailyLimit int
}

// Fault is a failure served instead of (or on top of) the next matching request.
type Fault struct {
	// Match, when set, limits the fault to requests whose path or decoded SOQL
	// contains it ("FROM Contact", "/describe", "/query/").
	Match string
	// Status is an error status to answer with (429, 500, 503...); 0 with
	// Malformed serves the real answer cut short.
	Status int
	// Code and Message fill the error body (default SERVER_UNAVAILABLE).
	Code, Message string
	// RetryAfter is sent as Retry-After in whole seconds when positive.
	RetryAfter time.Duration
	// Malformed serves the real response's body truncated, which is not JSON.
	Malformed bool
	// ExpireSession ends every session just before the request, which then gets
	// 401 INVALID_SESSION_ID; a refresh gets a working token.
	ExpireSession bool
}

// Server is a running fake org.
type Server struct {
	srv *httptest.Server
	opt Options

	mu      sync.Mutex
	objects map[string]*object
	clock   time.Time
	tokens  map[string]bool
	// tpIndex maps a touchpoint's external id to its record id.
	tpIndex  map[string]string
	tokenSeq int
	revoked  bool
	faults   []Fault
	used     int
	locators map[string]*locator
	locSeq   int
	queries  []string
	requests int
	refreshs int
}

// New starts a fake org on a local port; Close stops it.
func New(opt Options) *Server {
	if opt.ClientID == "" {
		opt.ClientID = "fake-client-id"
	}
	if opt.ClientSecret == "" {
		opt.ClientSecret = "fake-client-secret"
	}
	if opt.RefreshToken == "" {
		opt.RefreshToken = "fake-refresh-token"
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 2000
	}
	if opt.TouchpointObject == "" {
		opt.TouchpointObject = "SRG_Touchpoint__c"
	}
	if opt.TouchpointExternalID == "" {
		opt.TouchpointExternalID = "SRG_Touchpoint_Id__c"
	}
	if opt.Start.IsZero() {
		opt.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if opt.DailyLimit <= 0 {
		opt.DailyLimit = 1_000_000
	}
	s := &Server{
		opt: opt, clock: opt.Start.UTC(), objects: map[string]*object{},
		tokens: map[string]bool{}, tpIndex: map[string]string{}, locators: map[string]*locator{},
	}
	for _, o := range schemas(opt.MultiCurrency, opt.TouchpointObject, opt.TouchpointExternalID) {
		s.objects[lower(o.name)] = o
	}
	s.seedStages()
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the fake's base URL: the login URL and the instance URL at once.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Credentials is the connector credentials JSON the fake accepts.
func (s *Server) Credentials() json.RawMessage {
	b, _ := json.Marshal(map[string]string{
		"client_id": s.opt.ClientID, "client_secret": s.opt.ClientSecret, "refresh_token": s.opt.RefreshToken,
	})
	return b
}

// Settings is connector settings JSON that points the connector at the fake.
func (s *Server) Settings() json.RawMessage {
	b, _ := json.Marshal(map[string]string{
		"login_url": s.srv.URL, "touchpoint_object": s.opt.TouchpointObject,
		"touchpoint_external_id": s.opt.TouchpointExternalID,
	})
	return b
}

// Inject queues faults; each is served once, in order, to the next request it
// matches.
func (s *Server) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// ExpireSessions invalidates every access token issued so far: the next API call
// gets 401 INVALID_SESSION_ID, and a refresh gets a working token.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// RevokeRefreshToken revokes the connected app's grant: sessions end and the token
// endpoint answers invalid_grant.
func (s *Server) RevokeRefreshToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = true
	clear(s.tokens)
}

// SetAPIUsage sets the org's API usage counter and daily limit; once used reaches
// the limit every call is refused with 403 REQUEST_LIMIT_EXCEEDED.
func (s *Server) SetAPIUsage(used, limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.used, s.opt.DailyLimit = used, limit
}

// ExpireLocators drops every open query locator, as Salesforce does after 15
// minutes of inactivity; following a nextRecordsUrl then fails with
// INVALID_QUERY_LOCATOR.
func (s *Server) ExpireLocators() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.locators)
}

// Queries returns the SOQL of every query received, in order.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// Requests is the number of REST requests received (token requests excluded).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Refreshes is the number of access tokens issued.
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshs
}

var reAPI = regexp.MustCompile(`^/services/data/v(\d+)\.(\d)(/.*)$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/services/oauth2/token" {
		s.token(w, r)
		return
	}
	m := reAPI.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if v, _ := strconv.Atoi(m[1]); v < 31 || v > 66 || m[2] != "0" {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	s.mu.Lock()
	s.requests++
	if !s.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
		s.mu.Unlock()
		writeErrors(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	if s.used >= s.opt.DailyLimit {
		w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", s.used, s.opt.DailyLimit))
		s.mu.Unlock()
		writeErrors(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
		return
	}
	s.used++
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", s.used, s.opt.DailyLimit))
	fault, hit := s.takeFault(r)
	if hit && fault.ExpireSession {
		clear(s.tokens)
		s.mu.Unlock()
		writeErrors(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	s.mu.Unlock()
	if hit && fault.Status != 0 {
		if fault.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(fault.RetryAfter/time.Second)))
		}
		code, msg := fault.Code, fault.Message
		if code == "" {
			code = "SERVER_UNAVAILABLE"
		}
		if msg == "" {
			msg = "injected failure"
		}
		writeErrors(w, fault.Status, code, msg)
		return
	}
	out := w
	var cut *truncating
	if hit && fault.Malformed {
		cut = &truncating{ResponseWriter: w}
		out = cut
	}
	s.route(out, r, "v"+m[1]+"."+m[2], m[3])
	if cut != nil {
		cut.flush()
	}
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, version, rest string) {
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 1 && (parts[0] == "query" || parts[0] == "queryAll"):
		s.query(w, r, version, parts[0])
	case r.Method == http.MethodGet && len(parts) == 2 && (parts[0] == "query" || parts[0] == "queryAll"):
		s.more(w, version, parts[1])
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "sobjects" && parts[2] == "describe":
		s.describe(w, parts[1])
	case r.Method == http.MethodPatch && len(parts) == 4 && parts[0] == "composite" && parts[1] == "sobjects":
		s.upsert(w, r, parts[2], parts[3])
	case len(parts) >= 1 && (parts[0] == "query" || parts[0] == "queryAll" || parts[0] == "sobjects" || parts[0] == "composite"):
		writeErrors(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed")
	default:
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
}

// takeFault pops the first queued fault that matches r. Callers hold s.mu.
func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	subject := r.URL.Path + " " + r.URL.Query().Get("q")
	for i, f := range s.faults {
		if f.Match == "" || strings.Contains(subject, f.Match) {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

// token implements the refresh_token grant of /services/oauth2/token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "must use HTTP POST")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.PostForm.Get("grant_type") != "refresh_token":
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
	case r.PostForm.Get("client_id") != s.opt.ClientID:
		writeOAuthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
	case r.PostForm.Get("client_secret") != s.opt.ClientSecret:
		writeOAuthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
	case s.revoked || r.PostForm.Get("refresh_token") != s.opt.RefreshToken:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "expired access/refresh token")
	default:
		s.tokenSeq++
		s.refreshs++
		tok := fmt.Sprintf("00DFAKE!session.%d", s.tokenSeq)
		s.tokens[tok] = true
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"access_token": tok, "instance_url": s.srv.URL, "token_type": "Bearer",
			"id":        s.srv.URL + "/id/00DFAKE000000000AAA/005FAKE000000000AAA",
			"issued_at": strconv.FormatInt(s.clock.UnixMilli(), 10), "signature": "fake", "scope": "api refresh_token",
		})
	}
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// writeErrors writes Salesforce's REST error body: a JSON array of errors.
func writeErrors(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, []map[string]any{{"message": msg, "errorCode": code}})
}

func writeAPIError(w http.ResponseWriter, err error) {
	if e, ok := err.(*apiError); ok {
		writeErrors(w, e.status, e.code, e.msg)
		return
	}
	writeErrors(w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION", err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// truncating keeps what a handler writes and sends only its first half.
type truncating struct {
	http.ResponseWriter
	status int
	body   []byte
}

func (t *truncating) WriteHeader(status int)      { t.status = status }
func (t *truncating) Write(b []byte) (int, error) { t.body = append(t.body, b...); return len(b), nil }

func (t *truncating) flush() {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	t.ResponseWriter.WriteHeader(t.status)
	_, _ = t.ResponseWriter.Write(t.body[:len(t.body)/2])
}
