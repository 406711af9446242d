// Package hubspotfake is a fake HubSpot CRM API for tests and `srg bench sync`: it
// holds contacts, companies, deals, their associations, deal pipelines and a
// touchpoint custom object in memory, and answers the endpoints the HubSpot
// connector calls with HubSpot's request and response shapes, paging, limits and
// error bodies. It checks credentials like the real API (private-app tokens, OAuth
// access tokens that expire and a refresh token that can be revoked), refuses bad
// requests with 400, and can inject 429s, 5xx and malformed JSON.
package hubspotfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a fake portal. The zero value is a working portal.
type Options struct {
	// AccessToken is the private-app token the fake accepts (default "pat-na1-fake").
	AccessToken string
	// ClientID, ClientSecret and RefreshToken are the OAuth app's credentials the
	// token endpoint accepts (defaults "fake-client-id", "fake-client-secret",
	// "fake-refresh-token").
	ClientID, ClientSecret, RefreshToken string
	// TokenTTL is how long an OAuth access token lives (default 30 minutes).
	TokenTTL time.Duration
	// PortalID is the hub id (default "7000001").
	PortalID string
	// TouchpointObject is the touchpoint custom object's name (default
	// "srg_touchpoints"); its type id is "2-" followed by the portal id, and
	// "p_<name>" and "p<portal>_<name>" name it too.
	TouchpointObject string
	// RequestsPerSecond, when positive, answers 429 to requests beyond it in any
	// second; SearchRequestsPerSecond does the same for search requests alone.
	RequestsPerSecond, SearchRequestsPerSecond int
	// AssociationPageSize is how many associations of one record a read returns
	// before paging (default 500, HubSpot's).
	AssociationPageSize int
	// NoClosedFlags leaves out the deal properties hs_is_closed_won and hs_is_closed,
	// as in portals that do not have them, so clients must use stage metadata.
	NoClosedFlags bool
	// Now stamps changes (default time.Now).
	Now func() time.Time
}

// Server is a running fake portal.
type Server struct {
	// URL is the API base URL and TokenURL the OAuth token endpoint.
	URL, TokenURL string

	srv *httptest.Server
	opt Options

	mu        sync.Mutex
	tables    map[string]*table
	edges     map[string]map[int64][]edge
	labels    map[string]int
	customs   []*customType
	pipelines []Pipeline
	seeded    int

	tokens         map[string]time.Time
	tokenSeq       int
	privateRevoked bool
	refreshRevoked bool

	faults   []*Fault
	limited  int
	window   []time.Time
	searches []time.Time
	requests map[string]int
	seq      int
}

// New starts a fake portal on a local port; Close stops it.
func New(opt Options) *Server {
	if opt.AccessToken == "" {
		opt.AccessToken = "pat-na1-fake"
	}
	if opt.ClientID == "" {
		opt.ClientID = "fake-client-id"
	}
	if opt.ClientSecret == "" {
		opt.ClientSecret = "fake-client-secret"
	}
	if opt.RefreshToken == "" {
		opt.RefreshToken = "fake-refresh-token"
	}
	if opt.TokenTTL == 0 {
		opt.TokenTTL = 30 * time.Minute
	}
	if opt.PortalID == "" {
		opt.PortalID = "7000001"
	}
	if opt.TouchpointObject == "" {
		opt.TouchpointObject = "srg_touchpoints"
	}
	if opt.AssociationPageSize == 0 {
		opt.AssociationPageSize = 500
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Server{opt: opt, tables: map[string]*table{}, edges: map[string]map[int64][]edge{},
		labels: map[string]int{}, tokens: map[string]time.Time{}, requests: map[string]int{},
		pipelines: defaultPipelines()}
	for name, sc := range schemas {
		s.tables[name] = &table{schema: sc}
	}
	name := opt.TouchpointObject
	s.customs = []*customType{{typeID: "2-" + opt.PortalID, names: []string{name, "p_" + name, "p" + opt.PortalID + "_" + name},
		unique: "srg_touchpoint_id", props: TouchpointProperties, byKey: map[string]*customRecord{}, byID: map[int64]*customRecord{}}}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/v1/token", s.token)
	mux.HandleFunc("POST /crm/v3/objects/{type}/search", s.search)
	mux.HandleFunc("GET /crm/v3/objects/{type}", s.list)
	mux.HandleFunc("POST /crm/v3/objects/{type}/batch/upsert", s.batchUpsert)
	mux.HandleFunc("GET /crm/v3/pipelines/{type}", s.listPipelines)
	mux.HandleFunc("POST /crm/v4/associations/{from}/{to}/batch/read", s.batchReadAssociations)
	mux.HandleFunc("POST /crm/v4/associations/{from}/{to}/batch/associate/default", s.associateDefault)
	mux.HandleFunc("GET /crm/v4/objects/{from}/{id}/associations/{to}", s.listAssociations)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "Resource not found: "+r.Method+" "+r.URL.Path)
	})
	s.srv = httptest.NewServer(s.middleware(mux))
	s.URL = s.srv.URL
	s.TokenURL = s.srv.URL + "/oauth/v1/token"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// PortalID is the fake portal's hub id.
