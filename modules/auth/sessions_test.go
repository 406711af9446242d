package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestSessionRotatesAtSignIn(t *testing.T) {
	en := newEnv(t, envOptions{})
	b := en.browser()
	b.SignIn(annEmail, annPassword, annPhone)
	first, firstCSRF := b.Cookie("srg_session"), b.Cookie("srg_csrf")
	b.Get("/account")
	en.clock.Advance(time.Minute)
	b.SignIn(bobEmail, bobPassword, bobPhone)
	second := b.Cookie("srg_session")
	if second == "" || second == first {
		t.Fatalf("session not rotated: %q then %q", first, second)
	}
	if b.Get("/account"); b.Cookie("srg_csrf") == firstCSRF {
		t.Fatal("the CSRF token survived the sign-in")
	}
	if _, ok, _ := en.mod.Service().Authenticate(context.Background(), first); ok {
		t.Fatal("the session before the sign-in still works")
	}
	if n := en.count(`SELECT count(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions, want only the new one", n)
	}
	mustContain(t, "account of the new user", b.Get("/account"), bobEmail)
}

func TestSessionTimeouts(t *testing.T) {
	tests := []struct {
		name string
		// live is how the browser stays active: a request every step, steps times.
		step  time.Duration
		steps int
		// alive reports whether the session should still work after them.
		alive bool
	}{
		{"used within the idle timeout", 29 * time.Minute, 1, true},
		{"idle for 30 minutes", 30 * time.Minute, 1, false},
		{"active for 11 hours 59 minutes", 29*time.Minute + 58*time.Second, 24, true},
		{"active past 12 hours", 29 * time.Minute, 25, false},
	}
	en := newEnv(t, envOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := en.browser()
			b.SignIn(annEmail, annPassword, annPhone)
			var r response
			for i := 0; i < tt.steps; i++ {
				en.clock.Advance(tt.step)
				r = b.Get("/account")
				if i < tt.steps-1 && r.Status != http.StatusOK {
					t.Fatalf("signed out at step %d: %d", i, r.Status)
				}
			}
			if tt.alive {
				if r.Status != http.StatusOK {
					t.Fatalf("session ended early: %d %s", r.Status, r.Location())
				}
				return
			}
			if r.Status != http.StatusSeeOther || r.Location() != "/login?next=%2Faccount" {
				t.Fatalf("ended session still works: %d %s", r.Status, r.Location())
			}
			if b.Cookie("srg_session") != "" {
				t.Fatal("the ended session's cookie was not cleared")
			}
		})
	}
}

func TestSignOut(t *testing.T) {
	en := newEnv(t, envOptions{})
	laptop, phone, other := en.browser(), en.browser(), en.browser()
	laptop.SignIn(annEmail, annPassword, annPhone)
	en.clock.Advance(31 * time.Second)
	phone.SignIn(annEmail, annPassword, annPhone)
	other.SignIn(bobEmail, bobPassword, bobPhone)

	mustContain(t, "account", laptop.Get("/account"), "Signed-in sessions</dt><dd>2")
	if r := laptop.Post("/logout", nil); r.Status != http.StatusSeeOther || r.Location() != "/login" {
		t.Fatalf("sign out: %d %s", r.Status, r.Location())
	}
	if r := laptop.Get("/account"); r.Status != http.StatusSeeOther {
		t.Fatalf("signed-out browser still in: %d", r.Status)
	}
	if r := phone.Get("/account"); r.Status != http.StatusOK {
		t.Fatalf("the other session ended too: %d", r.Status)
	}

	laptop.SignIn(annEmail, annPassword, annPhone)
	laptop.Get("/account")
	if r := laptop.Post("/account/logout-everywhere", nil); r.Status != http.StatusSeeOther || r.Location() != "/login" {
		t.Fatalf("sign out everywhere: %d %s", r.Status, r.Location())
	}
	for name, b := range map[string]*browser{"laptop": laptop, "phone": phone} {
		if r := b.Get("/account"); r.Status != http.StatusSeeOther {
			t.Fatalf("%s still signed in after sign out everywhere: %d", name, r.Status)
		}
	}
	if r := other.Get("/account"); r.Status != http.StatusOK {
		t.Fatalf("another user's session ended: %d", r.Status)
	}
	for _, action := range []string{"logout", "logout.everywhere"} {
		if n := en.count(`SELECT count(*) FROM audit_log WHERE action = ? AND remote_addr = '198.51.100.7'`, action); n != 1 {
			t.Errorf("%s audited %d times with the address", action, n)
		}
	}
}

func TestNotSignedIn(t *testing.T) {
	en := newEnv(t, envOptions{})
	b := en.browser()
	tests := []struct {
		name, method, path string
		header             map[string]string
		status             int
		location, body     string
	}{
		{"page", http.MethodGet, "/account", nil, http.StatusSeeOther, "/login?next=%2Faccount", ""},
		{"form post", http.MethodPost, "/account/password", nil, http.StatusSeeOther, "/login", ""},
		{"api", http.MethodGet, "/api/tenants/acme/tokens", map[string]string{"Accept": "application/json"}, http.StatusUnauthorized, "", `"error":"sign in, or send an API token`},
		{"versioned api", http.MethodGet, "/api/v1/tenants/acme/tokens", map[string]string{"Accept": "application/json"}, http.StatusUnauthorized, "", "sign in"},
		{"public page", http.MethodGet, "/login", nil, http.StatusOK, "", "Sign in to SRG"},
		{"stale cookie", http.MethodGet, "/account", map[string]string{"Cookie": "srg_session=" + url.QueryEscape("x")}, http.StatusSeeOther, "/login?next=%2Faccount", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.Do(tt.method, tt.path, nil, tt.header)
			if r.Status != tt.status || r.Location() != tt.location {
				t.Fatalf("%d %q, want %d %q\n%s", r.Status, r.Location(), tt.status, tt.location, r.Body)
			}
			mustContain(t, tt.name, r, tt.body)
		})
	}
}

