package spendfake

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// Tokens is an OAuth 2.0 authorisation server that only knows the refresh-token
// grant (RFC 6749 section 6), plus the set of access tokens an API accepts. It is
// safe for concurrent use.
type Tokens struct {
	mu           sync.Mutex
	clientID     string
	clientSecret string
	refresh      map[string]bool
	access       map[string]bool
	issued       int
	refreshes    int
	// revokedError is the "error" a refused refresh carries.
	revokedError string
	revokedDesc  string
}

// NewTokens makes a server for one client with one valid refresh token (none when
// refreshToken is ""). revokedError and revokedDesc are what the provider answers a
// revoked or unknown refresh token with ("invalid_grant", "Token has been expired or
// revoked.").
func NewTokens(clientID, clientSecret, refreshToken, revokedError, revokedDesc string) *Tokens {
	t := &Tokens{
		clientID: clientID, clientSecret: clientSecret,
		refresh: map[string]bool{}, access: map[string]bool{},
		revokedError: revokedError, revokedDesc: revokedDesc,
	}
	if refreshToken != "" {
		t.refresh[refreshToken] = true
	}
	return t
}

// AllowAccess makes a fixed access token valid (a long-lived token given at
// connection time).
func (t *Tokens) AllowAccess(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.access[token] = true
}

// Valid says whether an Authorization header carries a valid bearer token.
func (t *Tokens) Valid(authorization string) bool {
	tok, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.access[tok]
}

// Expire makes every access token invalid; refresh tokens still work.
func (t *Tokens) Expire() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.access)
}

// Revoke makes every access and refresh token invalid.
func (t *Tokens) Revoke() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.access)
	clear(t.refresh)
}

// Refreshes is how many access tokens were issued.
func (t *Tokens) Refreshes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.refreshes
}

// ServeHTTP answers POST grant_type=refresh_token with client credentials in the
// form or in HTTP Basic auth.
func (t *Tokens) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request", "error_description": "POST required"})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "form body required"})
		return
	}
	if err := r.ParseForm(); err != nil {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": err.Error()})
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if r.PostForm.Get("grant_type") != "refresh_token" {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id != t.clientID || secret != t.clientSecret {
		WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "The OAuth client was not found."})
		return
	}
	if !t.refresh[r.PostForm.Get("refresh_token")] {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": t.revokedError, "error_description": t.revokedDesc})
		return
	}
	t.issued++
	t.refreshes++
	tok := fmt.Sprintf("access-%d", t.issued)
	t.access[tok] = true
	WriteJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer", "scope": "ads"})
}
