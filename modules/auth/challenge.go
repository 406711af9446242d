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
	err = s.accountTx(ctx, func(tx *gorm.DB) error {
		res := tx.Exec(`DELETE FROM login_challenges WHERE id = ?`, ch.ID)
		if res.Error != nil {
			return fmt.Errorf("auth: end challenge: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrChallengeGone
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
	err := s.accountTx(ctx, func(tx *gorm.DB) error {
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
