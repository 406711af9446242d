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

			if r := b.get("/t/acme/dashboard"); r.status != http.StatusSeeOther || r.location() != "/login?next=%2Ft%2Facme%2Fdashboard" {
				t.Fatalf("protected page before sign-in: %d %q", r.status, r.location())
			}
			r := b.get("/login?next=%2Ft%2Facme%2Fdashboard")
			mustContain(t, "login page", r, `name="email"`, `name="password"`, `value="/t/acme/dashboard"`)
			r = b.post("/login", map[string][]string{"email": {"Ann@Acme.example"}, "password": {annPassword}, "next": {"/t/acme/dashboard"}})
			if r.status != http.StatusSeeOther || r.location() != "/login/code?next=%2Ft%2Facme%2Fdashboard" {
				t.Fatalf("password step: %d %q\n%s", r.status, r.location(), r.body)
			}
			r = b.get(r.location())
			mustContain(t, "code page", r, "••••••••0101", `autocomplete="one-time-code"`, "5 tries left")
			code := en.lastCode(annPhone)
			r = b.post("/login/code", map[string][]string{"code": {code[:3] + " " + code[3:]}, "next": {"/t/acme/dashboard"}})
			if r.status != http.StatusSeeOther || r.location() != "/t/acme/dashboard" {
				t.Fatalf("code step: %d %q\n%s", r.status, r.location(), r.body)
			}
			var session *http.Cookie
			for _, c := range (&http.Response{Header: r.header}).Cookies() {
				if c.Name == "srg_session" {
					session = c
				}
			}
			if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure || session.Path != "/" {
				t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure without TLS", session)
			}
			if r := b.get("/t/acme/dashboard"); r.status != http.StatusOK || r.body != "dashboard of "+annEmail {
				t.Fatalf("after sign-in: %d %s", r.status, r.body)
			}
			if r := b.get("/login"); r.status != http.StatusSeeOther || r.location() != "/" {
				t.Fatalf("login page when signed in: %d %s", r.status, r.location())
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
	b.password(annEmail, annPassword)
	code := en.lastCode(annPhone)
	var stored []byte
	if err := en.db.Raw(`SELECT code_hash FROM login_challenges`).Row().Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) != 32 || strings.Contains(string(stored), code) {
		t.Fatalf("stored code %x: want a 32-byte HMAC, not the code", stored)
	}
	if r := b.get("/login/code"); r.status != http.StatusOK {
		t.Fatalf("code page: %d", r.status)
	}
	if r := b.code(code); r.status != http.StatusSeeOther {
		t.Fatalf("right code refused: %d\n%s", r.status, r.body)
	}

	verify := newEnv(t, envOptions{mode: viaVerify})
	vb := verify.browser()
	vb.password(annEmail, annPassword)
	if n := verify.count(`SELECT count(*) FROM login_challenges WHERE code_hash IS NULL`); n != 1 {
		t.Fatal("with Twilio Verify SRG must not hold the code")
	}
}

func TestDevelopmentLogMarksTheCode(t *testing.T) {
	en := newEnv(t, envOptions{mode: viaLog})
	en.browser().password(annEmail, annPassword)
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
			b.ip = "203.0.113." + string(rune('1'+len(tt.name)%9))
			r := b.password(tt.email, tt.password)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d\n%s", r.status, tt.status, r.body)
			}
			mustContain(t, tt.name, r, tt.want, `name="email"`)
		})
	}
	var unknown, wrongPassword string
	for _, email := range []string{"nobody@acme.example", annEmail} {
		b := en.browser()
		b.ip = "192.0.2.200"
		r := b.password(email, "definitely wrong")
		body := strings.ReplaceAll(r.body, b.csrf, "")
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
	b.password(annEmail, annPassword)
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
			b.get("/login/code")
			r := b.code(tt.code)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d\n%s", r.status, tt.status, r.body)
			}
			mustContain(t, tt.name, r, tt.want, `name="code"`)
		})
	}
	b.get("/login/code")
	if r := b.code(code); r.status != http.StatusSeeOther {
		t.Fatalf("the right code after malformed ones: %d\n%s", r.status, r.body)
	}

	stranger := en.browser()
	if r := stranger.get("/login/code"); r.status != http.StatusSeeOther || r.location() != "/login" {
		t.Fatalf("code page without a password step: %d %s", r.status, r.location())
	}
	stranger.get("/login")
	if r := stranger.code("123456"); r.status != http.StatusGone {
		t.Fatalf("code without a challenge: %d\n%s", r.status, r.body)
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
			b.get("/login")
			r := b.post("/login", map[string][]string{"email": {annEmail}, "password": {annPassword}, "next": {next}})
			if r.location() != "/login/code" {
				t.Fatalf("next %q kept: %s", next, r.location())
			}
			b.get("/login/code")
			r = b.post("/login/code", map[string][]string{"code": {en.lastCode(annPhone)}, "next": {next}})
			if r.status != http.StatusSeeOther || r.location() != "/" {
				t.Fatalf("next %q: went to %q", next, r.location())
			}
		})
	}
}
