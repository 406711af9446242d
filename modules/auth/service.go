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
	h, err := newHasher(d.Argon2)
	if err != nil {
		return nil, err
	}
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
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
	return s.startChallenge(ctx, u, cl)
}

func (s *Service) startChallenge(ctx context.Context, u user, cl Client) (Pending, error) {
	acct := account(u.Email)
	now := s.now()
	if err := checkLimits(ctx, s.db, now, s.sendLimits(acct)...); err != nil {
		return Pending{}, err
	}
	token := randomToken()
	hash, err := s.send(ctx, u.Phone, token)
	if err != nil {
		return Pending{}, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := replaceChallenge(ctx, tx, token, u.ID, hash, now.Add(s.limits.CodeTTL), now, cl.IP); err != nil {
			return err
		}
		return recordAttempt(ctx, tx, attemptCodeSent, acct, cl.IP, now)
	})
	if err != nil {
		return Pending{}, err
	}
	return Pending{Token: token, Phone: MaskPhone(u.Phone)}, nil
}

// send delivers a code for the challenge token and returns what to store of it
// (nothing when Twilio Verify keeps the code).
func (s *Service) send(ctx context.Context, phone, token string) ([]byte, error) {
	if s.verifier != nil {
		return nil, deliveryError(s.verifier.StartVerification(ctx, phone))
	}
	code := randomCode()
	if err := deliveryError(s.codes.SendCode(ctx, phone, code)); err != nil {
		return nil, err
	}
	return codeHash(s.codeKey, token, code), nil
}

func deliveryError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sms.ErrTooMany):
		return throttled(10*time.Minute, "The text message service refused to send more codes to this number for now.")
	case errors.Is(err, sms.ErrRejected):
		return &errs.Error{Kind: errs.KindInvalid, Message: "The sign-in code could not be sent to the phone number of your account. Ask an administrator to check it.", Err: err}
	}
	return errs.Unavailable(err, "The sign-in code could not be sent just now. Try again in a minute.")
}

// Challenge describes a pending sign-in for the code page.
type Challenge struct {
	Phone string
	// ResendIn is how long until a new code may be sent (0: now).
	ResendIn time.Duration
	// AttemptsLeft counts the codes that may still be tried.
	AttemptsLeft int
}

// Challenge returns the pending sign-in with this token.
func (s *Service) Challenge(ctx context.Context, token string) (Challenge, error) {
	ch, u, err := s.liveChallenge(ctx, token)
	if err != nil {
		return Challenge{}, err
	}
	return Challenge{Phone: MaskPhone(u.Phone), ResendIn: max(0, ch.LastSentAt.Add(s.limits.ResendAfter).Sub(s.now())),
		AttemptsLeft: s.limits.CodeAttempts - ch.Attempts}, nil
}

// liveChallenge finds a challenge that is not past its maximum age, and its user.
func (s *Service) liveChallenge(ctx context.Context, token string) (challenge, user, error) {
	if len(token) != tokenLength {
		return challenge{}, user{}, ErrChallengeGone
	}
	ch, ok, err := challengeByToken(ctx, s.db, token)
	if err != nil {
		return challenge{}, user{}, err
	}
	if !ok {
		return challenge{}, user{}, ErrChallengeGone
	}
	if !s.now().Before(ch.CreatedAt.Add(s.limits.ChallengeMaxAge)) {
		if err := deleteChallenge(ctx, s.db, ch.ID); err != nil {
			return challenge{}, user{}, err
		}
		return challenge{}, user{}, ErrChallengeGone
	}
	u, ok, err := userByID(ctx, s.db, ch.UserID)
	if err != nil {
		return challenge{}, user{}, err
	}
	if !ok {
		return challenge{}, user{}, ErrChallengeGone
	}
	return ch, u, nil
}

// Resend sends a new code for a pending sign-in: 30 s after the last one at the
// earliest, and at most SendsPerHour an hour.
func (s *Service) Resend(ctx context.Context, token string, cl Client) error {
	ch, u, err := s.liveChallenge(ctx, token)
	if err != nil {
		return err
	}
	now := s.now()
	if wait := ch.LastSentAt.Add(s.limits.ResendAfter).Sub(now); wait > 0 {
		return throttled(wait, "A new code can be sent %s after the last one.", humanDuration(s.limits.ResendAfter))
	}
	acct := account(u.Email)
	if err := checkLimits(ctx, s.db, now, s.sendLimits(acct)...); err != nil {
		return err
	}
	// Claim the resend first, so two quick clicks send one code.
	res := s.db.WithContext(ctx).Exec(`UPDATE login_challenges SET last_sent_at = ? WHERE id = ? AND last_sent_at = ?`, now, ch.ID, ch.LastSentAt)
	if res.Error != nil {
		return fmt.Errorf("auth: claim resend: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return throttled(s.limits.ResendAfter, "A new code was just sent.")
	}
	hash, err := s.send(ctx, u.Phone, token)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := resentChallenge(ctx, tx, ch.ID, hash, now.Add(s.limits.CodeTTL), now); err != nil {
			return err
		}
		return recordAttempt(ctx, tx, attemptCodeSent, acct, cl.IP, now)
	})
}

