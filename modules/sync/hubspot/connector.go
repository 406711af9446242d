// Package hubspot is the HubSpot CRM connector: it pulls companies, contacts, deals,
// their associations and the deal pipelines into the mirror, and writes touchpoints
// back as records of a custom object associated with their contact and deals.
//
// Streams and cursors. "stages" re-reads the deal pipelines on every run (one
// request). "companies", "contacts" and "deals" use the CRM search API sorted by
// last-modified time; each cursor is the last-modified time (RFC 3339, ms) of the
// last record committed, and a run starts ten seconds before it because the search
// index lags writes. Search pages are keyset pages: each request asks for records
// modified at or after the last one seen instead of following HubSpot's `after`
// offset, since an offset skips records whenever one already read is modified
// mid-sync (it moves to the end and the rest shift down), and an offset cannot pass
// 10,000 results. When a whole page shares one timestamp, the records of that
// millisecond are paged by hs_object_id. Records merged away are marked deleted
// with MergedInto set from the survivor's hs_merged_object_ids.
// "companies_archived", "contacts_archived" and "deals_archived" list the recycle
// bin (archived records are not searchable), which HubSpot orders by id, not by
// archive time; so each pass reads the whole bin page by page and keeps the
// records archived since the previous pass began (less five minutes for clock
// skew). Their cursor is JSON {"since","started","after"}: a pass interrupted
// part-way resumes at "after" with the same "since".
//
// Write-back needs a custom object (settings.touchpoint_object) with a unique
// property srg_touchpoint_id and the other properties in TouchpointProperties,
// associated with contacts and deals.
package hubspot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/srgplatform/srg/modules/sync/apiclient"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// The production endpoints.
const (
	DefaultBaseURL  = "https://api.hubapi.com"
	DefaultTokenURL = "https://api.hubapi.com/oauth/v1/token"
)

// Default throttles: HubSpot allows OAuth apps 100 requests per 10 s (private apps
// 190) and search about 4 per second per token.
const (
	defaultRequestsPerSecond       = 9
	defaultSearchRequestsPerSecond = 4
)

// Settings are the connector's non-secret settings; every key is optional.
type Settings struct {
	// BaseURL is the API host (default DefaultBaseURL).
	BaseURL string `json:"base_url,omitempty"`
	// TokenURL is the OAuth token endpoint (default DefaultTokenURL).
	TokenURL string `json:"token_url,omitempty"`
	// PortalID is the hub id, kept for links and logs.
	PortalID string `json:"portal_id,omitempty"`
	// TouchpointObject is the custom object touchpoints are written to: its type id
	// ("2-1234567") or name ("p_srg_touchpoints"). Write fails without it.
	TouchpointObject string `json:"touchpoint_object,omitempty"`
	// RequestsPerSecond and SearchRequestsPerSecond throttle requests on our side
	// (defaults 9 and 4); raise them for portals with HubSpot's API limit increase.
	RequestsPerSecond       float64 `json:"requests_per_second,omitempty"`
	SearchRequestsPerSecond float64 `json:"search_requests_per_second,omitempty"`
}

