package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/modules/auth"
)

func TestChangePassword(t *testing.T) {
	en := newEnv(t, envOptions{})
	b, elsewhere := en.browser(), en.browser()
	b.SignIn(annEmail, annPassword, annPhone)
	en.clock.Advance(31 * time.Second)
	elsewhere.SignIn(annEmail, annPassword, annPhone)
	r := b.Get("/account")
	mustContain(t, "account page", r, annEmail, annPhone[1:], `action="/account/password"`, `action="/account/logout-everywhere"`)

	const next = "a brand new passphrase"
	tests := []struct {
		name, current, new, confirm string
		status                      int
		want                        string
	}{
		{"no current password", "", next, next, http.StatusBadRequest, "Enter your current password."},
		{"oversized current password", strings.Repeat("x", 300), next, next, http.StatusBadRequest, "The current password is too long"},
		{"short new password", annPassword, "short", "short", http.StatusBadRequest, "The password must have at least 12 characters."},
		{"oversized new password", annPassword, strings.Repeat("y", 257), strings.Repeat("y", 257), http.StatusBadRequest, "at most 256 characters"},
		{"confirmation differs", annPassword, next, next + "!", http.StatusBadRequest, "The new password and its confirmation differ."},
		{"wrong current password", "not my password", next, next, http.StatusBadRequest, "The current password is wrong."},
		{"changed", annPassword, next, next, http.StatusOK, "Your password was changed, and your other sessions were signed out."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.Post("/account/password", url.Values{"current": {tt.current}, "new": {tt.new}, "confirm": {tt.confirm}})
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", r.Status, tt.status, r.Body)
			}
			mustContain(t, tt.name, r, tt.want)
		})
	}
	if r := b.Get("/account"); r.Status != http.StatusOK {
		t.Fatalf("the changing session was signed out: %d", r.Status)
	}
	if r := elsewhere.Get("/account"); r.Status != http.StatusSeeOther {
		t.Fatalf("the other session survived the change: %d", r.Status)
	}
	if r := en.browser().Password(annEmail, annPassword); r.Status != http.StatusUnauthorized {
		t.Fatalf("old password still works: %d", r.Status)
	}
	en.clock.Advance(31 * time.Second)
	en.browser().SignIn(annEmail, next, annPhone)
}

func TestAccountNeedsABrowserSession(t *testing.T) {
	en := newEnv(t, envOptions{})
	b := en.browser()
	b.SignIn(annEmail, annPassword, annPhone)
	b.Get("/account")
	tok := createToken(t, b, "acme", "ci", "viewer")
	// Tokens only work under /api/, so the account page refuses them before any handler.
	r := en.browser().Do(http.MethodGet, "/account", nil, bearer(tok.Secret))
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("account page with an API token: %d", r.Status)
	}
}

func TestFirstPasswordsOfDeclaredUsers(t *testing.T) {
	en := newEnv(t, envOptions{})
	ctx := context.Background()
	en.db.Exec(`INSERT INTO users (email, name, phone) VALUES ('new@acme.example', 'New', '+15555550109')`)
	svc := en.mod.Service()
	tests := []struct {
		name, email, password string
		set                   bool
		err                   string
	}{
		{"user without a password", "new@acme.example", "the first password", true, ""},
		{"again: now has one", "new@acme.example", "another first password", false, ""},
		{"user with a password", annEmail, "replaced password", false, ""},
		{"unknown user", "ghost@acme.example", "the first password", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := svc.SetInitialPassword(ctx, tt.email, tt.password)
			if set != tt.set || err != nil {
				t.Fatalf("set %v err %v, want %v", set, err, tt.set)
			}
		})
	}
	en.db.Exec(`INSERT INTO users (email, name, phone) VALUES ('short@acme.example', 'S', '+15555550108')`)
	if _, err := svc.SetInitialPassword(ctx, "short@acme.example", "short"); err == nil || !strings.Contains(err.Error(), "at least 12 characters") {
		t.Fatalf("short first password: %v", err)
	}
	en.browser().SignIn("new@acme.example", "the first password", "+15555550109")
	en.browser().SignIn(annEmail, annPassword, annPhone)

	m, err := auth.New(auth.Deps{Config: testConfig, DB: en.db, Codes: noCodes{}, CodeKey: make([]byte, 32), Log: quietLog(), SSO: en.sso,
		InitialPasswords: []auth.InitialPassword{{Email: "short@acme.example", Password: "short", Source: "$SHORT_PW"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err == nil || !strings.Contains(err.Error(), "first password of short@acme.example from $SHORT_PW") {
		t.Fatalf("start with a short first password: %v", err)
	}
}
