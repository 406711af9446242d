package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/srgplatform/srg/modules/auth"
)

// newPhone is the number Ann moves her sign-in codes to.
const (
	newPhone       = "+15555550199"
	newPhoneMasked = "••••••••0199"
)

func phoneForm(current, phone string) url.Values {
	return url.Values{"current": {current}, "phone": {phone}}
}

// startPhoneChange asks for the change to newPhone and opens the code form.
func startPhoneChange(t *testing.T, b *browser) {
	t.Helper()
	b.Get("/account")
	r := b.Post("/account/phone", phoneForm(annPassword, " "+newPhone+" "))
	if r.Status != http.StatusSeeOther || r.Location() != "/account?done=phone-sent" {
		t.Fatalf("start the phone change: %d %s\n%s", r.Status, r.Location(), r.Body)
	}
	mustContain(t, "code form", b.Get(r.Location()), "We texted a code to the new number.", newPhoneMasked, `action="/account/phone/code"`, "5 tries left")
}

// pendingPhoneChange signs Ann in, starts a change to newPhone and returns her browser
// and the code texted to the new number.
func pendingPhoneChange(t *testing.T, mode string) (*env, *browser, string) {
	t.Helper()
	en := newEnv(t, envOptions{mode: mode})
	b := en.browser()
	b.SignIn(annEmail, annPassword, annPhone)
	startPhoneChange(t, b)
	return en, b, en.lastCode(newPhone)
}

// TestChangeOwnPhone changes Ann's sign-in phone through the account page, with the
// code texted to the new number by each of Twilio's ways.
func TestChangeOwnPhone(t *testing.T) {
	for _, mode := range []string{viaMessages, viaVerify} {
		t.Run(mode, func(t *testing.T) {
			en := newEnv(t, envOptions{mode: mode})
			b, elsewhere := en.browser(), en.browser()
			b.SignIn(annEmail, annPassword, annPhone)
			en.clock.Advance(31 * time.Second)
			elsewhere.SignIn(annEmail, annPassword, annPhone)
			mustContain(t, "account page", b.Get("/account"), annPhone[1:], `action="/account/phone"`, `name="phone"`)

			refused := []struct {
				name, current, phone string
				status               int
				want                 string
			}{
				{"bad number", annPassword, "555-0100", http.StatusBadRequest, "Enter the new number in international form"},
				{"number without its country", annPassword, "5555550199", http.StatusBadRequest, "Enter the new number in international form"},
				{"no number", annPassword, "", http.StatusBadRequest, "Enter the new number in international form"},
				{"the same number", annPassword, annPhone, http.StatusBadRequest, "is already the phone your sign-in codes go to"},
				{"no password", "", newPhone, http.StatusBadRequest, "Enter your current password."},
				{"wrong password", "not my password", newPhone, http.StatusBadRequest, "The current password is wrong."},
			}
			for _, tt := range refused {
				t.Run(tt.name, func(t *testing.T) {
					r := b.Post("/account/phone", phoneForm(tt.current, tt.phone))
					if r.Status != tt.status {
						t.Fatalf("status %d, want %d\n%s", r.Status, tt.status, r.Body)
					}
					mustContain(t, tt.name, r, tt.want, `aria-invalid="true"`)
				})
			}
			if n := len(en.twilio.Codes(newPhone)); n != 0 {
				t.Fatalf("%d codes texted to the new number for refused changes", n)
			}
			if n := en.count(`SELECT count(*) FROM audit_log WHERE action = 'phone.change_failed' AND target = ?`, annEmail); n != 1 {
				t.Fatalf("wrong password audited %d times", n)
			}

			startPhoneChange(t, b)
			code := en.lastCode(newPhone)
			r := b.Post("/account/phone/code", url.Values{"code": {wrong(code)}})
			if r.Status != http.StatusBadRequest {
				t.Fatalf("wrong code: %d\n%s", r.Status, r.Body)
			}
			mustContain(t, "wrong code", r, "Wrong code. 4 tries left.", "4 tries left for this change")
			if n := en.count(`SELECT count(*) FROM users WHERE email = ? AND phone = ?`, annEmail, annPhone); n != 1 {
				t.Fatal("the phone changed before its code came back")
			}
			r = b.Post("/account/phone/code", url.Values{"code": {code[:3] + " " + code[3:]}})
			if r.Status != http.StatusOK {
				t.Fatalf("right code: %d\n%s", r.Status, r.Body)
			}
			mustContain(t, "changed", r, "Your sign-in codes now go to "+newPhoneMasked+". Your sessions stay signed in.", newPhone[1:], `action="/account/phone"`)
			if n := en.count(`SELECT count(*) FROM users WHERE email = ? AND phone = ?`, annEmail, newPhone); n != 1 {
				t.Fatal("the phone did not change")
			}
			if n := en.count(`SELECT count(*) FROM audit_log WHERE action = 'phone.changed' AND target = ? AND actor = ?
				AND details->>'to' = ? AND remote_addr = '198.51.100.7'`, annEmail, "user:"+strconv.FormatInt(en.users[annEmail], 10), newPhoneMasked); n != 1 {
				t.Fatalf("phone.changed audited %d times", n)
			}
			if n := en.count(`SELECT count(*) FROM login_challenges`); n != 0 {
				t.Fatalf("%d challenges left", n)
			}
			if r := elsewhere.Get("/account"); r.Status != http.StatusOK {
				t.Fatalf("the other session ended: %d", r.Status)
			}
			en.clock.Advance(31 * time.Second)
			en.browser().SignIn(annEmail, annPassword, newPhone)
		})
	}
}