func TestPruneDeletesWhatCanNoLongerBeUsed(t *testing.T) {
	en := newEnv(t, envOptions{})
	en.browser().SignIn(bobEmail, bobPassword, bobPhone)
	en.clock.Advance(31 * time.Minute)
	en.browser().SignIn(annEmail, annPassword, annPhone)
	en.browser().Password(bobEmail, "wrong password here")
	en.browser().Password(bobEmail, bobPassword)
	jobs := en.mod.Jobs()
	if len(jobs) != 1 || jobs[0].Name != "auth.prune" {
		t.Fatalf("jobs %+v", jobs)
	}
	if err := jobs[0].Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	left := `SELECT (SELECT count(*) FROM sessions) || ' ' || (SELECT count(*) FROM login_challenges) || ' ' || (SELECT count(*) FROM auth_attempts)`
	var got string
	en.db.Raw(left).Scan(&got)
	if got != "1 1 4" {
		t.Fatalf("sessions, challenges, attempts after prune: %s, want the live session, the pending challenge and 4 attempts", got)
	}
	en.clock.Advance(25 * time.Hour)
	if err := jobs[0].Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if en.db.Raw(left).Scan(&got); got != "0 0 0" {
		t.Fatalf("a day later: %s, want nothing", got)
	}
}

// TestOtherAuthorizationIsIgnored keeps srg working behind a proxy that adds its own
// Authorization header to every request.
func TestOtherAuthorizationIsIgnored(t *testing.T) {
	en := newEnv(t, envOptions{})
	b := en.browser()
	b.SignIn(annEmail, annPassword, annPhone)
	for _, h := range []string{"Basic YWxpY2U6c2VjcmV0", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"} {
		if r := b.Do(http.MethodGet, "/account", nil, map[string]string{"Authorization": h}); r.Status != http.StatusOK {
			t.Errorf("page with Authorization %q: %d", h, r.Status)
		}
	}
}