func (s *Server) PortalID() string { return s.opt.PortalID }

// TouchpointTypeID is the touchpoint custom object's type id ("2-<portal>").
func (s *Server) TouchpointTypeID() string { return s.customs[0].typeID }

// Requests is how many requests reached the fake whose path contains substr ("" for
// all), including refused ones.
func (s *Server) Requests(substr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for p, c := range s.requests {
		if strings.Contains(p, substr) {
			n += c
		}
	}
	return n
}

// RateLimited is how many requests the fake refused for going over
// RequestsPerSecond or SearchRequestsPerSecond.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

// middleware does, in order, what HubSpot's edge does before an endpoint runs:
// rate limits, injected faults, then authentication. Every endpoint runs under the
// server's lock, so requests see consistent data.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests[r.Method+" "+r.URL.Path]++
		if r.URL.Path == "/oauth/v1/token" {
			next.ServeHTTP(w, r)
			return
		}
		if !s.rateLimit(w, r) || s.fault(w, r) || !s.authorized(w, r) {
			return
		}
		if r.Method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			writeError(w, http.StatusUnsupportedMediaType, "VALIDATION_ERROR", "Content-Type must be application/json")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// rateLimit counts the request against the per-second limits and answers 429 when
// it is over one; otherwise it sets HubSpot's rate-limit headers.
func (s *Server) rateLimit(w http.ResponseWriter, r *http.Request) bool {
	now := time.Now()
	trim := func(ts []time.Time, d time.Duration) []time.Time {
		i := 0
		for i < len(ts) && now.Sub(ts[i]) >= d {
			i++
		}
		return ts[i:]
	}
	s.window = trim(s.window, 10*time.Second)
	s.searches = trim(s.searches, time.Second)
	secondly := 0
	for _, t := range s.window {
		if now.Sub(t) < time.Second {
			secondly++
		}
	}
	limited := func() bool {
		s.limited++
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"status": "error",
			"message": "You have reached your secondly limit.", "errorType": "RATE_LIMIT",
			"correlationId": s.correlationID(), "policyName": "SECONDLY"})
		return false
	}
	if n := s.opt.RequestsPerSecond; n > 0 {
		if secondly >= n {
			return limited()
		}
		h := w.Header()
		h.Set("X-HubSpot-RateLimit-Secondly", strconv.Itoa(n))
		h.Set("X-HubSpot-RateLimit-Secondly-Remaining", strconv.Itoa(n-secondly-1))
		h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(10*n))
		h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(max(0, 10*n-len(s.window)-1)))
		h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
	}
	if n := s.opt.SearchRequestsPerSecond; n > 0 && strings.HasSuffix(r.URL.Path, "/search") {
		if len(s.searches) >= n {
			return limited()
		}
		s.searches = append(s.searches, now)
	}
	s.window = append(s.window, now)
	return true
}

