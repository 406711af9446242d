// Package metaads pulls daily campaign spend from the Meta Marketing API (the ad
// account's insights edge at campaign level, one day per row, as an asynchronous
// report when Meta finds a range too large) into ad_spend_daily, one stream per ad
// account, in the account's time zone.
package metaads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend"
	"github.com/srgplatform/srg/modules/sync/apiclient"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// Production endpoint and the Graph API version used unless Settings say
// otherwise. Meta keeps a version about two years, so the default moves with SRG
// releases and a tenant can pin a newer one.
const (
	DefaultBaseURL    = "https://graph.facebook.com"
	DefaultAPIVersion = "v24.0"
)

// pageLimit is the rows per insights page asked for.
const pageLimit = 500

// statuses are every campaign effective_status: without this filter the insights
// edge leaves out deleted and archived campaigns, whose spend still happened.
var statuses = []string{"ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES"}

// Credentials is the connector's secret JSON: a long-lived user or system-user
// token, which Meta does not let a server refresh.
type Credentials struct {
	AccessToken string `json:"access_token"`
}

// Settings is the connector's non-secret JSON.
type Settings struct {
	// AccountIDs are ad account ids, "act_123" or "123".
	AccountIDs []string `json:"account_ids"`
	APIVersion string   `json:"api_version"`
	BaseURL    string   `json:"base_url"`
	adspend.Window
}

// Connector is the Meta Ads puller.
type Connector struct {
	client   *apiclient.Client
	settings Settings
	now      func() time.Time
}

