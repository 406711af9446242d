// Package googleads pulls daily campaign spend from the Google Ads API
// (GoogleAdsService.SearchStream over REST) into ad_spend_daily, one stream per
// customer account.
package googleads

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/apiclient"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// Production endpoints and the API version used unless Settings say otherwise.
// Google retires a version about a year after its release, so the default is
// bumped with SRG releases and a tenant can pin a newer one.
const (
	DefaultBaseURL    = "https://googleads.googleapis.com"
	DefaultTokenURL   = "https://oauth2.googleapis.com/token"
	DefaultAPIVersion = "v24"
)

// Credentials is the connector's secret JSON.
type Credentials struct {
	// DeveloperToken is sent as the developer-token header when set (Google sunset
	// developer tokens in v23, older versions still require one).
	DeveloperToken string `json:"developer_token"`
	ClientID       string `json:"client_id"`
	ClientSecret   string `json:"client_secret"`
	RefreshToken   string `json:"refresh_token"`
}

// Settings is the connector's non-secret JSON.
type Settings struct {
	// CustomerIDs are the accounts to read, ten digits with or without dashes.
	CustomerIDs []string `json:"customer_ids"`
	// LoginCustomerID is the manager account the credentials reach them through.
	LoginCustomerID string `json:"login_customer_id"`
	APIVersion      string `json:"api_version"`
	BaseURL         string `json:"base_url"`
	TokenURL        string `json:"token_url"`
	adspend.Window
}

// Connector is the Google Ads puller.
type Connector struct {
	client   *apiclient.Client
	settings Settings
	now      func() time.Time
}

// New checks the credentials and settings and builds the connector.
func New(cfg connector.Config) (*Connector, error) {
	var cred Credentials
	if err := json.Unmarshal(cfg.Credentials, &cred); err != nil {
		return nil, fmt.Errorf("google ads: credentials: %w", err)
	}
	s, err := parseSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	if cred.ClientID == "" || cred.ClientSecret == "" || cred.RefreshToken == "" {
		return nil, errors.New("google ads: credentials: client_id, client_secret and refresh_token are required")
	}
	auth := apiclient.NewOAuth2(&oauth2.Config{
		ClientID:     cred.ClientID,
		ClientSecret: cred.ClientSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: s.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		Scopes:       []string{"https://www.googleapis.com/auth/adwords"},
	}, cred.RefreshToken, cfg.HTTP)
	header := http.Header{}
	if cred.DeveloperToken != "" {
		header.Set("developer-token", cred.DeveloperToken)
	}
	if s.LoginCustomerID != "" {
		header.Set("login-customer-id", s.LoginCustomerID)
	}
	client, err := apiclient.New(apiclient.Options{
		Name:     "google ads",
		BaseURL:  s.BaseURL + "/" + s.APIVersion,
		HTTP:     cfg.HTTP,
		Auth:     auth,
		Header:   header,
		Classify: Classify,
	})
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Connector{client: client, settings: s, now: now}, nil
}

func parseSettings(raw json.RawMessage) (Settings, error) {
	var s Settings
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &s); err != nil {
			return s, fmt.Errorf("google ads: settings: %w", err)
		}
	}
	if s.APIVersion == "" {
		s.APIVersion = DefaultAPIVersion
	}
	if s.BaseURL == "" {
		s.BaseURL = DefaultBaseURL
	}
	if s.TokenURL == "" {
		s.TokenURL = DefaultTokenURL
	}
	s.BaseURL = strings.TrimSuffix(s.BaseURL, "/")
	errs := []error{s.Window.Check(), adspend.CheckURL("base_url", s.BaseURL), adspend.CheckURL("token_url", s.TokenURL)}
	if !isVersion(s.APIVersion) {
		errs = append(errs, fmt.Errorf("api_version %q is not like v24", s.APIVersion))
	}
	if len(s.CustomerIDs) == 0 {
		errs = append(errs, errors.New("customer_ids is empty"))
	}
	for i, id := range s.CustomerIDs {
		norm, ok := customerID(id)
		if !ok {
			errs = append(errs, fmt.Errorf("customer_ids: %q is not a ten-digit customer id", id))
		}
		s.CustomerIDs[i] = norm
	}
	if s.LoginCustomerID != "" {
		norm, ok := customerID(s.LoginCustomerID)
		if !ok {
			errs = append(errs, fmt.Errorf("login_customer_id %q is not a ten-digit customer id", s.LoginCustomerID))
		}
		s.LoginCustomerID = norm
	}
	if err := errors.Join(errs...); err != nil {
		return s, fmt.Errorf("google ads: settings: %w", err)
	}
	return s, nil
}

// customerID drops the dashes the Google Ads UI shows ("123-456-7890").
func customerID(s string) (string, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "-", "")
	if len(s) != 10 {
		return s, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return s, false
		}
	}
	return s, true
}

