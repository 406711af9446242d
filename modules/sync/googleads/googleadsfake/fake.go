// Package googleadsfake is a local Google Ads API: GoogleAdsService.SearchStream
// over REST for the two GAQL queries SRG sends (the customer's currency and time
// zone, and daily campaign metrics), an OAuth token endpoint, and the API's error
// bodies (google.rpc.Status with a GoogleAdsFailure). Tests and `srg bench sync`
// point the connector at it through base_url and token_url.
package googleadsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/adspend/spendfake"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// Options configure a fake. Zero values take the defaults shown.
type Options struct {
	DeveloperToken string // "dev-token"
	ClientID       string // "client-id"
	ClientSecret   string // "client-secret"
	RefreshToken   string // "refresh-token"
	// LoginCustomerID, when set, is the manager every customer is reached
	// through: requests must name it in the login-customer-id header.
	LoginCustomerID string
	// BatchSize is the most rows per element of the stream (Google sends up to
	// 10,000).
	BatchSize int
	// RetryDelay is the retryDelay of an injected quota error ("3s").
	RetryDelay time.Duration
}

// Customer is one advertiser account and its data.
type Customer struct {
	ID       string
	Currency string
	TimeZone string
	Data     *spendfake.Dataset
}

// Fake is a running fake Google Ads API.
type Fake struct {
	*httptest.Server
	// Faults are served to the next searchStream requests.
	Faults spendfake.Faults
	// Tokens is the OAuth endpoint at /token and the set of valid access tokens.
	Tokens *spendfake.Tokens

	opt       Options
	mu        sync.Mutex
	customers map[string]*Customer
	queries   []string
}

// Start runs a fake; Close it when done.
func Start(opt Options) *Fake {
	if opt.DeveloperToken == "" {
		opt.DeveloperToken = "dev-token"
	}
	if opt.ClientID == "" {
		opt.ClientID, opt.ClientSecret = "client-id", "client-secret"
	}
	if opt.RefreshToken == "" {
		opt.RefreshToken = "refresh-token"
	}
	if opt.BatchSize == 0 {
		opt.BatchSize = 10_000
	}
	if opt.RetryDelay == 0 {
		opt.RetryDelay = 3 * time.Second
	}
	f := &Fake{
		opt:       opt,
		customers: map[string]*Customer{},
		Tokens:    spendfake.NewTokens(opt.ClientID, opt.ClientSecret, opt.RefreshToken, "invalid_grant", "Token has been expired or revoked."),
	}
	mux := http.NewServeMux()
	mux.Handle("POST /token", f.Tokens)
	mux.HandleFunc("POST /{version}/customers/{customer}/{method}", f.searchStream)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusNotFound, "NOT_FOUND", "The requested URL was not found on this server.")
	})
	f.Server = httptest.NewServer(mux)
	return f
}

// AddCustomer adds an account.
func (f *Fake) AddCustomer(c Customer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.customers[c.ID] = &c
}

// Customer returns an account by id.
func (f *Fake) Customer(id string) *Customer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.customers[id]
}

// Queries are the GAQL queries received, in order.
func (f *Fake) Queries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.queries...)
}

// Credentials is the connector credentials JSON the fake accepts.
func (f *Fake) Credentials() json.RawMessage {
	raw, _ := json.Marshal(map[string]string{
		"developer_token": f.opt.DeveloperToken, "client_id": f.opt.ClientID,
		"client_secret": f.opt.ClientSecret, "refresh_token": f.opt.RefreshToken,
	})
	return raw
}

// Settings is connector settings JSON reading every customer of the fake.
func (f *Fake) Settings(w adspend.Window) json.RawMessage {
	f.mu.Lock()
	ids := make([]string, 0, len(f.customers))
	for id := range f.customers {
		ids = append(ids, id)
	}
	f.mu.Unlock()
	sort.Strings(ids)
	raw, _ := json.Marshal(map[string]any{
		"customer_ids": ids, "login_customer_id": f.opt.LoginCustomerID,
		"base_url": f.URL, "token_url": f.URL + "/token",
		"trailing_days": w.TrailingDays, "backfill_days": w.BackfillDays,
	})
	return raw
}

