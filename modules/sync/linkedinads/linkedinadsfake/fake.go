// Package linkedinadsfake is a local LinkedIn Marketing API: ad accounts, the
// campaign search finder with cursor paging, single campaigns, adAnalytics with
// the analytics finder pivoted by campaign (Rest.li 2.0 query syntax, the 15,000
// element cut), the OAuth token endpoint, and LinkedIn's error bodies. Tests and
// `srg bench sync` point the connector at it through base_url and token_url.
package linkedinadsfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/adspend/spendfake"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// Options configure a fake. Zero values take the defaults shown.
type Options struct {
	ClientID     string // "client-id"
	ClientSecret string // "client-secret"
	RefreshToken string // "refresh-token"
	// AccessToken is a long-lived token valid from the start ("access-token").
	AccessToken string
	// MaxElements is where adAnalytics cuts its answer (15,000).
	MaxElements int
	// CampaignPageSize caps the campaign finder's pages below the pageSize asked
	// for (1,000), so tests can page through few campaigns.
	CampaignPageSize int
	// RetryAfter is the Retry-After of an injected 429 (2 s).
	RetryAfter time.Duration
}

// Account is one sponsored ad account and its data.
type Account struct {
	ID       string
	Name     string
	Currency string
	Data     *spendfake.Dataset
	// Unlisted campaigns are left out of the search finder (as archived ones may
	// be) but can still be read one by one.
	Unlisted map[string]bool
}

// Fake is a running fake LinkedIn Marketing API.
type Fake struct {
	*httptest.Server
	// Faults are served to the next /rest requests.
	Faults spendfake.Faults
	// Tokens is the OAuth endpoint at /oauth/v2/accessToken and the valid tokens.
	Tokens *spendfake.Tokens

	opt      Options
	mu       sync.Mutex
	accounts map[string]*Account
	// refusal is the 401 served to a token that is no longer valid: expired or
	// revoked, after the fault that made it so.
	refusal  refusal
	requests []string
}

type refusal struct {
	code    int
	name    string
	message string
}

var invalidToken = refusal{65600, "INVALID_ACCESS_TOKEN", "Invalid access token"}

// Start runs a fake; Close it when done.
func Start(opt Options) *Fake {
	if opt.ClientID == "" {
		opt.ClientID, opt.ClientSecret = "client-id", "client-secret"
	}
	if opt.RefreshToken == "" {
		opt.RefreshToken = "refresh-token"
	}
	if opt.AccessToken == "" {
		opt.AccessToken = "access-token"
	}
	if opt.MaxElements == 0 {
		opt.MaxElements = 15_000
	}
	if opt.CampaignPageSize == 0 {
		opt.CampaignPageSize = 1000
	}
	if opt.RetryAfter == 0 {
		opt.RetryAfter = 2 * time.Second
	}
	f := &Fake{
		opt:      opt,
		accounts: map[string]*Account{},
		refusal:  invalidToken,
		// The refresh error LinkedIn gives for a revoked or expired refresh token
		// (unverified wording).
		Tokens: spendfake.NewTokens(opt.ClientID, opt.ClientSecret, opt.RefreshToken, "invalid_request",
			"The provided authorization grant or refresh token is invalid, expired or revoked"),
	}
	f.Tokens.AllowAccess(opt.AccessToken)
	mux := http.NewServeMux()
	mux.Handle("POST /oauth/v2/accessToken", f.Tokens)
	mux.HandleFunc("GET /rest/adAccounts/{account}", f.rest(f.account))
	mux.HandleFunc("GET /rest/adAccounts/{account}/adCampaigns", f.rest(f.searchCampaigns))
	mux.HandleFunc("GET /rest/adAccounts/{account}/adCampaigns/{campaign}", f.rest(f.campaign))
	mux.HandleFunc("GET /rest/adAnalytics", f.rest(f.analytics))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 0, "RESOURCE_NOT_FOUND", "No virtual resource found")
	})
	f.Server = httptest.NewServer(mux)
	return f
}

// AddAccount adds an ad account.
func (f *Fake) AddAccount(a Account) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accounts[a.ID] = &a
}

// Account returns an ad account by id.
func (f *Fake) Account(id string) *Account {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accounts[id]
}

// Requests are the /rest request URIs received, in order, as sent on the wire.
func (f *Fake) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