func isVersion(v string) bool {
	if len(v) < 2 || v[0] != 'v' {
		return false
	}
	for _, r := range v[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Pull implements connector.Puller.
func (c *Connector) Pull(ctx context.Context, r connector.Run) error {
	if err := adspend.Pull(ctx, r, c.now(), c.settings.Window, c.settings.CustomerIDs, c); err != nil {
		return fmt.Errorf("google ads: %w", err)
	}
	return nil
}

// Account implements adspend.Source: the currency and time zone come from the
// customer resource.
func (c *Connector) Account(ctx context.Context, id string) (adspend.Account, error) {
	acct := adspend.Account{ID: id}
	var found bool
	err := c.stream(ctx, id, "SELECT customer.currency_code, customer.time_zone FROM customer", func(rows []row) error {
		for _, r := range rows {
			acct.Currency, found = r.Customer.CurrencyCode, true
			// A zone the system does not know leaves today in UTC: at worst a
			// day early or late, which the trailing window absorbs.
			if loc, err := time.LoadLocation(r.Customer.TimeZone); err == nil && r.Customer.TimeZone != "" {
				acct.Location = loc
			}
		}
		return nil
	})
	if err != nil {
		return acct, err
	}
	if !found || acct.Currency == "" {
		return acct, fmt.Errorf("customer %s: no currency in the customer resource", id)
	}
	return acct, nil
}

// Fetch implements adspend.Source: one searchStream query per range, each batch of
// the stream one page.
func (c *Connector) Fetch(ctx context.Context, a adspend.Account, rg adspend.Range, emit func([]connector.SpendDay) error) error {
	q := fmt.Sprintf("SELECT campaign.id, campaign.name, metrics.cost_micros, metrics.clicks, metrics.impressions, segments.date"+
		" FROM campaign WHERE segments.date BETWEEN '%s' AND '%s'", rg.From.Format(adspend.DateLayout), rg.To.Format(adspend.DateLayout))
	return c.stream(ctx, a.ID, q, func(rows []row) error {
		page := make([]connector.SpendDay, 0, len(rows))
		for _, r := range rows {
			day, err := adspend.ParseDay(r.Segments.Date)
			if err != nil {
				return fmt.Errorf("row of campaign %s: %w", r.Campaign.ID, err)
			}
			if r.Campaign.ID == "" {
				return errors.New("a row has no campaign.id")
			}
			page = append(page, connector.SpendDay{
				AccountID:    a.ID,
				CampaignID:   r.Campaign.ID,
				CampaignName: r.Campaign.Name,
				Day:          day,
				Spend:        adspend.Micros(int64(r.Metrics.CostMicros)),
				Currency:     a.Currency,
				Clicks:       int64(r.Metrics.Clicks),
				Impressions:  int64(r.Metrics.Impressions),
			})
		}
		return emit(page)
	})
}

// row is a GoogleAdsRow with the fields SRG selects, in the REST API's camelCase.
type row struct {
	Customer struct {
		CurrencyCode string `json:"currencyCode"`
		TimeZone     string `json:"timeZone"`
	} `json:"customer"`
	Campaign struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"campaign"`
	Metrics struct {
		CostMicros  adspend.Int `json:"costMicros"`
		Clicks      adspend.Int `json:"clicks"`
		Impressions adspend.Int `json:"impressions"`
	} `json:"metrics"`
	Segments struct {
		Date string `json:"date"`
	} `json:"segments"`
}

// batch is one element of a searchStream response array; a failure after the
// stream started arrives as an element holding only an error.
type batch struct {
	Results []row       `json:"results"`
	Error   *statusBody `json:"error"`
}

// stream runs a query and hands over its batches one at a time, decoding the
// response array element by element so a large stream is never held decoded.
func (c *Connector) stream(ctx context.Context, customer, query string, each func([]row) error) error {
	resp, err := c.client.Do(ctx, apiclient.Request{
		Method: http.MethodPost,
		Path:   "/customers/" + customer + "/googleAds:searchStream",
		Body:   map[string]string{"query": query},
	})
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(resp.Body))
	malformed := func(err error) error {
		return fmt.Errorf("customer %s: searchStream: malformed JSON: %w", customer, err)
	}
	if tok, err := dec.Token(); err != nil {
		return malformed(err)
	} else if tok != json.Delim('[') {
		return malformed(fmt.Errorf("expected an array, got %v", tok))
	}
	for dec.More() {
		var b batch
		if err := dec.Decode(&b); err != nil {
			return malformed(err)
		}
		if b.Error != nil {
			return fmt.Errorf("customer %s: searchStream failed mid-stream: %w", customer, b.Error.err())
		}
		if err := each(b.Results); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return malformed(err)
	}
	return nil
}