// Expected is what the mirror holds after syncing days from through to of every
// customer.
func (f *Fake) Expected(from, to time.Time) []connector.SpendDay {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []connector.SpendDay
	for _, c := range f.customers {
		out = append(out, c.Data.Expected(c.ID, c.Currency, from, to)...)
	}
	spendfake.SortSpend(out)
	return out
}

var (
	versionRe = regexp.MustCompile(`^v[0-9]+$`)
	queryRe   = regexp.MustCompile(`(?i)^SELECT\s+(.+?)\s+FROM\s+([a-z_]+)(?:\s+WHERE\s+(.+?))?$`)
	betweenRe = regexp.MustCompile(`(?i)^segments\.date\s+BETWEEN\s+'([^']*)'\s+AND\s+'([^']*)'$`)
	fields    = map[string][]string{
		"customer": {"customer.id", "customer.currency_code", "customer.time_zone", "customer.descriptive_name"},
		"campaign": {"campaign.id", "campaign.name", "metrics.cost_micros", "metrics.clicks", "metrics.impressions", "segments.date"},
	}
)

func (f *Fake) searchStream(w http.ResponseWriter, r *http.Request) {
	version, customerID := r.PathValue("version"), r.PathValue("customer")
	if !versionRe.MatchString(version) || r.PathValue("method") != "googleAds:searchStream" {
		writeStatus(w, http.StatusNotFound, "NOT_FOUND", "The requested URL was not found on this server.")
		return
	}
	switch f.Faults.Next() {
	case spendfake.RateLimit:
		writeQuota(w, version, f.opt.RetryDelay)
		return
	case spendfake.ServerError:
		writeFailure(w, version, http.StatusServiceUnavailable, "UNAVAILABLE", "The service is currently unavailable.", "internalError", "TRANSIENT_ERROR")
		return
	case spendfake.ExpireToken:
		f.Tokens.Expire()
	case spendfake.Revoke:
		f.Tokens.Revoke()
	case spendfake.Malformed:
		spendfake.WriteMalformed(w, []map[string]any{{"results": []any{map[string]any{"campaign": map[string]string{"id": "1"}}}}})
		return
	}
	if !f.Tokens.Valid(r.Header.Get("Authorization")) {
		writeFailure(w, version, http.StatusUnauthorized, "UNAUTHENTICATED",
			"Request is missing required authentication credential. Expected OAuth 2 access token.", "authenticationError", "OAUTH_TOKEN_INVALID")
		return
	}
	// The failure for a missing or wrong developer token (unverified: Google
	// documents DEVELOPER_TOKEN_INVALID as an authentication error).
	if r.Header.Get("developer-token") != f.opt.DeveloperToken {
		writeFailure(w, version, http.StatusUnauthorized, "UNAUTHENTICATED", "The developer token is not valid.", "authenticationError", "DEVELOPER_TOKEN_INVALID")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeFailure(w, version, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.", "requestError", "INVALID_INPUT")
		return
	}
	var body struct {
		Query string `json:"query"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || strings.TrimSpace(body.Query) == "" {
		writeFailure(w, version, http.StatusBadRequest, "INVALID_ARGUMENT", "Request contains an invalid argument.", "queryError", "EXPECTED_SELECT")
		return
	}
	f.mu.Lock()
	f.queries = append(f.queries, body.Query)
	c := f.customers[customerID]
	f.mu.Unlock()
	login := r.Header.Get("login-customer-id")
	if c == nil || (f.opt.LoginCustomerID != "" && login != f.opt.LoginCustomerID) || (f.opt.LoginCustomerID == "" && login != "") {
		writeFailure(w, version, http.StatusForbidden, "PERMISSION_DENIED",
			"User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header.",
			"authorizationError", "USER_PERMISSION_DENIED")
		return
	}
	rows, code, msg := f.run(c, body.Query)
	if code != "" {
		writeFailure(w, version, http.StatusBadRequest, "INVALID_ARGUMENT", msg, "queryError", code)
		return
	}
	f.writeStream(w, rows, body.Query)
}

// run evaluates a query the way Google parses GAQL, for the fields SRG uses: a
// failing query returns its QueryError code and message.
func (f *Fake) run(c *Customer, query string) (rows []map[string]any, code, msg string) {
	m := queryRe.FindStringSubmatch(strings.Join(strings.Fields(query), " "))
	if m == nil {
		return nil, "EXPECTED_FROM", "Error in query: expected SELECT ... FROM ..."
	}
	resource := strings.ToLower(m[2])
	allowed, ok := fields[resource]
	if !ok {
		return nil, "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE", "Error in query: unrecognized resource " + m[2]
	}
	var selected []string
	for _, fld := range strings.Split(m[1], ",") {
		fld = strings.ToLower(strings.TrimSpace(fld))
		if !contains(allowed, fld) {
			return nil, "UNRECOGNIZED_FIELD", "Unrecognized field in the query: '" + fld + "'."
		}
		selected = append(selected, fld)
	}
	if resource == "customer" {
		if m[3] != "" {
			return nil, "UNEXPECTED_INPUT", "Error in query: unexpected WHERE."
		}
		return []map[string]any{{"customer": map[string]any{
			"resourceName": "customers/" + c.ID, "id": c.ID, "currencyCode": c.Currency, "timeZone": c.TimeZone,
		}}}, "", ""
	}
	if m[3] == "" {
		if contains(selected, "segments.date") {
			return nil, "EXPECTED_FILTERS_ON_DATE_RANGE", "Error in query: segments.date requires a finite date range filter."
		}
		return nil, "UNEXPECTED_INPUT", "the fake only answers date-filtered campaign queries"
	}
	bm := betweenRe.FindStringSubmatch(m[3])
	if bm == nil {
		return nil, "UNEXPECTED_INPUT", "the fake only understands segments.date BETWEEN 'a' AND 'b'"
	}
	from, err1 := time.Parse(adspend.DateLayout, bm[1])
	to, err2 := time.Parse(adspend.DateLayout, bm[2])
	if err1 != nil || err2 != nil {
		return nil, "INVALID_DATE_FORMAT", "Error in query: dates must be YYYY-MM-DD."
	}
	if to.Before(from) {
		return nil, "DATE_RANGE_TOO_NARROW", "Error in query: the start date is after the end date."
	}
	names := map[string]string{}
	for _, cp := range c.Data.Campaigns() {
		names[cp.ID] = cp.Name
	}
	for _, d := range c.Data.Rows(from, to) {
		row := map[string]any{}
		for _, fld := range selected {
			switch fld {
			case "campaign.id":
				put(row, "campaign", "id", d.CampaignID)
			case "campaign.name":
				put(row, "campaign", "name", names[d.CampaignID])
			case "metrics.cost_micros":
				put(row, "metrics", "costMicros", strconv.FormatInt(d.Micros, 10))
			case "metrics.clicks":
				put(row, "metrics", "clicks", strconv.FormatInt(d.Clicks, 10))
			case "metrics.impressions":
				put(row, "metrics", "impressions", strconv.FormatInt(d.Impressions, 10))
			case "segments.date":
				put(row, "segments", "date", d.Day.Format(adspend.DateLayout))
			}
		}
		if cp, ok := row["campaign"].(map[string]any); ok {
			cp["resourceName"] = fmt.Sprintf("customers/%s/campaigns/%s", c.ID, d.CampaignID)
		}
		rows = append(rows, row)
	}
	return rows, "", ""
}

func (f *Fake) writeStream(w http.ResponseWriter, rows []map[string]any, query string) {
	mask := fieldMask(query)
	var batches []map[string]any
	for len(rows) > 0 || batches == nil {
		n := min(len(rows), f.opt.BatchSize)
		batches = append(batches, map[string]any{"results": rows[:n], "fieldMask": mask, "requestId": "fake-request"})
		rows = rows[n:]
	}
	spendfake.WriteJSON(w, http.StatusOK, batches)
}

// fieldMask is the selected fields in camelCase, as the REST API echoes them.
func fieldMask(query string) string {
	m := queryRe.FindStringSubmatch(strings.Join(strings.Fields(query), " "))
	var out []string
	for _, fld := range strings.Split(m[1], ",") {
		parts := strings.Split(strings.TrimSpace(fld), "_")
		for i := 1; i < len(parts); i++ {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
		out = append(out, strings.Join(parts, ""))
	}
	return strings.Join(out, ",")
}

func put(row map[string]any, obj, key string, v any) {
	m, _ := row[obj].(map[string]any)
	if m == nil {
		m = map[string]any{}
		row[obj] = m
	}
	m[key] = v
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
