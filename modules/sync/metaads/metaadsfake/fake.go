// Package metaadsfake is a local Meta Marketing API: ad account nodes and their
// insights edge at campaign level with daily rows, cursor paging with absolute
// next links, the effective_status filter (deleted and archived campaigns are
// left out without it), asynchronous reports (POST to the edge, the report run's
// status, its insights) for queries too large to answer at once, usage headers,
// and Graph API error bodies. Tests and
// `srg bench sync` point the connector at it through base_url.
package metaadsfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/adspend/spendfake"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// Options configure a fake. Zero values take the defaults shown.
type Options struct {
	AccessToken string // "access-token"
	// RegainMinutes is the estimated_time_to_regain_access of an injected rate
	// limit (1).
	RegainMinutes int
	// UsagePct is the call_count and acc_id_util_pct reported on every insights
	// response (5).
	UsagePct int
	// SyncRowLimit refuses a synchronous insights query of more rows with Meta's
	// "Please reduce the amount of data" (code 1); 0 answers any.
	SyncRowLimit int
	// ReportPolls is how many status reads an asynchronous report answers "Job
	// Running" after "Job Not Started", before "Job Completed" (2).
	ReportPolls int
}

// Account is one ad account and its data.
type Account struct {
	ID       string // without "act_"
	Currency string
	TimeZone string
	Data     *spendfake.Dataset
	// Status is a campaign's effective_status when not ACTIVE (DELETED,
	// ARCHIVED, PAUSED).
	Status map[string]string
}

// Fake is a running fake Marketing API.
type Fake struct {
	*httptest.Server
	// Faults are served to the next requests.
	Faults spendfake.Faults
	// Tokens holds the one valid access token.
	Tokens *spendfake.Tokens

	opt         Options
	mu          sync.Mutex
	accounts    map[string]*Account
	reports     map[string]*report
	failReports string
	refusal     graphErr
	requests    []string
}

// Start runs a fake; Close it when done.
func Start(opt Options) *Fake {
	if opt.AccessToken == "" {
		opt.AccessToken = "access-token"
	}
	if opt.RegainMinutes == 0 {
		opt.RegainMinutes = 1
	}
	if opt.UsagePct == 0 {
		opt.UsagePct = 5
	}
	if opt.ReportPolls == 0 {
		opt.ReportPolls = 2
	}
	f := &Fake{opt: opt, accounts: map[string]*Account{}, reports: map[string]*report{}, refusal: invalidToken,
		Tokens: spendfake.NewTokens("", "", "", "", "")}
	f.Tokens.AllowAccess(opt.AccessToken)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{version}/{node}", f.graph(f.node))
	mux.HandleFunc("GET /{version}/{node}/insights", f.graph(f.insights))
	mux.HandleFunc("POST /{version}/{node}/insights", f.graph(f.startReport))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusBadRequest, graphErr{code: 2500, message: "Unknown path components: " + r.URL.Path})
	})
	f.Server = httptest.NewServer(mux)
	return f
}

// AddAccount adds an ad account.
func (f *Fake) AddAccount(a Account) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a.Status == nil {
		a.Status = map[string]string{}
	}
	f.accounts[a.ID] = &a
}

// Account returns an ad account by id.
func (f *Fake) Account(id string) *Account {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accounts[id]
}

// SetStatus sets a campaign's effective_status (DELETED, ARCHIVED, ACTIVE…).
func (f *Fake) SetStatus(account, campaign, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accounts[account].Status[campaign] = status
}

// Requests are the request methods and URIs received, in order ("GET /v24.0/…").
func (f *Fake) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

// Credentials is the connector credentials JSON the fake accepts.
func (f *Fake) Credentials() json.RawMessage {
	raw, _ := json.Marshal(map[string]string{"access_token": f.opt.AccessToken})
	return raw
}

