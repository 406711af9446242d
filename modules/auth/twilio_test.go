package auth_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/sms"
	"github.com/srgplatform/srg/modules/auth/twiliofake"
)

var testConfig = config.Auth{Argon2: fastArgon2, Session: config.Session{IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 12 * time.Hour}}

type noCodes struct{}

func (noCodes) SendCode(context.Context, string, string) error { return nil }

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestTwilioFailures makes the fake Twilio fail the way Twilio does, and checks what a
// person is told.
func TestTwilioFailures(t *testing.T) {
	tests := []struct {
		name         string
		mode         string
		status, code int
		message      string
		wantStatus   int
		wantBody     string
	}{
		{"outage", viaMessages, 500, 20500, "Internal Server Error", http.StatusServiceUnavailable, "could not be sent just now"},
		{"invalid number", viaMessages, 400, 21211, "Invalid 'To' Phone Number", http.StatusBadRequest, "Ask an administrator to check it"},
		{"bad credentials", viaMessages, 401, 20003, "Authenticate", http.StatusServiceUnavailable, "could not be sent just now"},
		{"verify send limit", viaVerify, 429, 60203, "Max send attempts reached", http.StatusTooManyRequests, "refused to send more codes"},
		{"verify landline", viaVerify, 400, 60205, "SMS is not supported by landline phone number", http.StatusBadRequest, "could not be sent to the phone number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			en := newEnv(t, envOptions{mode: tt.mode})
			en.twilio.FailNext(tt.status, tt.code, tt.message)
			r := en.browser().Password(annEmail, annPassword)
			if r.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d\n%s", r.Status, tt.wantStatus, r.Body)
			}
			mustContain(t, tt.name, r, tt.wantBody)
			if n := en.count(`SELECT count(*) FROM login_challenges`); n != 0 {
				t.Fatal("a challenge was made for a code that was not sent")
			}
			// The next try goes through.
			en.browser().SignIn(annEmail, annPassword, annPhone)
		})
	}

	checks := []struct {
		name         string
		status, code int
		message      string
		wantStatus   int
		want         string
	}{
		{"verify check outage", 503, 20503, "Service Unavailable", http.StatusServiceUnavailable, "The code could not be checked just now"},
		{"verify code expired at Twilio", 404, 20404, "The requested resource /Services/VA.../VerificationCheck was not found", http.StatusBadRequest, "This code has expired. Ask for a new one."},
	}
	for _, tt := range checks {
		t.Run(tt.name, func(t *testing.T) {
			en := newEnv(t, envOptions{mode: viaVerify})
			b := en.browser()
			b.AtCode(annEmail, annPassword)
			en.twilio.FailNext(tt.status, tt.code, tt.message)
			r := b.SubmitCode(en.lastCode(annPhone))
			if r.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d\n%s", r.Status, tt.wantStatus, r.Body)
			}
			mustContain(t, tt.name, r, tt.want)
			if n := en.count(`SELECT attempts FROM login_challenges`); n != 0 {
				t.Fatalf("Twilio's failure counted as %d wrong codes", n)
			}
			b.Get("/login/code")
			if r := b.SubmitCode(en.lastCode(annPhone)); r.Status != http.StatusSeeOther {
				t.Fatalf("the code once Twilio answers again: %d\n%s", r.Status, r.Body)
			}
		})
	}
}

// TestTwilioClient calls the fake through the production client directly.
func TestTwilioClient(t *testing.T) {
	fake := twiliofake.New()
	srv := httptestServer(t, fake)
	ctx := context.Background()
	base := config.Twilio{AccountSID: twiliofake.AccountSID, AuthToken: twiliofake.AuthToken, BaseURL: srv, Timeout: 5 * time.Second}

	msg := base
	msg.From = twiliofake.From
	client, err := sms.NewTwilio(msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.SendCode(ctx, annPhone, "123456"); err != nil {
		t.Fatal(err)
	}
	got := fake.Messages()
	if len(got) != 1 || got[0].To != annPhone || got[0].From != twiliofake.From || got[0].Body != sms.Text("123456") {
		t.Fatalf("messages %+v", got)
	}
	if err := client.SendCode(ctx, "555", "123456"); err == nil || !strings.Contains(err.Error(), "21211") {
		t.Fatalf("invalid number: %v", err)
	}
	svc := msg
	svc.From = "MG00000000000000000000000000000001"
	if c, _ := sms.NewTwilio(svc); c.SendCode(ctx, annPhone, "654321") != nil {
		t.Fatal("a Messaging Service SID as sender was refused")
	}

	ver := base
	ver.VerifyServiceSID = twiliofake.VerifyServiceSID
	vc, _ := sms.NewTwilio(ver)
	if !vc.UsesVerify() {
		t.Fatal("verify client does not use Verify")
	}
	if err := vc.StartVerification(ctx, bobPhone); err != nil {
		t.Fatal(err)
	}
	code, _ := fake.LastCode(bobPhone)
	if ok, err := vc.CheckVerification(ctx, bobPhone, wrong(code)); ok || err != nil {
		t.Fatalf("wrong code: %v %v", ok, err)
	}
	if ok, err := vc.CheckVerification(ctx, bobPhone, code); !ok || err != nil {
		t.Fatalf("right code: %v %v", ok, err)
	}
	if _, err := vc.CheckVerification(ctx, bobPhone, code); err == nil || !strings.Contains(err.Error(), sms.ErrNoVerification.Error()) {
		t.Fatalf("check after approval: %v", err)
	}

	wrongToken := msg
	wrongToken.AuthToken = "ffffffffffffffffffffffffffffffff"
	wc, _ := sms.NewTwilio(wrongToken)
	if err := wc.SendCode(ctx, annPhone, "123456"); err == nil || !strings.Contains(err.Error(), "20003") {
		t.Fatalf("wrong credentials: %v", err)
	}
}
