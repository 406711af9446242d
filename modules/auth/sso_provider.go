package auth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/srgplatform/srg/app/errs"
)

// ssoHTTPTimeout bounds each request to an identity provider.
const ssoHTTPTimeout = 10 * time.Second

// providerTTL is how long a provider's discovery document is trusted before it is
// fetched again; its keys are fetched again whenever a token names an unknown one.
const providerTTL = time.Hour

// cachedProvider is a discovered provider (with its key set cache).
type cachedProvider struct {
	p  *oidc.Provider
	at time.Time
}

// provider returns the discovered provider of an issuer, discovering it when it is not
// cached or its document is older than providerTTL.
func (s *SSO) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	now := s.svc.now()
	s.mu.Lock()
	c, ok := s.providers[issuer]
	s.mu.Unlock()
	if ok && now.Sub(c.at) < providerTTL && now.Sub(c.at) >= 0 {
		return c.p, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, s.http), issuer)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.providers[issuer] = cachedProvider{p: p, at: now}
	s.mu.Unlock()
	return p, nil
}

// oauth returns the OAuth 2.0 client of a tenant's settings.
func (s *SSO) oauth(p *oidc.Provider, r ssoRow, secret string) *oauth2.Config {
	return &oauth2.Config{ClientID: r.ClientID, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: s.redirectURL,
		Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// checkIssuer fetches an issuer's discovery document and says clearly what is wrong
// with it, for the one who sets the issuer URL; the response body is never shown.
func (s *SSO) checkIssuer(ctx context.Context, issuer string) error {
	where := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	invalid := func(format string, args ...any) error {
		return errs.Invalid("issuer_url", "issuer_url: "+format, args...)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return invalid("%q is not a usable URL", issuer)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return invalid("the identity provider could not be reached at %s (%s)", where, networkCause(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return invalid("%s answered HTTP %d instead of the provider's discovery document: check the issuer URL", where, resp.StatusCode)
	}
	var doc struct {
		Issuer    string `json:"issuer"`
		Authorize string `json:"authorization_endpoint"`
		Token     string `json:"token_endpoint"`
		JWKS      string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return invalid("%s is not an OpenID Connect discovery document", where)
	}
	switch {
	case doc.Issuer != issuer:
		return invalid("the provider at %s calls itself %q: use exactly that as the issuer URL", where, doc.Issuer)
	case doc.Authorize == "" || doc.Token == "" || doc.JWKS == "":
		return invalid("the discovery document at %s lacks the authorization, token or key set endpoint", where)
	}
	s.mu.Lock()
	delete(s.providers, issuer)
	s.mu.Unlock()
	return nil
}

// networkCause is the part of a request error worth showing: the cause without the
// method and URL the message already names.
func networkCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return "no answer in time"
	}
	return err.Error()
}