// New checks the credentials and settings and builds the connector.
func New(cfg connector.Config) (*Connector, error) {
	var cred Credentials
	if err := json.Unmarshal(cfg.Credentials, &cred); err != nil {
		return nil, fmt.Errorf("meta ads: credentials: %w", err)
	}
	if cred.AccessToken == "" {
		return nil, errors.New("meta ads: credentials: access_token is required")
	}
	s, err := parseSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	client, err := apiclient.New(apiclient.Options{
		Name:     "meta ads",
		BaseURL:  s.BaseURL + "/" + s.APIVersion,
		HTTP:     cfg.HTTP,
		Auth:     apiclient.Bearer(cred.AccessToken),
		Classify: Classify,
		Pace:     Pace,
		// Meta's throttles last minutes, not milliseconds.
		MinBackoff: 5 * time.Second,
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

var versionRe = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

func parseSettings(raw json.RawMessage) (Settings, error) {
	var s Settings
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &s); err != nil {
			return s, fmt.Errorf("meta ads: settings: %w", err)
		}
	}
	if s.APIVersion == "" {
		s.APIVersion = DefaultAPIVersion
	}
	if s.BaseURL == "" {
		s.BaseURL = DefaultBaseURL
	}
	s.BaseURL = strings.TrimSuffix(s.BaseURL, "/")
	errs := []error{s.Window.Check(), adspend.CheckURL("base_url", s.BaseURL)}
	if !versionRe.MatchString(s.APIVersion) {
		errs = append(errs, fmt.Errorf("api_version %q is not like v24.0", s.APIVersion))
	}
	if len(s.AccountIDs) == 0 {
		errs = append(errs, errors.New("account_ids is empty"))
	}
	for i, id := range s.AccountIDs {
		id = strings.TrimPrefix(strings.TrimSpace(id), "act_")
		if id == "" || strings.Trim(id, "0123456789") != "" {
			errs = append(errs, fmt.Errorf("account_ids: %q is not an ad account id", s.AccountIDs[i]))
		}
		s.AccountIDs[i] = id
	}
	if err := errors.Join(errs...); err != nil {
		return s, fmt.Errorf("meta ads: settings: %w", err)
	}
	return s, nil
}

// Pull implements connector.Puller.
func (c *Connector) Pull(ctx context.Context, r connector.Run) error {
	if err := adspend.Pull(ctx, r, c.now(), c.settings.Window, c.settings.AccountIDs, c); err != nil {
		return fmt.Errorf("meta ads: %w", err)
	}
	return nil
}

// Account implements adspend.Source: the currency and time zone of the ad account.
func (c *Connector) Account(ctx context.Context, id string) (adspend.Account, error) {
	var acct struct {
		Currency     string `json:"currency"`
		TimezoneName string `json:"timezone_name"`
	}
	req := apiclient.Request{Method: http.MethodGet, Path: "/act_" + id, Query: url.Values{"fields": {"currency,timezone_name"}}}
	if err := c.client.JSON(ctx, req, &acct); err != nil {
		return adspend.Account{}, err
	}
	if acct.Currency == "" {
		return adspend.Account{}, fmt.Errorf("ad account %s has no currency", id)
	}
	a := adspend.Account{ID: id, Currency: acct.Currency}
	if loc, err := time.LoadLocation(acct.TimezoneName); err == nil && acct.TimezoneName != "" {
		a.Location = loc
	}
	return a, nil
}

type insight struct {
	CampaignID      string      `json:"campaign_id"`
	CampaignName    string      `json:"campaign_name"`
	Spend           string      `json:"spend"`
	Clicks          adspend.Int `json:"clicks"`
	Impressions     adspend.Int `json:"impressions"`
	AccountCurrency string      `json:"account_currency"`
	DateStart       string      `json:"date_start"`
}

// Fetch implements adspend.Source: the insights edge, following paging.next (an
// absolute URL on the same host), one page per response. A range Meta finds too
// large to answer at once is run as an asynchronous report instead.
func (c *Connector) Fetch(ctx context.Context, a adspend.Account, rg adspend.Range, emit func([]connector.SpendDay) error) error {
	timeRange, _ := json.Marshal(map[string]string{"since": rg.From.Format(adspend.DateLayout), "until": rg.To.Format(adspend.DateLayout)})
	filter, _ := json.Marshal([]map[string]any{{"field": "campaign.effective_status", "operator": "IN", "value": statuses}})
	query := url.Values{
		"level":          {"campaign"},
		"time_increment": {"1"},
		"time_range":     {string(timeRange)},
		"filtering":      {string(filter)},
		"fields":         {"campaign_id,campaign_name,spend,clicks,impressions,account_currency"},
		"limit":          {fmt.Sprint(pageLimit)},
	}
	path := "/act_" + a.ID + "/insights"
	tooLarge, err := c.pages(ctx, a, rg, apiclient.Request{Method: http.MethodGet, Path: path, Query: query}, emit)
	if !tooLarge {
		return err
	}
	id, err := c.runReport(ctx, path, query)
	if err != nil {
		return err
	}
	req := apiclient.Request{Method: http.MethodGet, Path: "/" + id + "/insights", Query: url.Values{"limit": {fmt.Sprint(pageLimit)}}}
	if _, err := c.pages(ctx, a, rg, req, emit); err != nil {
		return fmt.Errorf("report %s: %w", id, err)
	}
	return nil
}

// pages reads the insights pages from req on. tooLarge is Meta refusing the query
// as too large on its first page, before anything was emitted.
func (c *Connector) pages(ctx context.Context, a adspend.Account, rg adspend.Range, req apiclient.Request, emit func([]connector.SpendDay) error) (tooLarge bool, _ error) {
	for first := true; ; first = false {
		var resp struct {
			Data   []insight `json:"data"`
			Paging struct {
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := c.client.JSON(ctx, req, &resp); err != nil {
			return first && errors.Is(err, errTooMuchData), err
		}
		page := make([]connector.SpendDay, 0, len(resp.Data))
		for _, in := range resp.Data {
			s, err := spendDay(a, in)
			if err != nil {
				return false, err
			}
			if s.Day.Before(rg.From) || s.Day.After(rg.To) {
				return false, fmt.Errorf("campaign %s: day %s is outside the range asked for", s.CampaignID, in.DateStart)
			}
			page = append(page, s)
		}
		if err := emit(page); err != nil {
			return false, err
		}
		if resp.Paging.Next == "" || len(resp.Data) == 0 {
			return false, nil
		}
		req = apiclient.Request{Method: http.MethodGet, Path: resp.Paging.Next}
	}
}

// Polling an asynchronous report: the first wait, the longest, and how long a
// report may take before the run gives up on it (Meta keeps unfinished reports
// running; the next run asks again).
const (
	reportFirstPoll = 2 * time.Second
	reportMaxPoll   = 30 * time.Second
	reportTimeout   = 30 * time.Minute
)

// runReport starts the insights query as an asynchronous report (a POST to the
// same edge) and waits until Meta has finished it, returning its report_run_id.
func (c *Connector) runReport(ctx context.Context, path string, query url.Values) (string, error) {
	var started struct {
		ReportRunID string `json:"report_run_id"`
	}
	if err := c.client.JSON(ctx, apiclient.Request{Method: http.MethodPost, Path: path, Body: query}, &started); err != nil {
		return "", fmt.Errorf("start an asynchronous report: %w", err)
	}
	id := started.ReportRunID
	if id == "" || strings.Trim(id, "0123456789") != "" {
		return "", fmt.Errorf("start an asynchronous report: report_run_id %q is not a report id", id)
	}
	wait, waited := reportFirstPoll, time.Duration(0)
	for {
		var run reportRun
		req := apiclient.Request{Method: http.MethodGet, Path: "/" + id, Query: url.Values{"fields": {"async_status,async_percent_completion,error_code,error_message"}}}
		if err := c.client.JSON(ctx, req, &run); err != nil {
			return "", fmt.Errorf("report %s: %w", id, err)
		}
		done, err := run.finished()
		if err != nil {
			return "", fmt.Errorf("report %s: %w", id, err)
		}
		if done {
			return id, nil
		}
		if waited >= reportTimeout {
			return "", fmt.Errorf("report %s: still %q (%d%%) after %s", id, run.Status, run.Percent, reportTimeout)
		}
		if err := c.client.Sleep(ctx, wait); err != nil {
			return "", err
		}
		waited += wait
		wait = min(2*wait, reportMaxPoll)
	}
}

// reportRun is an AdReportRun's status.
type reportRun struct {
	Status       string `json:"async_status"`
	Percent      int    `json:"async_percent_completion"`
	ErrorCode    int    `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

// finished reports whether the report's rows can be read: Meta may say "Job
// Completed" a moment before the completion reaches 100%, so both are needed.
func (r reportRun) finished() (bool, error) {
	switch r.Status {
	case "Job Completed":
		return r.Percent >= 100, nil
	case "Job Not Started", "Job Started", "Job Running":
		return false, nil
	case "Job Failed", "Job Skipped":
		msg := r.Status
		if r.ErrorMessage != "" || r.ErrorCode != 0 {
			msg += fmt.Sprintf(" (code %d): %s", r.ErrorCode, r.ErrorMessage)
		}
		return false, errors.New(msg)
	default:
		return false, fmt.Errorf("unknown async_status %q", r.Status)
	}
}

func spendDay(a adspend.Account, in insight) (connector.SpendDay, error) {
	if in.CampaignID == "" {
		return connector.SpendDay{}, errors.New("an insights row has no campaign_id")
	}
	day, err := adspend.ParseDay(in.DateStart)
	if err != nil {
		return connector.SpendDay{}, fmt.Errorf("campaign %s: date_start: %w", in.CampaignID, err)
	}
	if in.Spend == "" {
		in.Spend = "0" // Meta may leave out a zero metric
	}
	spend, err := adspend.Decimal(in.Spend)
	if err != nil {
		return connector.SpendDay{}, fmt.Errorf("campaign %s: spend: %w", in.CampaignID, err)
	}
	currency := in.AccountCurrency
	if currency == "" {
		currency = a.Currency
	}
	return connector.SpendDay{
		AccountID:    a.ID,
		CampaignID:   in.CampaignID,
		CampaignName: in.CampaignName,
		Day:          day,
		Spend:        spend,
		Currency:     currency,
		Clicks:       int64(in.Clicks),
		Impressions:  int64(in.Impressions),
	}, nil
}