func TestPhoneChangeCodeRules(t *testing.T) {
	for _, mode := range []string{viaMessages, viaVerify} {
		t.Run(mode, func(t *testing.T) {
			t.Run("burnt after 5 wrong codes", func(t *testing.T) {
				en, b, code := pendingPhoneChange(t, mode)
				for i := 1; i <= 4; i++ {
					if r := b.Post("/account/phone/code", url.Values{"code": {wrong(code)}}); r.Status != http.StatusBadRequest {
						t.Fatalf("wrong code %d: %d\n%s", i, r.Status, r.Body)
					}
				}
				r := b.Post("/account/phone/code", url.Values{"code": {wrong(code)}})
				if r.Status != http.StatusForbidden {
					t.Fatalf("fifth wrong code: %d\n%s", r.Status, r.Body)
				}
				mustContain(t, "burnt", r, "Too many wrong codes. Enter your password and the new number again", `action="/account/phone"`)
				if r := b.Post("/account/phone/code", url.Values{"code": {code}}); r.Status != http.StatusGone {
					t.Fatalf("right code after the change was burnt: %d\n%s", r.Status, r.Body)
				}
				if n := en.count(`SELECT count(*) FROM users WHERE email = ? AND phone = ?`, annEmail, annPhone); n != 1 {
					t.Fatal("a burnt change changed the phone")
				}
				if n := en.count(`SELECT count(*) FROM audit_log WHERE action = 'phone.code_failed'`); n != 5 {
					t.Fatalf("%d code failures audited, want 5", n)
				}
				if n := en.count(`SELECT count(*) FROM audit_log WHERE action = 'phone.challenge_burnt'`); n != 1 {
					t.Fatalf("burnt change audited %d times", n)
				}
				// The person is still signed in, and may start again.
				en.clock.Advance(31 * time.Second)
				startPhoneChange(t, b)
			})

			t.Run("valid 10 minutes, then a new code", func(t *testing.T) {
				en, b, code := pendingPhoneChange(t, mode)
				if r := b.Post("/account/phone/resend", nil); r.Status != http.StatusTooManyRequests {
					t.Fatalf("resend at once: %d\n%s", r.Status, r.Body)
				}
				en.clock.Advance(10 * time.Minute)
				r := b.Post("/account/phone/code", url.Values{"code": {code}})
				if r.Status != http.StatusBadRequest {
					t.Fatalf("expired code: %d\n%s", r.Status, r.Body)
				}
				mustContain(t, "expired", r, "This code has expired. Ask for a new one.")
				if r := b.Post("/account/phone/resend", nil); r.Status != http.StatusSeeOther || r.Location() != "/account?done=phone-resent" {
					t.Fatalf("resend: %d %s\n%s", r.Status, r.Location(), r.Body)
				}
				mustContain(t, "resent", b.Get("/account?done=phone-resent"), "We texted a new code to the new number.")
				if r := b.Post("/account/phone/code", url.Values{"code": {en.lastCode(newPhone)}}); r.Status != http.StatusOK {
					t.Fatalf("new code: %d\n%s", r.Status, r.Body)
				}
				if n := en.count(`SELECT count(*) FROM users WHERE email = ? AND phone = ?`, annEmail, newPhone); n != 1 {
					t.Fatal("the phone did not change")
				}
			})

			t.Run("cancelled", func(t *testing.T) {
				en, b, code := pendingPhoneChange(t, mode)
				if r := b.Post("/account/phone/cancel", nil); r.Status != http.StatusSeeOther || r.Location() != "/account?done=phone-cancelled" {
					t.Fatalf("cancel: %d %s", r.Status, r.Location())
				}
				mustContain(t, "cancelled", b.Get("/account?done=phone-cancelled"), "Phone change cancelled", `action="/account/phone"`)
				if r := b.Post("/account/phone/code", url.Values{"code": {code}}); r.Status != http.StatusGone {
					t.Fatalf("code after cancelling: %d\n%s", r.Status, r.Body)
				}
				if n := en.count(`SELECT count(*) FROM login_challenges`); n != 0 {
					t.Fatalf("%d challenges left after cancelling", n)
				}
			})
		})
	}
}

