package auth

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/errs"
)

// An administrator resets a member's password (modules/tenants decides who may): the
// member gets a temporary password, shown once to the administrator, their sessions and
// pending sign-ins end, and after their next sign-in (password and code) they must
// choose a password of their own before anything else.

// temporaryAlphabet leaves out look-alikes (0/o, 1/l/i) so the password can be read
// out or typed from a screen.
const temporaryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// temporaryPassword returns 4 groups of 5 characters (about 99 random bits).
func temporaryPassword() string {
	var b strings.Builder
	size := big.NewInt(int64(len(temporaryAlphabet)))
	for i := range 20 {
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		n, err := rand.Int(rand.Reader, size)
		if err != nil {
			panic(fmt.Sprintf("auth: crypto/rand: %v", err))
		}
		b.WriteByte(temporaryAlphabet[n.Int64()])
	}
	return b.String()
}

// ResetPassword gives the user a new temporary password, which they must replace after
// their next sign-in, and ends their sessions and pending sign-ins, in tx (the caller's
// transaction, which records who reset it). It returns the password and how many
// sessions ended.
func (s *Service) ResetPassword(ctx context.Context, tx *gorm.DB, userID int64) (string, int64, error) {
	password := temporaryPassword()
	hash, err := s.hasher.hash(password)
	if err != nil {
		return "", 0, err
	}
	if err := replacePassword(ctx, tx, userID, hash, true); err != nil {
		return "", 0, err
	}
	ended, err := deleteSessionsOf(ctx, tx, userID, 0)
	if err != nil {
		return "", 0, err
	}
	if err := deleteChallengesOf(ctx, tx, userID); err != nil {
		return "", 0, err
	}
	return password, ended, nil
}

// LiveTokensOf counts the API tokens the user created that are not revoked, in tx:
// they keep working after a password reset, which an administrator should know.
func (s *Service) LiveTokensOf(ctx context.Context, tx *gorm.DB, userID int64) (int64, error) {
	var n int64
	if err := tx.WithContext(ctx).Raw(`SELECT count(*) FROM api_tokens WHERE created_by = ? AND revoked_at IS NULL`, userID).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("auth: count tokens: %w", err)
	}
	return n, nil
}

// ChooseNewPassword sets the password of a user whose password an administrator reset,
// from the session they signed in with it (keepSession, which stays; any other ends).
func (s *Service) ChooseNewPassword(ctx context.Context, userID, keepSession int64, next, confirm string, cl Client) error {
	u, ok, err := userByID(ctx, s.db, userID)
	if err != nil {
		return err
	}
	if !ok {
		return errs.NotFound("no such user")
	}
	if !u.MustChangePassword {
		return errs.Conflict("Your password needs no replacing: change it on your account page, with your current password.")
	}
	if err := validNewPassword("new", next); err != nil {
		return err
	}
	if next != confirm {
		return errs.Invalid("confirm", "The new password and its confirmation differ.")
	}
	same, _, err := s.hasher.check(next, u.PasswordHash)
	if err != nil {
		return err
	}
	if same {
		return errs.Invalid("new", "Choose a password of your own, not the temporary one.")
	}
	return s.setPassword(ctx, u, next, keepSession, cl.IP, actorUser(u.ID))
}