// Credentials is connector credentials JSON: the refreshable grant, or with
// accessOnly the bare access token.
func (f *Fake) Credentials(accessOnly bool) json.RawMessage {
	m := map[string]string{"client_id": f.opt.ClientID, "client_secret": f.opt.ClientSecret, "refresh_token": f.opt.RefreshToken}
	if accessOnly {
		m = map[string]string{"access_token": f.opt.AccessToken}
	}
	raw, _ := json.Marshal(m)
	return raw
}

// Settings is connector settings JSON reading every account of the fake.
func (f *Fake) Settings(w adspend.Window) json.RawMessage {
	f.mu.Lock()
	ids := make([]string, 0, len(f.accounts))
	for id := range f.accounts {
		ids = append(ids, id)
	}
	f.mu.Unlock()
	sort.Strings(ids)
	raw, _ := json.Marshal(map[string]any{
		"account_ids": ids, "base_url": f.URL, "token_url": f.URL + "/oauth/v2/accessToken",
		"trailing_days": w.TrailingDays, "backfill_days": w.BackfillDays,
	})
	return raw
}

// Expected is what the mirror holds after syncing days from through to of every
// account.
func (f *Fake) Expected(from, to time.Time) []connector.SpendDay {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []connector.SpendDay
	for _, a := range f.accounts {
		out = append(out, a.Data.Expected(a.ID, a.Currency, from, to)...)
	}
	spendfake.SortSpend(out)
	return out
}

var versionRe = regexp.MustCompile(`^20[0-9]{2}(0[1-9]|1[0-2])(\.[0-9]{2})?$`)

// rest checks what every versioned /rest call needs, serves injected faults, and
// then hands over to h.
func (f *Fake) rest(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.URL.RequestURI())
		f.mu.Unlock()
		switch f.Faults.Next() {
		case spendfake.RateLimit:
			w.Header().Set("Retry-After", formatSeconds(f.opt.RetryAfter))
			writeError(w, http.StatusTooManyRequests, 101, "TOO_MANY_REQUESTS", "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.")
			return
		case spendfake.ServerError:
			writeError(w, http.StatusServiceUnavailable, 0, "", "Service Unavailable")
			return
		case spendfake.Malformed:
			spendfake.WriteMalformed(w, map[string]any{"elements": []any{map[string]any{"id": 1}}})
			return
		case spendfake.ExpireToken:
			f.Tokens.Expire()
			f.setRefusal(refusal{65602, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired"})
		case spendfake.Revoke:
			f.Tokens.Revoke()
			f.setRefusal(refusal{65601, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked by the user"})
		}
		if !f.Tokens.Valid(r.Header.Get("Authorization")) {
			f.mu.Lock()
			ref := f.refusal
			f.mu.Unlock()
			writeError(w, http.StatusUnauthorized, ref.code, ref.name, ref.message)
			return
		}
		f.setRefusal(invalidToken)
		v := r.Header.Get("LinkedIn-Version")
		if v == "" {
			writeError(w, http.StatusBadRequest, 0, "VERSION_MISSING", "A version must be present. Please specify a version by adding the LinkedIn-Version header.")
			return
		}
		if !versionRe.MatchString(v) {
			writeError(w, http.StatusUpgradeRequired, 0, "NONEXISTENT_VERSION", "Requested version "+v+" is not active")
			return
		}
		if r.Header.Get("X-Restli-Protocol-Version") != "2.0.0" {
			// Without 2.0.0 LinkedIn parses the query in Rest.li 1.0 syntax and
			// refuses the List(...) and (key:value) forms.
			writeError(w, http.StatusBadRequest, 0, "ILLEGAL_ARGUMENT", "Invalid query parameters passed to request")
			return
		}
		h(w, r)
	}
}

func (f *Fake) setRefusal(r refusal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refusal = r
}

// writeError writes LinkedIn's error body.
func writeError(w http.ResponseWriter, status, serviceCode int, code, message string) {
	body := map[string]any{"status": status, "message": message}
	if serviceCode != 0 {
		body["serviceErrorCode"] = serviceCode
	}
	if code != "" {
		body["code"] = code
	}
	spendfake.WriteJSON(w, status, body)
}

func formatSeconds(d time.Duration) string {
	return strconv.FormatInt(int64(d/time.Second), 10)
}
