package auth_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/srgplatform/srg/modules/auth"
)

// TestCodeRules walks each rule of the code step on the injectable clock, for both ways
// the code is made.
func TestCodeRules(t *testing.T) {
	for _, mode := range []string{viaMessages, viaVerify} {
		t.Run(mode, func(t *testing.T) {
			t.Run("valid 10 minutes", func(t *testing.T) {
				en := newEnv(t, envOptions{mode: mode})
				b := en.browser()
				b.AtCode(annEmail, annPassword)
				code := en.lastCode(annPhone)
				en.clock.Advance(10 * time.Minute)
				r := b.SubmitCode(code)
				if r.Status != http.StatusBadRequest {
					t.Fatalf("expired code: %d\n%s", r.Status, r.Body)
				}
				mustContain(t, "expired code", r, "This code has expired. Ask for a new one.")
				if r := b.Post("/login/code/resend", nil); r.Status != http.StatusSeeOther || r.Location() != "/login/code?sent=1" {
					t.Fatalf("resend after expiry: %d %s\n%s", r.Status, r.Location(), r.Body)
				}
				mustContain(t, "after resend", b.Get("/login/code?sent=1"), "A new code was sent.")
				en.clock.Advance(9*time.Minute + 59*time.Second)
				if r := b.SubmitCode(en.lastCode(annPhone)); r.Status != http.StatusSeeOther {
					t.Fatalf("new code just within 10 minutes: %d\n%s", r.Status, r.Body)
				}
			})

			t.Run("burnt after 5 wrong codes", func(t *testing.T) {
				en := newEnv(t, envOptions{mode: mode})
				b := en.browser()
				b.Password(annEmail, annPassword)
				code := en.lastCode(annPhone)
				for i := 1; i <= 4; i++ {
					b.Get("/login/code")
					r := b.SubmitCode(wrong(code))
					want := "Wrong code. " + strconv.Itoa(5-i) + " tries left."
					if i == 4 {
						want = "Wrong code. 1 try left."
					}
					if r.Status != http.StatusBadRequest {
						t.Fatalf("wrong code %d: %d", i, r.Status)
					}
					mustContain(t, "wrong code", r, want)
				}
				r := b.SubmitCode(wrong(code))
				if r.Status != http.StatusForbidden {
					t.Fatalf("fifth wrong code: %d\n%s", r.Status, r.Body)
				}
				mustContain(t, "burnt", r, "Too many wrong codes. Enter your email and password again", `name="password"`)
				if r := b.SubmitCode(code); r.Status != http.StatusGone {
					t.Fatalf("right code after the challenge was burnt: %d\n%s", r.Status, r.Body)
				}
				if n := en.count(`SELECT count(*) FROM audit_log WHERE action = 'login.code_failed' AND remote_addr <> ''`); n != 5 {
					t.Fatalf("%d code failures audited, want 5", n)
				}
				if n := en.count(`SELECT count(*) FROM audit_log WHERE action = 'login.challenge_burnt' AND remote_addr = '198.51.100.7'`); n != 1 {
					t.Fatalf("challenge burnt audited %d times", n)
				}
				// A new password step starts a new challenge.
				b.SignIn(annEmail, annPassword, annPhone)
			})

			t.Run("resend after 30 seconds, 5 codes an hour", func(t *testing.T) {
				en := newEnv(t, envOptions{mode: mode})
				b := en.browser()
				b.AtCode(annEmail, annPassword)
				en.clock.Advance(29 * time.Second)
				r := b.Post("/login/code/resend", nil)
				if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "1" {
					t.Fatalf("resend after 29 s: %d Retry-After %q", r.Status, r.Header.Get("Retry-After"))
				}
				mustContain(t, "early resend", r, "A new code can be sent 30 seconds after the last one. Try again in 1 second.")
				for i := 2; i <= 5; i++ {
					en.clock.Advance(31 * time.Second)
					b.Get("/login/code")
					if r := b.Post("/login/code/resend", nil); r.Status != http.StatusSeeOther {
						t.Fatalf("resend %d: %d\n%s", i, r.Status, r.Body)
					}
				}
				if n := en.codesSent(annPhone); n != 5 {
					t.Fatalf("%d codes sent, want 5", n)
				}
				en.clock.Advance(31 * time.Second)
				b.Get("/login/code")
				r = b.Post("/login/code/resend", nil)
				if r.Status != http.StatusTooManyRequests {
					t.Fatalf("sixth code in an hour: %d\n%s", r.Status, r.Body)
				}
				mustContain(t, "sixth code", r, "5 codes were sent to this account in the last hour.")
				// Starting again with the password does not get round it.
				if r := b.Password(annEmail, annPassword); r.Status != http.StatusTooManyRequests {
					t.Fatalf("new sign-in past the hourly codes: %d", r.Status)
				}
				en.clock.Advance(time.Hour)
				if r := b.Password(annEmail, annPassword); r.Status != http.StatusSeeOther {
					t.Fatalf("an hour later: %d\n%s", r.Status, r.Body)
				}
				b.Get("/login/code")
				if r := b.SubmitCode(en.lastCode(annPhone)); r.Status != http.StatusSeeOther {
					t.Fatalf("newest code: %d\n%s", r.Status, r.Body)
				}
			})
		})
	}
}

