// Package oidcfake is a local OpenID Connect provider for tests and local runs. It
// follows the published shapes of OpenID Connect Core 1.0 and Discovery 1.0, RFC 6749
// (OAuth 2.0) and RFC 7636 (PKCE): a discovery document at
// /.well-known/openid-configuration, a JSON Web Key Set, an authorization endpoint that
// approves one configured person at once and sends the browser back with a code (or
// with an OAuth error), and a token endpoint that authenticates the client
// (client_secret_basic or client_secret_post), checks the code, its redirect URI and
// the PKCE verifier (S256 only), and answers with an RS256-signed ID token. Behaviour
// makes it misbehave the ways real providers, and attackers, can.
package oidcfake

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Paths of the endpoints, below the issuer URL.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	AuthorizePath = "/authorize"
	TokenPath     = "/token"
	JWKSPath      = "/jwks"
)

// codeTTL is how long an authorization code may be redeemed (RFC 6749 recommends at
// most 10 minutes; providers use about a minute).
const codeTTL = time.Minute

// defaultTokenTTL is how long ID tokens are valid unless Behaviour says otherwise.
const defaultTokenTTL = 5 * time.Minute

// Client is a client registered at the provider.
type Client struct {
	ID, Secret   string
	RedirectURIs []string
}

// User is the person the provider signs in, without asking anything.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
}

// Behaviour makes the provider misbehave; the zero value behaves.
type Behaviour struct {
	// AuthorizeError answers authorization requests with this OAuth error code
	// (access_denied, ...) and AuthorizeErrorDescription, redirected to the client.
	AuthorizeError            string
	AuthorizeErrorDescription string
	// TokenError answers token requests with this OAuth error code and
	// TokenErrorStatus (400 when 0).
	TokenError       string
	TokenErrorStatus int
	// Audience, Issuer and Nonce replace the ID token's aud, iss and nonce claims.
	Audience, Issuer, Nonce string
	// TokenTTL is the ID token's lifetime (5 minutes when 0); negative issues tokens
	// that have already expired.
	TokenTTL time.Duration
	// ForeignKey signs ID tokens with a key the key set does not publish.
	ForeignKey bool
	// GroupsClaim names the claim that lists the user's groups ("groups" when empty).
	GroupsClaim string
	// OmitEmailVerified leaves email_verified out of ID tokens, as some providers do.
	OmitEmailVerified bool
}

// Server is the provider; serve it with httptest.NewServer and call SetIssuer with
// its URL (which may have a path) before the first request.
type Server struct {
	// Now is the provider's clock (time.Now when nil).
	Now func() time.Time

	key, foreign *rsa.PrivateKey
	kid          string

	mu        sync.Mutex
	issuer    string
	clients   map[string]Client
	user      User
	behaviour Behaviour
	grants    map[string]*grant
	requests  map[string]int
}

// grant is an authorization code waiting to be redeemed.
type grant struct {
	client, redirectURI, nonce, challenge, scope string
	user                                         User
	expires                                      time.Time
}

// New returns a provider that knows clients and signs in nobody until SetUser.
func New(clients ...Client) *Server {
	s := &Server{key: newKey(), foreign: newKey(), kid: randomString(8), clients: map[string]Client{},
		grants: map[string]*grant{}, requests: map[string]int{}}
	for _, c := range clients {
		s.clients[c.ID] = c
	}
	return s
}

func newKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("oidcfake: %v", err))
	}
	return k
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("oidcfake: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// SetIssuer sets the issuer URL: the server's URL, optionally with a path.
func (s *Server) SetIssuer(issuer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuer = strings.TrimSuffix(issuer, "/")
}

// Issuer returns the issuer URL.
func (s *Server) Issuer() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuer
}

// SetUser sets the person signed in from now on.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user = u
}

// Behave replaces the provider's behaviour.
func (s *Server) Behave(b Behaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behaviour = b
}

// Requests counts the requests an endpoint (AuthorizePath, TokenPath, ...) received.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	prefix := ""
	if u, err := url.Parse(s.issuer); err == nil {
		prefix = u.Path
	}
	path := strings.TrimPrefix(r.URL.Path, prefix)
	s.requests[path]++
	s.mu.Unlock()
	switch {
	case path == DiscoveryPath && r.Method == http.MethodGet:
		s.discovery(w)
	case path == JWKSPath && r.Method == http.MethodGet:
		s.jwks(w)
	case path == AuthorizePath && r.Method == http.MethodGet:
		s.authorize(w, r)
	case path == TokenPath && r.Method == http.MethodPost:
		s.token(w, r)
	case path == TokenPath:
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	case path == AuthorizePath || path == JWKSPath || path == DiscoveryPath:
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// discovery is the provider metadata of OpenID Connect Discovery 1.0, section 3.
func (s *Server) discovery(w http.ResponseWriter) {
	iss := s.Issuer()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + AuthorizePath,
		"token_endpoint":                        iss + TokenPath,
		"jwks_uri":                              iss + JWKSPath,
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{"authorization_code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "email", "email_verified", "name", "groups"},
	})
}

func (s *Server) jwks(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &s.key.PublicKey, KeyID: s.kid, Algorithm: string(jose.RS256), Use: "sig"},
	}})
}