// authorized checks the bearer token: the private-app token, or an OAuth access
// token the token endpoint issued that has not expired.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && tok == s.opt.AccessToken && !s.privateRevoked {
		return true
	}
	if exp, found := s.tokens[tok]; ok && found {
		if time.Now().Before(exp) {
			return true
		}
		ago := int(time.Since(exp).Seconds())
		writeError(w, http.StatusUnauthorized, "EXPIRED_AUTHENTICATION",
			fmt.Sprintf("The OAuth token used to make this call expired %d second(s) ago.", ago))
		return false
	}
	writeError(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION",
		"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
	return false
}

// token is POST /oauth/v1/token with grant_type=refresh_token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.oauthError(w, "BAD_REQUEST", "could not read the form")
		return
	}
	f := r.PostForm
	switch {
	case f.Get("grant_type") != "refresh_token":
		s.oauthError(w, "BAD_GRANT_TYPE", "grant_type must be refresh_token or authorization_code")
	case f.Get("client_id") != s.opt.ClientID:
		s.oauthError(w, "BAD_CLIENT_ID", "missing or unknown client id")
	case f.Get("client_secret") != s.opt.ClientSecret:
		s.oauthError(w, "BAD_CLIENT_SECRET", "missing or invalid client secret")
	case f.Get("refresh_token") != s.opt.RefreshToken || s.refreshRevoked:
		s.oauthError(w, "BAD_REFRESH_TOKEN", "missing or unknown refresh token")
	default:
		s.tokenSeq++
		tok := fmt.Sprintf("CO-fake-%06d", s.tokenSeq)
		s.tokens[tok] = time.Now().Add(s.opt.TokenTTL)
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "bearer", "access_token": tok,
			"refresh_token": s.opt.RefreshToken, "expires_in": int(s.opt.TokenTTL.Seconds())})
	}
}

func (s *Server) oauthError(w http.ResponseWriter, status, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"status": status, "message": msg,
		"correlationId": s.correlationID()})
}

// ExpireAccessTokens makes every OAuth access token issued so far expired: the next
// request using one gets 401, and a refresh issues a working one.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := time.Now().Add(-time.Second)
	for tok := range s.tokens {
		s.tokens[tok] = past
	}
}

// Revoke revokes the private-app token, every OAuth access token and the refresh
// token, as when the app is uninstalled: requests get 401 and refreshes 400
// BAD_REFRESH_TOKEN.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.privateRevoked, s.refreshRevoked = true, true
	clear(s.tokens)
}

func (s *Server) correlationID() string {
	s.seq++
	return fmt.Sprintf("5f1d2a3b-0000-4000-8000-%012d", s.seq)
}

type idRef struct {
	ID string `json:"id"`
}

type next struct {
	After string `json:"after"`
	Link  string `json:"link,omitempty"`
}

type paging struct {
	Next *next `json:"next,omitempty"`
}

type batchError struct {
	Status      string              `json:"status"`
	Category    string              `json:"category"`
	SubCategory string              `json:"subCategory,omitempty"`
	Message     string              `json:"message"`
	Context     map[string][]string `json:"context,omitempty"`
}

type batchResponse struct {
	Status      string       `json:"status"`
	Results     any          `json:"results"`
	NumErrors   int          `json:"numErrors,omitempty"`
	Errors      []batchError `json:"errors,omitempty"`
	StartedAt   string       `json:"startedAt"`
	CompletedAt string       `json:"completedAt"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with HubSpot's error body.
func writeError(w http.ResponseWriter, status int, category, msg string) {
	writeJSON(w, status, map[string]string{"status": "error", "message": msg,
		"correlationId": "5f1d2a3b-0000-4000-8000-000000000000", "category": category})
}

// decode reads a JSON body strictly, as HubSpot refuses fields it does not know.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON: "+err.Error())
		return false
	}
	return true
}

// queryLimit reads the limit query parameter: def when absent, 400 above most.
func queryLimit(w http.ResponseWriter, r *http.Request, def, most int) (int, bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("limit must be between 1 and %d, got %q", most, v))
		return 0, false
	}
	return n, true
}
