// Package sms delivers login codes by text message through Twilio (twilio-go): either
// Twilio Verify, which makes, sends and checks the code itself, or the Messages API
// with a code SRG made. In development without Twilio, DevLog writes codes to the log.
package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	twclient "github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	verify "github.com/twilio/twilio-go/rest/verify/v2"

	"github.com/srgplatform/srg/app/config"
)

// Errors callers act on; others are outages.
var (
	// ErrRejected: Twilio refused the number or the request (not worth retrying).
	ErrRejected = errors.New("sms: rejected by Twilio")
	// ErrTooMany: Twilio's own rate limits were hit.
	ErrTooMany = errors.New("sms: too many requests to Twilio")
	// ErrNoVerification: the Verify verification expired, was approved or was burnt.
	ErrNoVerification = errors.New("sms: no pending verification")
)

// Twilio sends codes through Twilio.
type Twilio struct {
	// The two services SRG calls, not twilio.RestClient: that one holds every
	// Twilio product's client, and linking them all made a third of srg's binary
	// (about 20 of its 70 MB, most of it mapped into memory at start).
	messages  *openapi.ApiService
	verify    *verify.ApiService
	from      string
	verifySID string
}

// NewTwilio makes the client. A base URL in cfg replaces https://<product>.twilio.com
// on every request (a fake in tests, or an egress proxy); the calls are the same.
func NewTwilio(cfg config.Twilio) (*Twilio, error) {
	transport := http.DefaultTransport
	if cfg.BaseURL != "" {
		base, err := url.Parse(cfg.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("sms: auth.twilio.base_url: %w", err)
		}
		transport = rebase{base: base, next: transport}
	}
	c := &twclient.Client{
		Credentials: twclient.NewCredentials(cfg.AccountSID, cfg.AuthToken),
		HTTPClient: &http.Client{
			Transport: transport,
			Timeout:   cfg.Timeout,
			// Twilio's own default: never follow redirects.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(cfg.AccountSID)
	return &Twilio{
		messages:  openapi.NewApiServiceWithClient(c),
		verify:    verify.NewApiServiceWithClient(c),
		from:      cfg.From,
		verifySID: cfg.VerifyServiceSID,
	}, nil
}

// UsesVerify reports whether Twilio Verify makes and checks the codes.
func (t *Twilio) UsesVerify() bool { return t.verifySID != "" }

// SendCode sends code to phone with the Messages API.
func (t *Twilio) SendCode(_ context.Context, phone, code string) error {
	p := &openapi.CreateMessageParams{}
	p.SetTo(phone)
	if strings.HasPrefix(t.from, "MG") {
		p.SetMessagingServiceSid(t.from)
	} else {
		p.SetFrom(t.from)
	}
	p.SetBody(Text(code))
	if _, err := t.messages.CreateMessage(p); err != nil {
		return classify("send message", err)
	}
	return nil
}

// StartVerification asks Twilio Verify to send a code to phone by SMS.
func (t *Twilio) StartVerification(_ context.Context, phone string) error {
	p := &verify.CreateVerificationParams{}
	p.SetTo(phone)
	p.SetChannel("sms")
	if _, err := t.verify.CreateVerification(t.verifySID, p); err != nil {
		return classify("start verification", err)
	}
	return nil
}

// CheckVerification asks Twilio Verify whether code is the one it sent to phone.
func (t *Twilio) CheckVerification(_ context.Context, phone, code string) (bool, error) {
	p := &verify.CreateVerificationCheckParams{}
	p.SetTo(phone)
	p.SetCode(code)
	res, err := t.verify.CreateVerificationCheck(t.verifySID, p)
	if err != nil {
		return false, classify("check verification", err)
	}
	return res.Status != nil && *res.Status == "approved", nil
}

// Text is the message that carries a code SRG made.
func Text(code string) string {
	return "Your SRG login code is " + code + ". It expires in 10 minutes."
}

// Twilio error codes (https://www.twilio.com/docs/api/errors) mapped to what callers do.
var (
	tooManyCodes  = map[int]bool{20429: true, 60203: true, 60202: true, 14107: true}
	notFoundCodes = map[int]bool{20404: true}
)

func classify(op string, err error) error {
	var te *twclient.TwilioRestError
	if errors.As(err, &te) {
		switch {
		case notFoundCodes[te.Code]:
			return fmt.Errorf("sms: %s: %w (Twilio %d)", op, ErrNoVerification, te.Code)
		case tooManyCodes[te.Code] || te.Status == http.StatusTooManyRequests:
			return fmt.Errorf("sms: %s: %w (Twilio %d: %s)", op, ErrTooMany, te.Code, te.Message)
		case te.Status >= 400 && te.Status < 500 && te.Status != http.StatusUnauthorized && te.Status != http.StatusForbidden:
			return fmt.Errorf("sms: %s: %w (Twilio %d: %s)", op, ErrRejected, te.Code, te.Message)
		}
		return fmt.Errorf("sms: %s: Twilio %d (HTTP %d): %s", op, te.Code, te.Status, te.Message)
	}
	return fmt.Errorf("sms: %s: %w", op, err)
}

// rebase sends requests for *.twilio.com to another base URL.
type rebase struct {
	base *url.URL
	next http.RoundTripper
}

func (r rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Hostname(), ".twilio.com") {
		return r.next.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme = r.base.Scheme
	out.URL.Host = r.base.Host
	out.Host = r.base.Host
	return r.next.RoundTrip(out)
}

// DevLog "sends" codes to the server log; for development without Twilio only.
type DevLog struct {
	Log *slog.Logger
}

// SendCode writes the code to the log, marked as development only.
func (d DevLog) SendCode(_ context.Context, phone, code string) error {
	d.Log.Warn("DEVELOPMENT ONLY: SMS code for "+phone+": "+code+" (Twilio is not configured; production refuses to start like this)",
		"phone", phone, "code", code)
	return nil
}