// TestThrottles drives each throttle to its limit and past its window.
func TestThrottles(t *testing.T) {
	small := auth.DefaultLimits()
	small.PasswordFailuresPerAccount = 3
	small.PasswordFailuresPerIP = 4
	small.CodeFailuresPerAccount = 3
	small.CodeFailuresPerIP = 4
	small.CodeAttempts = 2
	tests := []struct {
		name string
		// fail makes one failure from browser b (the ip varies by i when perIP).
		fail  func(en *env, b *browser) response
		perIP bool
		limit int
		// blocked is what the throttle stops: the right credentials from b.
		blocked func(en *env, b *browser) response
		message string
	}{
		{
			name:    "password per account",
			fail:    func(en *env, b *browser) response { return b.Password(annEmail, "wrong password here") },
			limit:   small.PasswordFailuresPerAccount,
			blocked: func(en *env, b *browser) response { return b.Password(annEmail, annPassword) },
			message: "Too many failed sign-ins for this account. Try again in 15 minutes.",
		},
		{
			name: "password per address",
			fail: func(en *env, b *browser) response {
				return b.Password("nobody"+b.IP+"@acme.example", "wrong password here")
			},
			perIP:   true,
			limit:   small.PasswordFailuresPerIP,
			blocked: func(en *env, b *browser) response { return b.Password(bobEmail, bobPassword) },
			message: "Too many failed sign-ins from your network.",
		},
		{
			name: "code per account",
			fail: func(en *env, b *browser) response {
				b.AtCode(annEmail, annPassword)
				return b.SubmitCode(wrong(en.lastCode(annPhone)))
			},
			limit: small.CodeFailuresPerAccount,
			blocked: func(en *env, b *browser) response {
				b.AtCode(annEmail, annPassword)
				return b.SubmitCode(en.lastCode(annPhone))
			},
			message: "Too many wrong codes for this account.",
		},
		{
			name: "code per address",
			fail: func(en *env, b *browser) response {
				b.AtCode(bobEmail, bobPassword)
				return b.SubmitCode(wrong(en.lastCode(bobPhone)))
			},
			perIP: true,
			limit: small.CodeFailuresPerIP,
			blocked: func(en *env, b *browser) response {
				b.AtCode(annEmail, annPassword)
				return b.SubmitCode(en.lastCode(annPhone))
			},
			message: "Too many wrong codes from your network.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limits := small
			limits.SendsPerHour = 100
			if tt.perIP {
				// Only the address throttle can trip.
				limits.PasswordFailuresPerAccount, limits.CodeFailuresPerAccount = 100, 100
			}
			en := newEnv(t, envOptions{limits: &limits})
			b := en.browser()
			for i := 0; i < tt.limit; i++ {
				if r := tt.fail(en, b); r.Status == http.StatusTooManyRequests {
					t.Fatalf("throttled after %d failures, limit %d", i, tt.limit)
				}
				en.clock.Advance(time.Second)
			}
			r := tt.blocked(en, b)
			if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
				t.Fatalf("past the limit: %d, Retry-After %q\n%s", r.Status, r.Header.Get("Retry-After"), r.Body)
			}
			mustContain(t, "throttled page", r, "Too many attempts", tt.message)

			other := en.browser()
			other.IP = "192.0.2.99"
			if tt.perIP {
				if r := tt.blocked(en, other); r.Status == http.StatusTooManyRequests {
					t.Fatal("another address is throttled too")
				}
			} else if r := tt.blocked(en, other); r.Status != http.StatusTooManyRequests {
				t.Fatalf("the account is not throttled from another address: %d", r.Status)
			}

			en.clock.Advance(limits.Window)
			r = tt.blocked(en, b)
			if r.Status != http.StatusSeeOther {
				t.Fatalf("after the window: %d\n%s", r.Status, r.Body)
			}
		})
	}
}