// TestPhoneChangeAndSignInChallengesStayApart checks that a phone change's token
// neither signs anyone in nor serves another user, and that a sign-in's token changes
// no phone.
func TestPhoneChangeAndSignInChallengesStayApart(t *testing.T) {
	en := newEnv(t, envOptions{})
	ctx := context.Background()
	svc := en.mod.Service()
	ann, bob := en.users[annEmail], en.users[bobEmail]
	cl := auth.Client{IP: "198.51.100.9"}
	change, err := svc.StartPhoneChange(ctx, ann, annPassword, newPhone, cl)
	if err != nil {
		t.Fatal(err)
	}
	phoneCode := en.lastCode(newPhone)
	signIn, err := svc.SignIn(ctx, annEmail, annPassword, cl)
	if err != nil {
		t.Fatal(err)
	}
	signInCode := en.lastCode(annPhone)
	tests := []struct {
		name string
		try  func() error
		want error
	}{
		{"phone token signs nobody in", func() error {
			_, err := svc.VerifyCode(ctx, change.Token, phoneCode, "", cl)
			return err
		}, auth.ErrChallengeGone},
		{"sign-in token changes no phone", func() error {
			_, err := svc.ConfirmPhone(ctx, ann, signIn.Token, signInCode, cl)
			return err
		}, auth.ErrPhoneChangeGone},
		{"another user's phone change", func() error {
			_, err := svc.ConfirmPhone(ctx, bob, change.Token, phoneCode, cl)
			return err
		}, auth.ErrPhoneChangeGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.try(); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	// Both challenges are still there for their own use.
	if _, err := svc.ConfirmPhone(ctx, ann, change.Token, phoneCode, cl); err != nil {
		t.Fatalf("the phone change itself: %v", err)
	}
	if _, err := svc.VerifyCode(ctx, signIn.Token, signInCode, "", cl); err != nil {
		t.Fatalf("the sign-in itself: %v", err)
	}
}
