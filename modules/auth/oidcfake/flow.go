package oidcfake

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// The authorization code flow: the authorization endpoint, the token endpoint and the
// ID tokens it signs.

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