// Settings is connector settings JSON reading every account of the fake.
func (f *Fake) Settings(w adspend.Window) json.RawMessage {
	f.mu.Lock()
	ids := make([]string, 0, len(f.accounts))
	for id := range f.accounts {
		ids = append(ids, "act_"+id)
	}
	f.mu.Unlock()
	sort.Strings(ids)
	raw, _ := json.Marshal(map[string]any{"account_ids": ids, "base_url": f.URL,
		"trailing_days": w.TrailingDays, "backfill_days": w.BackfillDays})
	return raw
}

// Expected is what the mirror holds after syncing days from through to of every
// account: deleted and archived campaigns included, as their spend happened.
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

// graphErr is a Graph API error.
type graphErr struct {
	code, subcode int
	message       string
	transient     bool
}

var invalidToken = graphErr{code: 190, message: "Invalid OAuth access token - Cannot parse access token"}

func writeError(w http.ResponseWriter, status int, e graphErr) {
	body := map[string]any{"message": e.message, "type": "OAuthException", "code": e.code, "fbtrace_id": "AfakeTraceId"}
	if e.subcode != 0 {
		body["error_subcode"] = e.subcode
	}
	if e.transient {
		body["is_transient"] = true
	}
	spendfake.WriteJSON(w, status, map[string]any{"error": body})
}

var versionRe = regexp.MustCompile(`^v[0-9]+\.0$`)

// graph checks the version and token, serves injected faults, and then hands
// over to h.
func (f *Fake) graph(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
		f.mu.Unlock()
		if !versionRe.MatchString(r.PathValue("version")) {
			writeError(w, http.StatusBadRequest, graphErr{code: 2500, message: "Unknown path components: /" + r.PathValue("version")})
			return
		}
		switch f.Faults.Next() {
		case spendfake.RateLimit:
			f.usage(w, 100, f.opt.RegainMinutes)
			writeError(w, http.StatusBadRequest, graphErr{code: 80000, subcode: 2446079,
				message: "There have been too many calls from this ad-account. Wait a bit and try again.", transient: true})
			return
		case spendfake.ServerError:
			writeError(w, http.StatusServiceUnavailable, graphErr{code: 2, message: "Service temporarily unavailable", transient: true})
			return
		case spendfake.Malformed:
			spendfake.WriteMalformed(w, map[string]any{"data": []any{map[string]string{"campaign_id": "1"}}})
			return
		case spendfake.ExpireToken:
			f.Tokens.Expire()
			f.setRefusal(graphErr{code: 190, subcode: 463, message: "Error validating access token: Session has expired."})
		case spendfake.Revoke:
			f.Tokens.Revoke()
			f.setRefusal(graphErr{code: 190, subcode: 460, message: "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons."})
		}
		auth := r.Header.Get("Authorization")
		if tok := r.URL.Query().Get("access_token"); tok != "" {
			auth = "Bearer " + tok
		}
		if !f.Tokens.Valid(auth) {
			f.mu.Lock()
			e := f.refusal
			f.mu.Unlock()
			writeError(w, http.StatusBadRequest, e)
			return
		}
		h(w, r)
	}
}

func (f *Fake) setRefusal(e graphErr) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refusal = e
}

// usage writes the business use case and ad account usage headers.
func (f *Fake) usage(w http.ResponseWriter, pct, regainMinutes int) {
	buc, _ := json.Marshal(map[string]any{"1234567890": []map[string]any{{
		"type": "ads_insights", "call_count": pct, "total_cputime": pct / 2, "total_time": pct / 2,
		"estimated_time_to_regain_access": regainMinutes, "ads_api_access_tier": "standard_access",
	}}})
	w.Header().Set("X-Business-Use-Case-Usage", string(buc))
	acct, _ := json.Marshal(map[string]any{"acc_id_util_pct": pct, "reset_time_duration": 0, "ads_api_access_tier": "standard_access"})
	w.Header().Set("X-Ad-Account-Usage", string(acct))
}

func (f *Fake) find(node string) *Account {
	id, ok := strings.CutPrefix(node, "act_")
	if !ok {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accounts[id]
}
