package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/sms"
)

// purpose is what a challenge's code proves: that the person signing in holds their
// phone, or that the person changing their phone holds the new one. Both run on the
// same rules (expiry, attempts, resends, throttles); they differ in what ends them and
// in their words.
type purpose struct {
	// name is login_challenges.purpose; audit prefixes the audit actions.
	name, audit string
	// gone and burnt are the errors of a missing and of a burnt challenge.
	gone, burnt error
	// rejected is why the provider refused to text the number.
	rejected func(phone string) *errs.Error
}

var (
	signInPurpose = purpose{name: "login", audit: "login", gone: ErrChallengeGone, burnt: ErrChallengeBurnt,
		rejected: func(string) *errs.Error {
			return &errs.Error{Kind: errs.KindInvalid, Message: "The sign-in code could not be sent to the phone number of your account. Ask an administrator to check it."}
		}}
	phonePurpose = purpose{name: "phone", audit: "phone", gone: ErrPhoneChangeGone, burnt: ErrPhoneChangeBurnt,
		rejected: func(phone string) *errs.Error {
			return &errs.Error{Kind: errs.KindInvalid, Field: "phone",
				Message: fmt.Sprintf("The text message service refused to send a code to %s: check the number.", phone)}
		}}
)

// Challenge describes a pending sign-in for the code page, or a pending phone change.
type Challenge struct {
	Phone string
	// ResendIn is how long until a new code may be sent (0: now).
	ResendIn time.Duration
	// AttemptsLeft counts the codes that may still be tried.
	AttemptsLeft int
}

// ResendSeconds is ResendIn in whole seconds, rounded up.
func (c Challenge) ResendSeconds() int { return int(c.ResendIn.Seconds() + 0.999) }

// Challenge returns the pending sign-in with this token.
func (s *Service) Challenge(ctx context.Context, token string) (Challenge, error) {
	return s.describe(ctx, token, signInPurpose, 0)
}

func (s *Service) describe(ctx context.Context, token string, p purpose, owner int64) (Challenge, error) {
	ch, u, err := s.liveChallenge(ctx, token, p, owner)
	if err != nil {
		return Challenge{}, err
	}
	return Challenge{Phone: MaskPhone(ch.phone(u)), ResendIn: max(0, ch.LastSentAt.Add(s.limits.ResendAfter).Sub(s.now())),
		AttemptsLeft: s.limits.CodeAttempts - ch.Attempts}, nil
}

// liveChallenge finds a challenge of purpose p that is not past its maximum age, and its
// user; owner, when not 0, is the only user whose challenge it may be.
func (s *Service) liveChallenge(ctx context.Context, token string, p purpose, owner int64) (challenge, user, error) {
	if len(token) != tokenLength {
		return challenge{}, user{}, p.gone
	}
	ch, ok, err := challengeByToken(ctx, s.db, token)
	if err != nil {
		return challenge{}, user{}, err
	}
	if !ok || ch.Purpose != p.name || owner != 0 && ch.UserID != owner {
		return challenge{}, user{}, p.gone
	}
	if !s.now().Before(ch.CreatedAt.Add(s.limits.ChallengeMaxAge)) {
		if err := deleteChallenge(ctx, s.db, ch.ID); err != nil {
			return challenge{}, user{}, err
		}
		return challenge{}, user{}, p.gone
	}
	u, ok, err := userByID(ctx, s.db, ch.UserID)
	if err != nil {
		return challenge{}, user{}, err
	}
	if !ok {
		return challenge{}, user{}, p.gone
	}
	return ch, u, nil
}

// startChallenge texts a code for purpose p to phone and makes the user's challenge of
// that purpose; newPhone is nil for a sign-in (the code goes to the user's phone).
func (s *Service) startChallenge(ctx context.Context, u user, p purpose, newPhone *string, cl Client) (Pending, error) {
	acct := account(u.Email)
	now := s.now()
	if err := checkLimits(ctx, s.db, now, s.sendLimits(acct)...); err != nil {
		return Pending{}, err
	}
	ch := challenge{NewPhone: newPhone}
	token := randomToken()
	hash, err := s.send(ctx, ch.phone(u), token, p)
	if err != nil {
		return Pending{}, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := replaceChallenge(ctx, tx, token, u.ID, p.name, newPhone, hash, now.Add(s.limits.CodeTTL), now, cl.IP); err != nil {
			return err
		}
		return recordAttempt(ctx, tx, attemptCodeSent, acct, cl.IP, now)
	})
	if err != nil {
		return Pending{}, err
	}
	return Pending{Token: token, Phone: MaskPhone(ch.phone(u))}, nil
}

