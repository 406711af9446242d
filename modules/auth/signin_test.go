package auth_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestSignInWithTheTextedCode signs in with the code as each delivery path gets it to
// the phone: Twilio Verify, the Messages API, and the development log.
func TestSignInWithTheTextedCode(t *testing.T) {
	for _, mode := range []string{viaMessages, viaVerify, viaLog} {
		t.Run(mode, func(t *testing.T) {
			en := newEnv(t, envOptions{mode: mode})
			b := en.browser()

			if r := b.Get("/t/acme/dashboard"); r.Status != http.StatusSeeOther || r.Location() != "/login?next=%2Ft%2Facme%2Fdashboard" {
				t.Fatalf("protected page before sign-in: %d %q", r.Status, r.Location())
			}
			r := b.Get("/login?next=%2Ft%2Facme%2Fdashboard")
			mustContain(t, "login page", r, `name="email"`, `name="password"`, `value="/t/acme/dashboard"`)
			r = b.Post("/login", map[string][]string{"email": {"Ann@Acme.example"}, "password": {annPassword}, "next": {"/t/acme/dashboard"}})
			if r.Status != http.StatusSeeOther || r.Location() != "/login/code?next=%2Ft%2Facme%2Fdashboard" {
				t.Fatalf("password step: %d %q\n%s", r.Status, r.Location(), r.Body)
			}
			r = b.Get(r.Location())
			mustContain(t, "code page", r, "••••••••0101", `autocomplete="one-time-code"`, "5 tries left")
			code := en.lastCode(annPhone)
			r = b.Post("/login/code", map[string][]string{"code": {code[:3] + " " + code[3:]}, "next": {"/t/acme/dashboard"}})
			if r.Status != http.StatusSeeOther || r.Location() != "/t/acme/dashboard" {
				t.Fatalf("code step: %d %q\n%s", r.Status, r.Location(), r.Body)
			}
			seen := map[string]bool{}
			for _, c := range (&http.Response{Header: r.Header}).Cookies() {
				if seen[c.Name] {
					t.Fatalf("the answer sets cookie %s twice: %v", c.Name, r.Header.Values("Set-Cookie"))
				}
				seen[c.Name] = true
			}
			session := r.Cookie("srg_session")
			if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure || session.Path != "/" {
				t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure without TLS", session)
			}
			if r := b.Get("/t/acme/dashboard"); r.Status != http.StatusOK || r.Body != "dashboard of "+annEmail {
				t.Fatalf("after sign-in: %d %s", r.Status, r.Body)
			}
			if r := b.Get("/login"); r.Status != http.StatusSeeOther || r.Location() != "/" {
				t.Fatalf("login page when signed in: %d %s", r.Status, r.Location())
			}

			if n := en.count(`SELECT count(*) FROM sessions WHERE token_hash = sha256(convert_to(?, 'UTF8'))`, session.Value); n != 1 {
				t.Fatalf("no session stored under the hash of the cookie (%d)", n)
			}
			if n := en.count(`SELECT count(*) FROM sessions WHERE position(convert_to(?, 'UTF8') in token_hash) > 0`, session.Value); n != 0 {
				t.Fatal("the session token is stored in plain")
			}
			if n := en.count(`SELECT count(*) FROM login_challenges`); n != 0 {
				t.Fatalf("%d challenges left after sign-in", n)
			}
			if n := en.count(`SELECT count(*) FROM audit_log WHERE action = 'login.succeeded' AND remote_addr = '198.51.100.7' AND target = ?`, annEmail); n != 1 {
				t.Fatalf("login.succeeded audited %d times with the address", n)
			}
		})
	}
}

// TestCodesAreStoredHashed looks at the challenge while it waits for its code.
func TestCodesAreStoredHashed(t *testing.T) {
	en := newEnv(t, envOptions{mode: viaMessages})
	b := en.browser()
	b.Password(annEmail, annPassword)
	code := en.lastCode(annPhone)
	var stored []byte
	if err := en.db.Raw(`SELECT code_hash FROM login_challenges`).Row().Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) != 32 || strings.Contains(string(stored), code) {
		t.Fatalf("stored code %x: want a 32-byte HMAC, not the code", stored)
	}
	if r := b.Get("/login/code"); r.Status != http.StatusOK {
		t.Fatalf("code page: %d", r.Status)
	}
	if r := b.SubmitCode(code); r.Status != http.StatusSeeOther {
		t.Fatalf("right code refused: %d\n%s", r.Status, r.Body)
	}

	verify := newEnv(t, envOptions{mode: viaVerify})
	vb := verify.browser()
	vb.Password(annEmail, annPassword)
	if n := verify.count(`SELECT count(*) FROM login_challenges WHERE code_hash IS NULL`); n != 1 {
		t.Fatal("with Twilio Verify SRG must not hold the code")
	}
}

func TestDevelopmentLogMarksTheCode(t *testing.T) {
	en := newEnv(t, envOptions{mode: viaLog})
	en.browser().Password(annEmail, annPassword)
	log := en.logs.String()
	if !strings.Contains(log, "DEVELOPMENT ONLY: SMS code for "+annPhone+": ") || !strings.Contains(log, "level=WARN") {
		t.Fatalf("the code is not in the log, marked as development only:\n%s", log)
	}
	if strings.Contains(log, annPassword) {
		t.Fatal("the password reached the log")
	}
}