// codeDigits is the length of a login code.
const codeDigits = 6

// normalizeCode accepts a code typed with spaces or a dash ("123 456").
func normalizeCode(code string) (string, error) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(code))
	if len(code) != codeDigits || strings.Trim(code, "0123456789") != "" {
		return "", errs.Invalid("code", "Enter the %d-digit code from the text message.", codeDigits)
	}
	return code, nil
}

// SignedIn is an established session.
type SignedIn struct {
	// Token goes in the session cookie; only its hash is stored.
	Token  string
	UserID int64
}

// VerifyCode completes a sign-in: a right code ends the challenge, ends the session
// the browser had (previousSession, may be empty) and starts a new one. A wrong code
// counts against the challenge, which is burnt at the Limits' CodeAttempts.
func (s *Service) VerifyCode(ctx context.Context, token, code, previousSession string, cl Client) (SignedIn, error) {
	code, err := normalizeCode(code)
	if err != nil {
		return SignedIn{}, err
	}
	ch, u, err := s.liveChallenge(ctx, token)
	if err != nil {
		return SignedIn{}, err
	}
	acct := account(u.Email)
	now := s.now()
	if err := checkLimits(ctx, s.db, now, s.codeLimits(acct, cl.IP)...); err != nil {
		return SignedIn{}, err
	}
	if !now.Before(ch.CodeExpiresAt) {
		return SignedIn{}, ErrCodeExpired
	}
	right, burnt, err := s.checkCode(ctx, ch, u, token, code)
	if err != nil {
		return SignedIn{}, err
	}
	if !right {
		return SignedIn{}, s.wrongCode(ctx, ch, u, cl, burnt)
	}
	var out SignedIn
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`DELETE FROM login_challenges WHERE id = ?`, ch.ID)
		if res.Error != nil {
			return fmt.Errorf("auth: end challenge: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrChallengeGone
		}
		if out, err = s.openSession(ctx, tx, u.ID, previousSession, cl, nil); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actorUser(u.ID), Action: "login.succeeded", Target: u.Email, RemoteAddr: cl.IP})
	})
	if err != nil {
		return SignedIn{}, err
	}
	return out, nil
}

// openSession ends the session the browser had (previousSession, may be empty) and
// starts a new one for the user: every way of signing in rotates the session alike.
// ssoTenant (nil for none) confines the new session to a tenant.
func (s *Service) openSession(ctx context.Context, tx *gorm.DB, userID int64, previousSession string, cl Client, ssoTenant *int64) (SignedIn, error) {
	if previousSession != "" {
		if err := tx.Exec(`DELETE FROM sessions WHERE token_hash = ?`, tokenHash(previousSession)).Error; err != nil {
			return SignedIn{}, fmt.Errorf("auth: end previous session: %w", err)
		}
	}
	now := s.now()
	out := SignedIn{Token: randomToken(), UserID: userID}
	if _, err := createSession(ctx, tx, out.Token, userID, now, now.Add(s.session.AbsoluteTimeout), cl.IP, truncate(cl.UserAgent, 512), ssoTenant); err != nil {
		return SignedIn{}, err
	}
	return out, nil
}

// checkCode compares code with the challenge's; burnt reports that the provider
// refuses further checks.
func (s *Service) checkCode(ctx context.Context, ch challenge, u user, token, code string) (right, burnt bool, err error) {
	if s.verifier == nil {
		if ch.CodeHash == nil {
			return false, false, ErrChallengeGone
		}
		return hmacEqual(codeHash(s.codeKey, token, code), ch.CodeHash), false, nil
	}
	ok, err := s.verifier.CheckVerification(ctx, u.Phone, code)
	switch {
	case errors.Is(err, sms.ErrNoVerification):
		return false, false, ErrCodeExpired
	case errors.Is(err, sms.ErrTooMany):
		return false, true, nil
	case err != nil:
		return false, false, errs.Unavailable(err, "The code could not be checked just now. Try again in a minute.")
	}
	return ok, false, nil
}

func (s *Service) wrongCode(ctx context.Context, ch challenge, u user, cl Client, burnt bool) error {
	now := s.now()
	var left int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := countFailedCode(ctx, tx, ch.ID)
		if err != nil {
			return err
		}
		if err := recordAttempt(ctx, tx, attemptCodeFailed, account(u.Email), cl.IP, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Entry{Actor: actorUser(u.ID), Action: "login.code_failed", Target: u.Email, RemoteAddr: cl.IP,
			Details: map[string]any{"attempt": n}}); err != nil {
			return err
		}
		left = s.limits.CodeAttempts - n
		if left > 0 && !burnt {
			return nil
		}
		if err := deleteChallenge(ctx, tx, ch.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actorUser(u.ID), Action: "login.challenge_burnt", Target: u.Email, RemoteAddr: cl.IP})
	})
	switch {
	case err != nil:
		return err
	case left <= 0 || burnt:
		return ErrChallengeBurnt
	case left == 1:
		return errs.Invalid("code", "Wrong code. 1 try left.")
	}
	return errs.Invalid("code", "Wrong code. %d tries left.", left)
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