// Resend sends a new code for a pending sign-in: 30 s after the last one at the
// earliest, and at most SendsPerHour an hour.
func (s *Service) Resend(ctx context.Context, token string, cl Client) error {
	return s.resend(ctx, token, signInPurpose, 0, cl)
}

func (s *Service) resend(ctx context.Context, token string, p purpose, owner int64, cl Client) error {
	ch, u, err := s.liveChallenge(ctx, token, p, owner)
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
	hash, err := s.send(ctx, ch.phone(u), token, p)
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
	ch, u, err := s.rightCode(ctx, token, code, signInPurpose, 0, cl)
	if err != nil {
		return SignedIn{}, err
	}
	var out SignedIn
	err = s.accountTx(ctx, func(tx *gorm.DB) error {
		if err := useChallenge(ctx, tx, ch, signInPurpose); err != nil {
			return err
		}
		var err error
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

// rightCode checks a code against the challenge of purpose p with this token (owned
// by owner when not 0) and returns the challenge and its user when it is right. A
// wrong code counts against the challenge, which is burnt at the Limits' CodeAttempts.
func (s *Service) rightCode(ctx context.Context, token, code string, p purpose, owner int64, cl Client) (challenge, user, error) {
	code, err := normalizeCode(code)
	if err != nil {
		return challenge{}, user{}, err
	}
	ch, u, err := s.liveChallenge(ctx, token, p, owner)
	if err != nil {
		return challenge{}, user{}, err
	}
	now := s.now()
	if err := checkLimits(ctx, s.db, now, s.codeLimits(account(u.Email), cl.IP)...); err != nil {
		return challenge{}, user{}, err
	}
	if !now.Before(ch.CodeExpiresAt) {
		return challenge{}, user{}, ErrCodeExpired
	}
	right, burnt, err := s.checkCode(ctx, ch, u, token, code)
	if err != nil {
		return challenge{}, user{}, err
	}
	if !right {
		return challenge{}, user{}, s.wrongCode(ctx, ch, u, p, cl, burnt)
	}
	return ch, u, nil
}

// useChallenge ends a challenge whose code was right, in the transaction that does what
// the code allows; a challenge ended meanwhile (a second request with the same code)
// allows nothing.
func useChallenge(ctx context.Context, tx *gorm.DB, ch challenge, p purpose) error {
	res := tx.WithContext(ctx).Exec(`DELETE FROM login_challenges WHERE id = ?`, ch.ID)
	if res.Error != nil {
		return fmt.Errorf("auth: end challenge: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return p.gone
	}
	return nil
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
	ok, err := s.verifier.CheckVerification(ctx, ch.phone(u), code)
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

func (s *Service) wrongCode(ctx context.Context, ch challenge, u user, p purpose, cl Client, burnt bool) error {
	now := s.now()
	var left int
	err := s.accountTx(ctx, func(tx *gorm.DB) error {
		n, err := countFailedCode(ctx, tx, ch.ID)
		if err != nil {
			return err
		}
		if err := recordAttempt(ctx, tx, attemptCodeFailed, account(u.Email), cl.IP, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Entry{Actor: actorUser(u.ID), Action: p.audit + ".code_failed", Target: u.Email, RemoteAddr: cl.IP,
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
		return audit.Record(ctx, tx, audit.Entry{Actor: actorUser(u.ID), Action: p.audit + ".challenge_burnt", Target: u.Email, RemoteAddr: cl.IP})
	})
	switch {
	case err != nil:
		return err
	case left <= 0 || burnt:
		return p.burnt
	case left == 1:
		return errs.Invalid("code", "Wrong code. 1 try left.")
	}
	return errs.Invalid("code", "Wrong code. %d tries left.", left)
}