// Credentials are either a private app's access token, or an OAuth app's client id
// and secret with the portal's refresh token.
type Credentials struct {
	AccessToken  string `json:"access_token,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// Connector pulls from and writes to one HubSpot portal.
type Connector struct {
	settings Settings
	api      *apiclient.Client
	searcher *apiclient.Client
	now      func() time.Time
}

var (
	_ connector.Puller = (*Connector)(nil)
	_ connector.Writer = (*Connector)(nil)
)

var (
	objectTypeRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	digitsRe     = regexp.MustCompile(`^[0-9]+$`)
)

// New builds the connector from its credentials and settings, naming the key at
// fault when one is wrong.
func New(cfg connector.Config) (*Connector, error) {
	s, err := parseSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	creds, err := parseCredentials(cfg.Credentials)
	if err != nil {
		return nil, err
	}
	var auth apiclient.Authenticator
	if creds.AccessToken != "" {
		auth = apiclient.Bearer(creds.AccessToken)
	} else {
		oc := &oauth2.Config{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret,
			Endpoint: oauth2.Endpoint{TokenURL: s.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
		auth = apiclient.NewOAuth2(oc, creds.RefreshToken, cfg.HTTP)
	}
	c := &Connector{settings: s, now: cfg.Clock}
	opt := apiclient.Options{Name: "hubspot", BaseURL: s.BaseURL, HTTP: cfg.HTTP, Auth: auth,
		Classify: classify, Pace: pace, RequestsPerSecond: s.RequestsPerSecond}
	if c.api, err = apiclient.New(opt); err != nil {
		return nil, err
	}
	opt.RequestsPerSecond = s.SearchRequestsPerSecond
	if c.searcher, err = apiclient.New(opt); err != nil {
		return nil, err
	}
	return c, nil
}

// strict decodes raw into v refusing unknown keys, so a misspelt key is an error
// that names it rather than a silently ignored setting.
func strict(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func parseSettings(raw json.RawMessage) (Settings, error) {
	var s Settings
	if err := strict(raw, &s); err != nil {
		return s, fmt.Errorf("hubspot: settings: %w", err)
	}
	if s.BaseURL == "" {
		s.BaseURL = DefaultBaseURL
	}
	if s.TokenURL == "" {
		s.TokenURL = DefaultTokenURL
	}
	var errs []error
	for key, v := range map[string]string{"base_url": s.BaseURL, "token_url": s.TokenURL} {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("hubspot: settings: %s %q is not an absolute http(s) URL", key, v))
		}
	}
	if s.PortalID != "" && !digitsRe.MatchString(s.PortalID) {
		errs = append(errs, fmt.Errorf("hubspot: settings: portal_id %q is not a hub id (digits only)", s.PortalID))
	}
	if s.TouchpointObject != "" && !objectTypeRe.MatchString(s.TouchpointObject) {
		errs = append(errs, fmt.Errorf("hubspot: settings: touchpoint_object %q is not an object type id or name", s.TouchpointObject))
	}
	for key, p := range map[string]*float64{"requests_per_second": &s.RequestsPerSecond, "search_requests_per_second": &s.SearchRequestsPerSecond} {
		if *p < 0 {
			errs = append(errs, fmt.Errorf("hubspot: settings: %s must be positive, got %v", key, *p))
		}
	}
	if s.RequestsPerSecond == 0 {
		s.RequestsPerSecond = defaultRequestsPerSecond
	}
	if s.SearchRequestsPerSecond == 0 {
		s.SearchRequestsPerSecond = defaultSearchRequestsPerSecond
	}
	return s, errors.Join(errs...)
}

func parseCredentials(raw json.RawMessage) (Credentials, error) {
	var c Credentials
	if err := strict(raw, &c); err != nil {
		// The decoder's messages may quote what it read; keep secrets out of errors.
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute) && ute.Field != "":
			return c, fmt.Errorf("hubspot: credentials: %s must be a string", ute.Field)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return c, fmt.Errorf("hubspot: credentials: %w", err)
		default:
			return c, errors.New("hubspot: credentials: not a JSON object")
		}
	}
	oauth := c.ClientID != "" || c.ClientSecret != "" || c.RefreshToken != ""
	switch {
	case c.AccessToken != "" && oauth:
		return c, errors.New("hubspot: credentials: give access_token, or client_id, client_secret and refresh_token, not both")
	case c.AccessToken != "":
		return c, nil
	case !oauth:
		return c, errors.New("hubspot: credentials: access_token (private app) or client_id, client_secret and refresh_token (OAuth) are required")
	}
	var missing []error
	for key, v := range map[string]string{"client_id": c.ClientID, "client_secret": c.ClientSecret, "refresh_token": c.RefreshToken} {
		if v == "" {
			missing = append(missing, fmt.Errorf("hubspot: credentials: %s is required for OAuth", key))
		}
	}
	return c, errors.Join(missing...)
}

// hsError is HubSpot's error body; rate-limit refusals add errorType and
// policyName.
type hsError struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	Category      string `json:"category"`
	SubCategory   string `json:"subCategory"`
	CorrelationID string `json:"correlationId"`
	ErrorType     string `json:"errorType"`
	PolicyName    string `json:"policyName"`
}

func (e hsError) String() string {
	msg := e.Message
	if msg == "" {
		msg = e.Status
	}
	if e.Category != "" {
		msg += " (" + e.Category + ")"
	}
	if e.CorrelationID != "" {
		msg += " [correlationId " + e.CorrelationID + "]"
	}
	return msg
}

// classify reads HubSpot's answers: 207 (a batch with some errors) is an answer;
// 429 is retried unless the daily limit is spent; a missing scope needs the app
// re-authorised; other 4xx fail with HubSpot's message.
func classify(r *apiclient.Response) apiclient.Classification {
	var e hsError
	if r.Status >= 400 {
		_ = json.Unmarshal(r.Body, &e)
	}
	switch {
	case r.Status >= 200 && r.Status < 300:
		return apiclient.Classification{Verdict: apiclient.Done}
	case r.Status == http.StatusTooManyRequests:
		if e.PolicyName == "DAILY" {
			return apiclient.Classification{Verdict: apiclient.Fail, Err: fmt.Errorf("daily API limit reached: %s", e)}
		}
		wait := apiclient.RetryAfter(r.Header)
		if wait == 0 && e.PolicyName == "SECONDLY" {
			wait = time.Second
		}
		return apiclient.Classification{Verdict: apiclient.Retry, RetryAfter: wait, Err: fmt.Errorf("rate limited: %s", e)}
	case r.Status == http.StatusForbidden && e.Category == "MISSING_SCOPES":
		return apiclient.Classification{Verdict: apiclient.Reauth, Err: errors.New(e.String())}
	case r.Status >= 400 && r.Status < 500 && r.Status != http.StatusUnauthorized &&
		r.Status != http.StatusRequestTimeout && r.Status != http.StatusTooEarly && e.Message != "":
		return apiclient.Classification{Verdict: apiclient.Fail, Err: errors.New(e.String())}
	}
	return apiclient.DefaultClassify(r)
}

// pace waits out a spent window: a second when the secondly allowance is gone, the
// whole interval when the rolling one is.
func pace(h http.Header) time.Duration {
	if n, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Secondly-Remaining")); err == nil && n <= 0 {
		return time.Second
	}
	if n, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Remaining")); err == nil && n <= 0 {
		if ms, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds")); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
		return 10 * time.Second
	}
	return 0
}