// TestSignInRejectsBadInput submits malformed and wrong input at both steps; each
// gets a clear message, and an unknown email gets exactly the wrong password's answer.
func TestSignInRejectsBadInput(t *testing.T) {
	en := newEnv(t, envOptions{})
	long := strings.Repeat("a", 300)
	passwordTests := []struct {
		name, email, password string
		status                int
		want                  string
	}{
		{"empty email", "", annPassword, http.StatusBadRequest, "Enter your email address."},
		{"not an email", "ann", annPassword, http.StatusBadRequest, "is not an email address"},
		{"email with a display name", "Ann <ann@acme.example>", annPassword, http.StatusBadRequest, "is not an email address"},
		{"oversized email", long + "@acme.example", annPassword, http.StatusBadRequest, "The email address is too long (at most 254 characters)."},
		{"empty password", annEmail, "", http.StatusBadRequest, "Enter your password."},
		{"oversized password", annEmail, long, http.StatusBadRequest, "The password is too long (at most 256 characters)."},
		{"wrong password", annEmail, "not the password", http.StatusUnauthorized, "Wrong email or password."},
		{"unknown email", "nobody@acme.example", annPassword, http.StatusUnauthorized, "Wrong email or password."},
		{"no phone", noPhoneEmail, annPassword, http.StatusForbidden, "Your account has no phone number"},
	}
	for _, tt := range passwordTests {
		t.Run(tt.name, func(t *testing.T) {
			b := en.browser()
			b.IP = "203.0.113." + string(rune('1'+len(tt.name)%9))
			r := b.Password(tt.email, tt.password)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", r.Status, tt.status, r.Body)
			}
			mustContain(t, tt.name, r, tt.want, `name="email"`)
		})
	}
	var unknown, wrongPassword string
	for _, email := range []string{"nobody@acme.example", annEmail} {
		b := en.browser()
		b.IP = "192.0.2.200"
		r := b.Password(email, "definitely wrong")
		body := strings.ReplaceAll(r.Body, b.CSRF, "")
		body = strings.ReplaceAll(body, email, "")
		if email == annEmail {
			wrongPassword = body
		} else {
			unknown = body
		}
	}
	if unknown != wrongPassword {
		t.Fatalf("an unknown email and a wrong password answer differently:\n%s\n---\n%s", unknown, wrongPassword)
	}

	b := en.browser()
	b.Password(annEmail, annPassword)
	code := en.lastCode(annPhone)
	codeTests := []struct {
		name, code string
		status     int
		want       string
	}{
		{"empty code", "", http.StatusBadRequest, "Enter the 6-digit code from the text message."},
		{"five digits", code[:5], http.StatusBadRequest, "Enter the 6-digit code"},
		{"letters", "abcdef", http.StatusBadRequest, "Enter the 6-digit code"},
		{"oversized code", strings.Repeat("1", 5000), http.StatusBadRequest, "Enter the 6-digit code"},
		{"wrong code", wrong(code), http.StatusBadRequest, "Wrong code. 4 tries left."},
	}
	for _, tt := range codeTests {
		t.Run(tt.name, func(t *testing.T) {
			b.Get("/login/code")
			r := b.SubmitCode(tt.code)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", r.Status, tt.status, r.Body)
			}
			mustContain(t, tt.name, r, tt.want, `name="code"`)
		})
	}
	b.Get("/login/code")
	if r := b.SubmitCode(code); r.Status != http.StatusSeeOther {
		t.Fatalf("the right code after malformed ones: %d\n%s", r.Status, r.Body)
	}

	stranger := en.browser()
	if r := stranger.Get("/login/code"); r.Status != http.StatusSeeOther || r.Location() != "/login" {
		t.Fatalf("code page without a password step: %d %s", r.Status, r.Location())
	}
	stranger.Get("/login")
	if r := stranger.Post("/login/code/resend", nil); r.Status != http.StatusGone {
		t.Fatalf("resend without a password step: %d\n%s", r.Status, r.Body)
	}
	stranger.Get("/login")
	if r := stranger.SubmitCode("123456"); r.Status != http.StatusGone {
		t.Fatalf("code without a challenge: %d\n%s", r.Status, r.Body)
	} else {
		mustContain(t, "code without challenge", r, "Your sign-in expired or was cancelled")
	}
}

// TestNextStaysOnThisSite keeps a sign-in from sending people to another site.
func TestNextStaysOnThisSite(t *testing.T) {
	en := newEnv(t, envOptions{})
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/login/code"} {
		t.Run(next, func(t *testing.T) {
			b := en.browser()
			b.Get("/login")
			r := b.Post("/login", map[string][]string{"email": {annEmail}, "password": {annPassword}, "next": {next}})
			if r.Location() != "/login/code" {
				t.Fatalf("next %q kept: %s", next, r.Location())
			}
			b.Get("/login/code")
			r = b.Post("/login/code", map[string][]string{"code": {en.lastCode(annPhone)}, "next": {next}})
			if r.Status != http.StatusSeeOther || r.Location() != "/" {
				t.Fatalf("next %q: went to %q", next, r.Location())
			}
		})
	}
}
