package tenants

import (
	"context"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
)

// Passwords resets passwords; modules/auth implements it. The reset runs in the
// transaction the membership checks ran in, so that it happens only if they pass.
type Passwords interface {
	// ResetPassword gives the user a temporary password that they must replace after
	// their next sign-in, and ends their sessions and pending sign-ins; it returns the
	// password and how many sessions ended.
	ResetPassword(ctx context.Context, tx *gorm.DB, userID int64) (string, int64, error)
	// LiveTokensOf counts the API tokens the user created that still work: a reset
	// leaves them be (an integration may depend on one), so the administrator is told.
	LiveTokensOf(ctx context.Context, tx *gorm.DB, userID int64) (int64, error)
}

// Reset is the outcome of a password reset, shown once to the administrator.
type Reset struct {
	Member
	Password string
	// LiveTokens is how many API tokens the member created that still work.
	LiveTokens int64
}

// ResetPassword gives a member a temporary password (returned, to be shown once to the
// actor) that they must replace after their next sign-in, and signs them out, on the
// rules of changeAccount (those of SetPhone). The reset is in the tenant's audit log.
func (m *Members) ResetPassword(ctx context.Context, tenantID int64, actor Actor, userID int64, pw Passwords) (Reset, error) {
	ctx = db.WithTenant(ctx, tenantID)
	var r Reset
	out, err := m.changeAccount(ctx, tenantID, actor, userID, accountPassword, func(tx *gorm.DB, cur Member) error {
		if actor.UserID == userID {
			return errs.Conflict("change your own password on your account page, with your current password")
		}
		var ended int64
		var err error
		if r.Password, ended, err = pw.ResetPassword(ctx, tx, userID); err != nil {
			return err
		}
		if r.LiveTokens, err = pw.LiveTokensOf(ctx, tx, userID); err != nil {
			return err
		}
		return m.record(ctx, tx, tenantID, actor, "member.password_reset", cur,
			map[string]any{"user_id": userID, "sessions_ended": ended, "live_api_tokens": r.LiveTokens})
	})
	if err != nil {
		return Reset{}, err
	}
	r.Member = out
	return r, nil
}
