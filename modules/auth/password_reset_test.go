package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
)

var temporaryPattern = regexp.MustCompile(`^[a-hjkmnp-z2-9]{5}(-[a-hjkmnp-z2-9]{5}){3}$`)

// resetBob resets Bob's password as modules/tenants does: in a transaction of his
// tenant, which records who did it.
func (en *env) resetBob() (string, int64) {
	en.t.Helper()
	ctx := db.WithTenant(context.Background(), en.acme)
	var (
		password string
		ended    int64
	)
	err := en.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		password, ended, err = en.mod.Service().ResetPassword(ctx, tx, en.users[bobEmail])
		return err
	})
	if err != nil {
		en.t.Fatal(err)
	}
	return password, ended
}

// TestResetPasswordForcesANewOne resets Bob's password and follows him through his
// next sign-in, which must choose a new password before anything else.
func TestResetPasswordForcesANewOne(t *testing.T) {
	en := newEnv(t, envOptions{})
	before, pending := en.browser(), en.browser()
	before.SignIn(bobEmail, bobPassword, bobPhone)
	en.clock.Advance(31 * time.Second)
	pending.AtCode(bobEmail, bobPassword)

	temporary, ended := en.resetBob()
	if !temporaryPattern.MatchString(temporary) || ended != 1 {
		t.Fatalf("temporary password %q, %d sessions ended", temporary, ended)
	}
	if other, _ := en.resetBob(); other == temporary {
		t.Fatal("two resets gave the same password")
	}
	temporary, _ = en.resetBob()
	if r := before.Get("/t/acme/dashboard"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/login") {
		t.Fatalf("a session from before the reset: %d %s", r.Status, r.Location())
	}
	if r := pending.SubmitCode(en.lastCode(bobPhone)); r.Status != http.StatusGone {
		t.Fatalf("a sign-in pending at the reset: %d\n%s", r.Status, r.Body)
	}
	if r := en.browser().Password(bobEmail, bobPassword); r.Status != http.StatusUnauthorized {
		t.Fatalf("the old password after the reset: %d", r.Status)
	}

	en.clock.Advance(31 * time.Second)
	b := en.browser()
	b.SignIn(bobEmail, temporary, bobPhone)
	held := []struct {
		name, method, path string
		status             int
		location           string
	}{
		{"a page", http.MethodGet, "/t/acme/dashboard", http.StatusSeeOther, "/account/new-password?next=%2Ft%2Facme%2Fdashboard"},
		{"the account page", http.MethodGet, "/account", http.StatusSeeOther, "/account/new-password?next=%2Faccount"},
		{"a form", http.MethodPost, "/account/password", http.StatusForbidden, ""},
		{"the API", http.MethodPost, "/api/tenants/acme/things", http.StatusForbidden, ""},
	}
	for _, tt := range held {
		t.Run("held: "+tt.name, func(t *testing.T) {
			var r response
			if tt.method == http.MethodGet {
				r = b.Get(tt.path)
			} else {
				r = b.Post(tt.path, url.Values{"current": {temporary}, "new": {"x"}, "confirm": {"x"}})
			}
			if r.Status != tt.status || r.Location() != tt.location {
				t.Fatalf("%d %s, want %d %s\n%s", r.Status, r.Location(), tt.status, tt.location, r.Body)
			}
			if tt.status == http.StatusForbidden {
				mustContain(t, tt.name, r, "An administrator reset your password: choose a new one at /account/new-password first.")
			}
		})
	}
	r := b.Get("/account/new-password?next=%2Ft%2Facme%2Fdashboard")
	mustContain(t, "form", r, "Choose a new password", `action="/account/new-password"`, `value="/t/acme/dashboard"`)

	const chosen = "bob's very own passphrase"
	refused := []struct {
		name, new, confirm, want string
	}{
		{"too short", "short", "short", "at least 12 characters"},
		{"confirmation differs", chosen, chosen + "!", "The new password and its confirmation differ."},
		{"the temporary one again", temporary, temporary, "Choose a password of your own, not the temporary one."},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			r := b.Post("/account/new-password", url.Values{"new": {tt.new}, "confirm": {tt.confirm}, "next": {"/t/acme/dashboard"}})
			if r.Status != http.StatusBadRequest {
				t.Fatalf("status %d\n%s", r.Status, r.Body)
			}
			mustContain(t, tt.name, r, tt.want, `aria-invalid="true"`)
		})
	}
	r = b.Post("/account/new-password", url.Values{"new": {chosen}, "confirm": {chosen}, "next": {"/t/acme/dashboard"}})
	if r.Status != http.StatusSeeOther || r.Location() != "/t/acme/dashboard" {
		t.Fatalf("new password: %d %s\n%s", r.Status, r.Location(), r.Body)
	}
	if r := b.Get("/t/acme/dashboard"); r.Status != http.StatusOK {
		t.Fatalf("after choosing a password: %d", r.Status)
	}
	b.Get("/account")
	if r := b.Post("/account/new-password", url.Values{"new": {"yet another passphrase"}, "confirm": {"yet another passphrase"}}); r.Status != http.StatusConflict {
		t.Fatalf("the form once the password is chosen: %d\n%s", r.Status, r.Body)
	}
	if n := en.count(`SELECT count(*) FROM users WHERE email = ? AND NOT must_change_password`, bobEmail); n != 1 {
		t.Fatal("the account still has to change its password")
	}
	if n := en.count(`SELECT count(*) FROM audit_log WHERE action = 'password.changed' AND target = ?`, bobEmail); n != 1 {
		t.Fatalf("the chosen password audited %d times", n)
	}
	en.clock.Advance(31 * time.Second)
	en.browser().SignIn(bobEmail, chosen, bobPhone)
}

// TestSignOutWhileHeld lets a session that must choose a password sign out instead.
func TestSignOutWhileHeld(t *testing.T) {
	en := newEnv(t, envOptions{})
	temporary, _ := en.resetBob()
	b := en.browser()
	b.SignIn(bobEmail, temporary, bobPhone)
	b.Get("/account/new-password")
	if r := b.Post("/logout", nil); r.Status != http.StatusSeeOther || r.Location() != "/login" {
		t.Fatalf("sign out: %d %s\n%s", r.Status, r.Location(), r.Body)
	}
	if n := en.count(`SELECT count(*) FROM sessions`); n != 0 {
		t.Fatalf("%d sessions after signing out", n)
	}
}

// TestLiveTokensOf counts the tokens a user created that still work: those a reset
// leaves be, which the administrator resetting is told about.
func TestLiveTokensOf(t *testing.T) {
	en := newEnv(t, envOptions{})
	ann := en.browser()
	ann.SignIn(annEmail, annPassword, annPhone)
	ann.Get("/account")
	createToken(t, ann, "acme", "warehouse loader", "marketer")
	revoked := createToken(t, ann, "acme", "old loader", "viewer")
	if r := ann.Do(http.MethodDelete, "/api/tenants/acme/tokens/"+strconv.FormatInt(revoked.ID, 10), nil,
		map[string]string{"X-CSRF-Token": ann.CSRF, "Accept": "application/json"}); r.Status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	ctx := db.WithTenant(context.Background(), en.acme)
	for _, tt := range []struct {
		email string
		want  int64
	}{{annEmail, 1}, {bobEmail, 0}} {
		var n int64
		err := en.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var err error
			n, err = en.mod.Service().LiveTokensOf(ctx, tx, en.users[tt.email])
			return err
		})
		if err != nil || n != tt.want {
			t.Errorf("LiveTokensOf(%s) = %d, %v; want %d", tt.email, n, err, tt.want)
		}
	}
}
