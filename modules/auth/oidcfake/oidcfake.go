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
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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

// authorize is the authorization endpoint (RFC 6749 4.1.1, OpenID Connect Core 3.1.2).
// Errors about the client or its redirect URI are shown, never redirected (4.1.2.1).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	client, known := s.clients[q.Get("client_id")]
	b, user := s.behaviour, s.user
	s.mu.Unlock()
	redirect := q.Get("redirect_uri")
	if !known {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	if !slices.Contains(client.RedirectURIs, redirect) {
		http.Error(w, "redirect_uri is not registered for this client", http.StatusBadRequest)
		return
	}
	back := func(params url.Values) {
		if st := q.Get("state"); st != "" {
			params.Set("state", st)
		}
		sep := "?"
		if strings.Contains(redirect, "?") {
			sep = "&"
		}
		http.Redirect(w, r, redirect+sep+params.Encode(), http.StatusFound)
	}
	fail := func(code, description string) {
		back(url.Values{"error": {code}, "error_description": {description}})
	}
	scopes := strings.Fields(q.Get("scope"))
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "only the authorization code flow is supported")
	case !slices.Contains(scopes, "openid"):
		fail("invalid_scope", "the openid scope is required")
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "PKCE with code_challenge_method S256 is required")
	case b.AuthorizeError != "":
		fail(b.AuthorizeError, b.AuthorizeErrorDescription)
	case user.Subject == "":
		fail("login_required", "no user is configured at the fake provider")
	default:
		code := randomString(32)
		s.mu.Lock()
		s.grants[code] = &grant{client: client.ID, redirectURI: redirect, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"),
			scope: q.Get("scope"), user: user, expires: s.now().Add(codeTTL)}
		s.mu.Unlock()
		back(url.Values{"code": {code}})
	}
}

// tokenError is an error response of the token endpoint (RFC 6749 5.2).
func tokenError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// token is the token endpoint (RFC 6749 4.1.3 and 5, RFC 7636 4.6).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	client, basic, ok := s.authenticateClient(r)
	if !ok {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="oidcfake"`)
		}
		tokenError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported", gt))
		return
	}
	s.mu.Lock()
	b := s.behaviour
	g, found := s.grants[r.PostForm.Get("code")]
	// A code is good for one try, whatever its outcome.
	delete(s.grants, r.PostForm.Get("code"))
	s.mu.Unlock()
	if b.TokenError != "" {
		status := b.TokenErrorStatus
		if status == 0 {
			status = http.StatusBadRequest
		}
		tokenError(w, status, b.TokenError, "the provider refused the request")
		return
	}
	switch {
	case !found || !s.now().Before(g.expires):
		tokenError(w, http.StatusBadRequest, "invalid_grant", "the code is unknown, used or expired")
		return
	case g.client != client.ID:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "the code was issued to another client")
		return
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	case !pkceMatches(r.PostForm.Get("code_verifier"), g.challenge):
		tokenError(w, http.StatusBadRequest, "invalid_grant", "the PKCE code_verifier does not match the code_challenge")
		return
	}
	access := randomString(32)
	idToken, err := s.idToken(b, client.ID, g, access)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600,
		"id_token": idToken, "scope": g.scope})
}

// authenticateClient checks client_secret_basic (with the form-encoding of RFC 6749
// 2.3.1) or client_secret_post; basic reports which was tried.
func (s *Server) authenticateClient(r *http.Request) (c Client, basic, ok bool) {
	id, secret, basic := r.BasicAuth()
	if basic {
		if r.PostForm.Get("client_secret") != "" {
			return Client{}, true, false
		}
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return Client{}, true, false
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.Lock()
	c, known := s.clients[id]
	s.mu.Unlock()
	if !known || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		return Client{}, basic, false
	}
	return c, basic, true
}

// pkceMatches checks a verifier against an S256 challenge (RFC 7636 4.6).
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// idToken signs the ID token of OpenID Connect Core 2 for a redeemed grant.
func (s *Server) idToken(b Behaviour, clientID string, g *grant, accessToken string) (string, error) {
	now := s.now()
	ttl := b.TokenTTL
	if ttl == 0 {
		ttl = defaultTokenTTL
	}
	iss, aud, nonce := s.Issuer(), clientID, g.nonce
	if b.Issuer != "" {
		iss = b.Issuer
	}
	if b.Audience != "" {
		aud = b.Audience
	}
	if b.Nonce != "" {
		nonce = b.Nonce
	}
	// at_hash: the left half of the SHA-256 of the access token (Core 3.1.3.6).
	sum := sha256.Sum256([]byte(accessToken))
	claims := map[string]any{
		"iss": iss, "sub": g.user.Subject, "aud": aud,
		"iat": now.Unix(), "auth_time": now.Unix(), "exp": now.Add(ttl).Unix(),
		"at_hash": base64.RawURLEncoding.EncodeToString(sum[:16]),
		"email":   g.user.Email, "name": g.user.Name,
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if !b.OmitEmailVerified {
		claims["email_verified"] = g.user.EmailVerified
	}
	groupsClaim := b.GroupsClaim
	if groupsClaim == "" {
		groupsClaim = "groups"
	}
	claims[groupsClaim] = append([]string{}, g.user.Groups...)
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	key := s.key
	if b.ForeignKey {
		key = s.foreign
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: s.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
