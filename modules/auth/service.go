package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/sms"
)

// CodeSender delivers a code SRG made by text message (Twilio's Messages API; in
// development without Twilio, the server log).
type CodeSender interface {
	SendCode(ctx context.Context, phone, code string) error
}

// Verifier is Twilio Verify: it makes, sends and checks the code itself. Both report
// app/sms's ErrRejected, ErrTooMany and ErrNoVerification.
type Verifier interface {
	StartVerification(ctx context.Context, phone string) error
	CheckVerification(ctx context.Context, phone, code string) (bool, error)
}

// Errors of the sign-in steps, shown as they are.
var (
	ErrWrongCredentials = &errs.Error{Kind: errs.KindInvalid, Message: "Wrong email or password."}
	ErrNoPhone          = &errs.Error{Kind: errs.KindForbidden, Message: "Your account has no phone number to send the sign-in code to. Ask an administrator of your workspace to add one."}
	ErrChallengeGone    = &errs.Error{Kind: errs.KindNotFound, Message: "Your sign-in expired or was cancelled. Enter your email and password again."}
	ErrChallengeBurnt   = &errs.Error{Kind: errs.KindForbidden, Message: "Too many wrong codes. Enter your email and password again to get a new one."}
	ErrCodeExpired      = &errs.Error{Kind: errs.KindInvalid, Field: "code", Message: "This code has expired. Ask for a new one."}
	// ErrPhoneChangeGone and ErrPhoneChangeBurnt end a phone change: it starts again.
	ErrPhoneChangeGone  = &errs.Error{Kind: errs.KindNotFound, Message: "Your phone change expired or was cancelled. Enter your password and the new number again."}
	ErrPhoneChangeBurnt = &errs.Error{Kind: errs.KindForbidden, Message: "Too many wrong codes. Enter your password and the new number again to get a new one."}
)

// Client is who sends a request: its address and browser.
type Client struct {
	IP        string
	UserAgent string
}

// ServiceDeps are what the service needs.
type ServiceDeps struct {
	DB      *gorm.DB
	Argon2  config.Argon2
	Session config.Session
	// Exactly one of Codes and Verifier is set.
	Codes    CodeSender
	Verifier Verifier
	// CodeKey keys the HMAC of stored codes (32 bytes derived from the secrets key).
	CodeKey []byte
	Limits  Limits
	Now     func() time.Time
	Log     *slog.Logger
}

// Service signs people in and out and manages API tokens. It never imports echo.
type Service struct {
	db       *gorm.DB
	hasher   *hasher
	session  config.Session
	codes    CodeSender
	verifier Verifier
	codeKey  []byte
	limits   Limits
	now      func() time.Time
	log      *slog.Logger
}

// NewService builds the service.
func NewService(d ServiceDeps) (*Service, error) {
	if (d.Codes == nil) == (d.Verifier == nil) {
		return nil, errors.New("auth: exactly one of a code sender and a verifier is needed")
	}
	if len(d.CodeKey) < 32 {
		return nil, errors.New("auth: the code key must have 32 bytes")
	}
	h := newHasher(d.Argon2)
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return &Service{db: d.DB, hasher: h, session: d.Session, codes: d.Codes, verifier: d.Verifier,
		codeKey: d.CodeKey, limits: d.Limits, now: now, log: d.Log}, nil
}

// MaxEmailLength is the longest address accepted (RFC 5321's path limit).
const MaxEmailLength = 254

// account is the throttling key of an email: lower case, as typed.
func account(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func validEmail(email string) error {
	switch {
	case email == "":
		return errs.Invalid("email", "Enter your email address.")
	case len(email) > MaxEmailLength:
		return errs.Invalid("email", "The email address is too long (at most %d characters).", MaxEmailLength)
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return errs.Invalid("email", "%q is not an email address.", email)
	}
	return nil
}

// Pending is a sign-in waiting for its code.
type Pending struct {
	// Token identifies the challenge (kept in a cookie; only its hash is stored).
	Token string
	// Phone is the number the code went to, masked.
	Phone string
}

// SignIn checks an email and password and sends the code. Unknown emails and wrong
// passwords get the same error after the same work.
func (s *Service) SignIn(ctx context.Context, email, password string, cl Client) (Pending, error) {
	email = strings.TrimSpace(email)
	if err := validEmail(email); err != nil {
		return Pending{}, err
	}
	switch {
	case password == "":
		return Pending{}, errs.Invalid("password", "Enter your password.")
	case len(password) > MaxPasswordLength*4 || len([]rune(password)) > MaxPasswordLength:
		return Pending{}, errs.Invalid("password", "The password is too long (at most %d characters).", MaxPasswordLength)
	}
	acct := account(email)
	now := s.now()
	if err := checkLimits(ctx, s.db, now, s.passwordLimits(acct, cl.IP)...); err != nil {
		return Pending{}, err
	}
	u, found, err := userByEmail(ctx, s.db, email)
	if err != nil {
		return Pending{}, err
	}
	hash := ""
	if found {
		hash = u.PasswordHash
	}
	ok, stale, err := s.hasher.check(password, hash)
	if err != nil {
		return Pending{}, err
	}
	if !ok {
		err := s.accountTx(ctx, func(tx *gorm.DB) error {
			if err := recordAttempt(ctx, tx, attemptPasswordFailed, acct, cl.IP, now); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Entry{Actor: "anonymous", Action: "login.password_failed", Target: acct,
				RemoteAddr: cl.IP, Details: map[string]any{"known_user": found}})
		})
		if err != nil {
			return Pending{}, err
		}
		return Pending{}, ErrWrongCredentials
	}
	if stale {
		if h, err := s.hasher.hash(password); err == nil {
			if err := setPasswordHash(ctx, s.db, u.ID, h); err != nil {
				s.log.Warn("password hash not upgraded", "user_id", u.ID, "err", err)
			}
		}
	}
	if u.Phone == "" {
		return Pending{}, ErrNoPhone
	}
	return s.startChallenge(ctx, u, signInPurpose, nil, cl)
}

// send delivers a code for the challenge token and returns what to store of it
// (nothing when Twilio Verify keeps the code).
func (s *Service) send(ctx context.Context, phone, token string, p purpose) ([]byte, error) {
	if s.verifier != nil {
		return nil, deliveryError(s.verifier.StartVerification(ctx, phone), phone, p)
	}
	code := randomCode()
	if err := deliveryError(s.codes.SendCode(ctx, phone, code), phone, p); err != nil {
		return nil, err
	}
	return codeHash(s.codeKey, token, code), nil
}

func deliveryError(err error, phone string, p purpose) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sms.ErrTooMany):
		return throttled(10*time.Minute, "The text message service refused to send more codes to this number for now.")
	case errors.Is(err, sms.ErrRejected):
		shown := p.rejected(phone)
		shown.Err = err
		return shown
	}
	return errs.Unavailable(err, "The sign-in code could not be sent just now. Try again in a minute.")
}

// accountTx runs fn in a transaction on a person's account: signing in and out and
// changing a password belong to no tenant, and neither do their audit entries, whose
// rows (tenant_id NULL) only the system scope may write; a transaction's scope is
// fixed when it begins. fn touches only the tables of accounts and the audit log.
func (s *Service) accountTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.db.WithContext(db.WithSystem(ctx)).Transaction(fn)
}

func actorUser(id int64) string { return fmt.Sprintf("user:%d", id) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// MaskPhone shows the last digits of a number: +1 •••• •• 0100.
func MaskPhone(phone string) string {
	if len(phone) <= 4 {
		return phone
	}
	return strings.Repeat("•", len(phone)-4) + phone[len(phone)-4:]
}
