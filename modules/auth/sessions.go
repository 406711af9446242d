package auth

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/errs"
)

// Session is a signed-in browser as the middleware sees it.
type Session struct {
	ID     int64
	UserID int64
	Email  string
	// SSOTenantID is the tenant whose identity provider started the session, the only
	// tenant it may act in (0: a password and code sign-in, not confined).
	SSOTenantID int64
	// MustChangePassword: an administrator reset the password, and the session may do
	// nothing but choose a new one (or sign out).
	MustChangePassword bool
}

// Authenticate returns the live session with this token. A session unused for the idle
// timeout, or older than the absolute timeout, is ended and not returned.
func (s *Service) Authenticate(ctx context.Context, token string) (Session, bool, error) {
	if len(token) != tokenLength {
		return Session{}, false, nil
	}
	ss, ok, err := sessionByToken(ctx, s.db, token)
	if err != nil || !ok {
		return Session{}, false, err
	}
	now := s.now()
	if !now.Before(ss.ExpiresAt) || !now.Before(ss.LastSeenAt.Add(s.session.IdleTimeout)) {
		return Session{}, false, deleteSession(ctx, s.db, ss.ID)
	}
	if now.Sub(ss.LastSeenAt) >= touchEvery {
		if err := touchSession(ctx, s.db, ss.ID, now); err != nil {
			return Session{}, false, err
		}
	}
	return Session{ID: ss.ID, UserID: ss.UserID, Email: ss.Email, SSOTenantID: ss.SSOTenantID, MustChangePassword: ss.MustChangePassword}, true, nil
}

// SignOut ends the session with this token, if there is one.
func (s *Service) SignOut(ctx context.Context, token string, cl Client) error {
	if len(token) != tokenLength {
		return nil
	}
	ss, ok, err := sessionByToken(ctx, s.db, token)
	if err != nil || !ok {
		return err
	}
	return s.accountTx(ctx, func(tx *gorm.DB) error {
		if err := deleteSession(ctx, tx, ss.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actorUser(ss.UserID), Action: "logout", Target: ss.Email, RemoteAddr: cl.IP})
	})
}

// SignOutEverywhere ends every session of the user, this one included; it returns
// how many ended.
func (s *Service) SignOutEverywhere(ctx context.Context, userID int64, cl Client) (int64, error) {
	var n int64
	err := s.accountTx(ctx, func(tx *gorm.DB) error {
		var err error
		if n, err = deleteSessionsOf(ctx, tx, userID, 0); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actorUser(userID), Action: "logout.everywhere", Target: actorUser(userID),
			RemoteAddr: cl.IP, Details: map[string]any{"sessions": n}})
	})
	return n, err
}

// Account is what a user sees of their own account.
type Account struct {
	Email    string
	Name     string
	Phone    string
	Sessions int
}

// Account returns the user's account.
func (s *Service) Account(ctx context.Context, userID int64) (Account, error) {
	u, ok, err := userByID(ctx, s.db, userID)
	if err != nil {
		return Account{}, err
	}
	if !ok {
		return Account{}, errs.NotFound("no such user")
	}
	n, err := countSessions(ctx, s.db, userID)
	if err != nil {
		return Account{}, err
	}
	return Account{Email: u.Email, Name: u.Name, Phone: u.Phone, Sessions: n}, nil
}

// ChangePassword sets a new password for a signed-in user who knows the current one,
// and ends the user's other sessions.
func (s *Service) ChangePassword(ctx context.Context, userID, keepSession int64, current, next, confirm string, cl Client) error {
	if err := validNewPassword("new", next); err != nil {
		return err
	}
	if next != confirm {
		return errs.Invalid("confirm", "The new password and its confirmation differ.")
	}
	u, ok, err := userByID(ctx, s.db, userID)
	if err != nil {
		return err
	}
	if !ok {
		return errs.NotFound("no such user")
	}
	if err := s.checkCurrentPassword(ctx, u, current, "password.change_failed", cl); err != nil {
		return err
	}
	return s.setPassword(ctx, u, next, keepSession, cl.IP, actorUser(u.ID))
}

// checkCurrentPassword checks the password a signed-in user typed to confirm a change
// of their account; a wrong one counts against the sign-in throttles as a failed
// sign-in does, and is audited as failedAction.
func (s *Service) checkCurrentPassword(ctx context.Context, u user, current, failedAction string, cl Client) error {
	switch {
	case current == "":
		return errs.Invalid("current", "Enter your current password.")
	case len([]rune(current)) > MaxPasswordLength:
		return errs.Invalid("current", "The current password is too long (at most %d characters).", MaxPasswordLength)
	}
	now := s.now()
	acct := account(u.Email)
	if err := checkLimits(ctx, s.db, now, s.passwordLimits(acct, cl.IP)...); err != nil {
		return err
	}
	match, _, err := s.hasher.check(current, u.PasswordHash)
	if err != nil {
		return err
	}
	if match {
		return nil
	}
	err = s.accountTx(ctx, func(tx *gorm.DB) error {
		if err := recordAttempt(ctx, tx, attemptPasswordFailed, acct, cl.IP, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actorUser(u.ID), Action: failedAction, Target: u.Email, RemoteAddr: cl.IP})
	})
	if err != nil {
		return err
	}
	return errs.Invalid("current", "The current password is wrong.")
}

// SetPassword sets a user's password from the command line and ends their sessions.
func (s *Service) SetPassword(ctx context.Context, email, password string) error {
	if err := validNewPassword("password", password); err != nil {
		return err
	}
	u, ok, err := userByEmail(ctx, s.db, strings.TrimSpace(email))
	if err != nil {
		return err
	}
	if !ok {
		return errs.NotFound("no user with the email %q", email)
	}
	return s.setPassword(ctx, u, password, 0, "", "cli")
}

// SetInitialPassword sets the password of a user who has none yet; it reports whether
// it did.
func (s *Service) SetInitialPassword(ctx context.Context, email, password string) (bool, error) {
	u, ok, err := userByEmail(ctx, s.db, strings.TrimSpace(email))
	if err != nil || !ok || u.PasswordHash != "" {
		return false, err
	}
	if err := validNewPassword("password", password); err != nil {
		return false, err
	}
	return true, s.setPassword(ctx, u, password, 0, "", "config")
}

// setPassword sets a password the person chose (so they need not change it again) and
// ends their other sessions.
func (s *Service) setPassword(ctx context.Context, u user, password string, keepSession int64, ip, actor string) error {
	hash, err := s.hasher.hash(password)
	if err != nil {
		return err
	}
	return s.accountTx(ctx, func(tx *gorm.DB) error {
		if err := replacePassword(ctx, tx, u.ID, hash, false); err != nil {
			return err
		}
		ended, err := deleteSessionsOf(ctx, tx, u.ID, keepSession)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: "password.changed", Target: u.Email, RemoteAddr: ip,
			Details: map[string]any{"sessions_ended": ended}})
	})
}
