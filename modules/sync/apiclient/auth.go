package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"golang.org/x/oauth2"

	"github.com/srgplatform/srg/modules/sync/connector"
)

// Bearer is a fixed token (a HubSpot private-app token): it cannot be refreshed, so
// a 401 means it was revoked.
type Bearer string

// Apply sets the Authorization header.
func (b Bearer) Apply(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", "Bearer "+string(b))
	return nil
}

// Refresh always fails: a fixed token that is refused needs replacing.
func (b Bearer) Refresh(context.Context) error {
	return fmt.Errorf("%w: the token was refused", connector.ErrReauth)
}

// OAuth2 holds an access token obtained from a refresh token and renews it before it
// expires and whenever the API refuses it.
type OAuth2 struct {
	cfg          *oauth2.Config
	refreshToken string
	httpClient   *http.Client

	mu    sync.Mutex
	token *oauth2.Token
}

// NewOAuth2 builds the authenticator. httpClient carries the token requests (nil
// means http.DefaultClient).
func NewOAuth2(cfg *oauth2.Config, refreshToken string, httpClient *http.Client) *OAuth2 {
	return &OAuth2{cfg: cfg, refreshToken: refreshToken, httpClient: httpClient}
}

// Token returns a valid token, fetching one when there is none or it expired. Some
// token responses carry more (Salesforce's instance_url): read it with Extra.
func (o *OAuth2) Token(ctx context.Context) (*oauth2.Token, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.token.Valid() {
		return o.token, nil
	}
	return o.fetch(ctx)
}

// Apply sets the Authorization header from a valid token.
func (o *OAuth2) Apply(ctx context.Context, req *http.Request) error {
	t, err := o.Token(ctx)
	if err != nil {
		return err
	}
	t.SetAuthHeader(req)
	return nil
}

// Refresh drops the current token and fetches a new one.
func (o *OAuth2) Refresh(ctx context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, err := o.fetch(ctx)
	return err
}

func (o *OAuth2) fetch(ctx context.Context) (*oauth2.Token, error) {
	if o.httpClient != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, o.httpClient)
	}
	t, err := o.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: o.refreshToken}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 && re.Response.StatusCode != http.StatusTooManyRequests {
			return nil, fmt.Errorf("%w: token refresh refused: %s", connector.ErrReauth, refusal(re))
		}
		return nil, fmt.Errorf("token refresh: %w", err)
	}
	if t.RefreshToken != "" {
		o.refreshToken = t.RefreshToken
	}
	o.token = t
	return t, nil
}

// RefreshToken is the newest refresh token (some providers rotate it on use).
func (o *OAuth2) RefreshToken() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refreshToken
}

func refusal(re *oauth2.RetrieveError) string {
	if re.ErrorCode != "" {
		if re.ErrorDescription != "" {
			return re.ErrorCode + ": " + re.ErrorDescription
		}
		return re.ErrorCode
	}
	// Some providers (HubSpot) put the reason in their own body shape.
	if b := snippet(re.Body); b != "" {
		return fmt.Sprintf("HTTP %d: %s", re.Response.StatusCode, b)
	}
	return fmt.Sprintf("HTTP %d", re.Response.StatusCode)
}
