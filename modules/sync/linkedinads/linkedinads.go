// Package linkedinads pulls daily campaign spend from the LinkedIn Marketing API
// (adAnalytics with the analytics finder, pivoted by campaign) into
// ad_spend_daily, one stream per ad account. LinkedIn reports days in UTC.
package linkedinads

import (
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

// Production endpoints and the Marketing API version used unless Settings say
// otherwise. LinkedIn supports a version for about a year, so the default moves
// with SRG releases and a tenant can pin a newer one.
const (
	DefaultBaseURL  = "https://api.linkedin.com"
	DefaultTokenURL = "https://www.linkedin.com/oauth/v2/accessToken"
	DefaultVersion  = "202607"
)

// Credentials is the connector's secret JSON: a refreshable grant
// (client_id, client_secret, refresh_token), or a bare access_token that is used
// until LinkedIn refuses it.
type Credentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
	AccessToken  string `json:"access_token"`
}

// Settings is the connector's non-secret JSON.
type Settings struct {
	// AccountIDs are sponsored account ids ("123" or "urn:li:sponsoredAccount:123").
	AccountIDs []string `json:"account_ids"`
	Version    string   `json:"version"`
	BaseURL    string   `json:"base_url"`
	TokenURL   string   `json:"token_url"`
	adspend.Window
}

// Connector is the LinkedIn Ads puller.
type Connector struct {
	client   *apiclient.Client
	settings Settings
	now      func() time.Time
}

// New checks the credentials and settings and builds the connector.
func New(cfg connector.Config) (*Connector, error) {
	var cred Credentials
	if err := json.Unmarshal(cfg.Credentials, &cred); err != nil {
		return nil, fmt.Errorf("linkedin ads: credentials: %w", err)
	}
	s, err := parseSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	var auth apiclient.Authenticator
	switch {
	case cred.RefreshToken != "" && cred.ClientID != "" && cred.ClientSecret != "":
		auth = apiclient.NewOAuth2(&oauth2.Config{
			ClientID:     cred.ClientID,
			ClientSecret: cred.ClientSecret,
			Endpoint:     oauth2.Endpoint{TokenURL: s.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		}, cred.RefreshToken, cfg.HTTP)
	case cred.AccessToken != "":
		auth = apiclient.Bearer(cred.AccessToken)
	default:
		return nil, errors.New("linkedin ads: credentials: give client_id, client_secret and refresh_token, or access_token")
	}
	client, err := apiclient.New(apiclient.Options{
		Name:    "linkedin ads",
		BaseURL: s.BaseURL,
		HTTP:    cfg.HTTP,
		Auth:    auth,
		Header: http.Header{
			"Linkedin-Version":          {s.Version},
			"X-Restli-Protocol-Version": {"2.0.0"},
		},
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
			return s, fmt.Errorf("linkedin ads: settings: %w", err)
		}
	}
	if s.Version == "" {
		s.Version = DefaultVersion
	}
	if s.BaseURL == "" {
		s.BaseURL = DefaultBaseURL
	}
	if s.TokenURL == "" {
		s.TokenURL = DefaultTokenURL
	}
	s.BaseURL = strings.TrimSuffix(s.BaseURL, "/")
	errs := []error{s.Window.Check(), adspend.CheckURL("base_url", s.BaseURL), adspend.CheckURL("token_url", s.TokenURL)}
	if _, err := time.Parse("200601", s.Version); err != nil || len(s.Version) != 6 {
		errs = append(errs, fmt.Errorf("version %q is not YYYYMM", s.Version))
	}
	if len(s.AccountIDs) == 0 {
		errs = append(errs, errors.New("account_ids is empty"))
	}
	for i, id := range s.AccountIDs {
		id = strings.TrimPrefix(strings.TrimSpace(id), accountURN)
		if !numeric(id) {
			errs = append(errs, fmt.Errorf("account_ids: %q is not a sponsored account id", s.AccountIDs[i]))
		}
		s.AccountIDs[i] = id
	}
	if err := errors.Join(errs...); err != nil {
		return s, fmt.Errorf("linkedin ads: settings: %w", err)
	}
	return s, nil
}

const (
	accountURN  = "urn:li:sponsoredAccount:"
	campaignURN = "urn:li:sponsoredCampaign:"
)

func numeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Pull implements connector.Puller.
func (c *Connector) Pull(ctx context.Context, r connector.Run) error {
	src := &source{c: c, names: map[string]map[string]string{}}
	if err := adspend.Pull(ctx, r, c.now(), c.settings.Window, c.settings.AccountIDs, src); err != nil {
		return fmt.Errorf("linkedin ads: %w", err)
	}
	return nil
}
