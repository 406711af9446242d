package auth

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
)

// The auth module owns sessions, login_challenges, auth_attempts, api_tokens and the
// password_hash and must_change_password columns of users; it reads users' email and
// name, and writes a user's phone only when they change it themselves.

// user is a person who may sign in.
type user struct {
	ID           int64
	Email        string
	Name         string
	Phone        string
	PasswordHash string
	// MustChangePassword is set by an administrator's reset: the next session must
	// choose a new password first.
	MustChangePassword bool
}

func userByEmail(ctx context.Context, tx *gorm.DB, email string) (user, bool, error) {
	return findUser(ctx, tx, `lower(email) = lower(?)`, email)
}

func userByID(ctx context.Context, tx *gorm.DB, id int64) (user, bool, error) {
	return findUser(ctx, tx, `id = ?`, id)
}

func findUser(ctx context.Context, tx *gorm.DB, where string, arg any) (user, bool, error) {
	var out []user
	err := tx.WithContext(ctx).Raw(`SELECT id, email, name, phone, coalesce(password_hash, '') AS password_hash, must_change_password
		FROM users WHERE `+where, arg).Scan(&out).Error
	if err != nil {
		return user{}, false, fmt.Errorf("auth: find user: %w", err)
	}
	if len(out) == 0 {
		return user{}, false, nil
	}
	return out[0], true, nil
}

func setPasswordHash(ctx context.Context, tx *gorm.DB, userID int64, hash string) error {
	if err := tx.WithContext(ctx).Exec(`UPDATE users SET password_hash = ?, updated_at = now() WHERE id = ?`, hash, userID).Error; err != nil {
		return fmt.Errorf("auth: set password: %w", err)
	}
	return nil
}

// replacePassword sets a new password hash and whether the person must replace it
// after their next sign-in (an administrator's reset).
func replacePassword(ctx context.Context, tx *gorm.DB, userID int64, hash string, mustChange bool) error {
	err := tx.WithContext(ctx).Exec(`UPDATE users SET password_hash = ?, must_change_password = ?, updated_at = now() WHERE id = ?`,
		hash, mustChange, userID).Error
	if err != nil {
		return fmt.Errorf("auth: set password: %w", err)
	}
	return nil
}

func setOwnPhone(ctx context.Context, tx *gorm.DB, userID int64, phone string) error {
	if err := tx.WithContext(ctx).Exec(`UPDATE users SET phone = ?, updated_at = now() WHERE id = ?`, phone, userID).Error; err != nil {
		return fmt.Errorf("auth: set phone: %w", err)
	}
	return nil
}

// challenge is a code on its way to a phone: the step between a correct password and
// the session (purpose login), or between asking for a new phone and having it
// (purpose phone, the number in NewPhone). A user has at most one of each at a time.
type challenge struct {
	ID            int64
	UserID        int64
	Purpose       string
	NewPhone      *string
	CodeHash      []byte
	CodeExpiresAt time.Time
	Attempts      int
	LastSentAt    time.Time
	CreatedAt     time.Time
}

// phone is the number the challenge's code goes to.
func (ch challenge) phone(u user) string {
	if ch.NewPhone != nil {
		return *ch.NewPhone
	}
	return u.Phone
}

func challengeByToken(ctx context.Context, tx *gorm.DB, token string) (challenge, bool, error) {
	var out []challenge
	err := tx.WithContext(ctx).Raw(`SELECT id, user_id, purpose, new_phone, code_hash, code_expires_at, attempts, last_sent_at, created_at
		FROM login_challenges WHERE token_hash = ?`, tokenHash(token)).Scan(&out).Error
	if err != nil {
		return challenge{}, false, fmt.Errorf("auth: find challenge: %w", err)
	}
	if len(out) == 0 {
		return challenge{}, false, nil
	}
	return out[0], true, nil
}

// replaceChallenge makes the user's only challenge of its purpose; newPhone is nil for
// a sign-in.
func replaceChallenge(ctx context.Context, tx *gorm.DB, token string, userID int64, purpose string, newPhone *string, codeHash []byte, expires, now time.Time, ip string) error {
	return tx.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`DELETE FROM login_challenges WHERE user_id = ? AND purpose = ?`, userID, purpose).Error; err != nil {
			return fmt.Errorf("auth: replace challenge: %w", err)
		}
		// The first value is not a []byte: gorm would expand a slice right after "(".
		err := tx.Exec(`INSERT INTO login_challenges (user_id, purpose, new_phone, token_hash, code_hash, code_expires_at, last_sent_at, remote_addr, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, userID, purpose, newPhone, tokenHash(token), codeHash, expires, now, ip, now).Error
		if err != nil {
			return fmt.Errorf("auth: create challenge: %w", err)
		}
		return nil
	})
}

func resentChallenge(ctx context.Context, tx *gorm.DB, id int64, codeHash []byte, expires, now time.Time) error {
	err := tx.WithContext(ctx).Exec(`UPDATE login_challenges SET code_hash = ?, code_expires_at = ?, last_sent_at = ? WHERE id = ?`,
		codeHash, expires, now, id).Error
	if err != nil {
		return fmt.Errorf("auth: update challenge: %w", err)
	}
	return nil
}

func countFailedCode(ctx context.Context, tx *gorm.DB, id int64) (int, error) {
	var n int
	if err := tx.WithContext(ctx).Raw(`UPDATE login_challenges SET attempts = attempts + 1 WHERE id = ? RETURNING attempts`, id).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("auth: count code attempt: %w", err)
	}
	return n, nil
}

// deleteChallengesOf ends every pending sign-in and phone change of a user.
func deleteChallengesOf(ctx context.Context, tx *gorm.DB, userID int64) error {
	if err := tx.WithContext(ctx).Exec(`DELETE FROM login_challenges WHERE user_id = ?`, userID).Error; err != nil {
		return fmt.Errorf("auth: delete challenges: %w", err)
	}
	return nil
}

func deleteChallenge(ctx context.Context, tx *gorm.DB, id int64) error {
	if err := tx.WithContext(ctx).Exec(`DELETE FROM login_challenges WHERE id = ?`, id).Error; err != nil {
		return fmt.Errorf("auth: delete challenge: %w", err)
	}
	return nil
}

// Kinds of auth_attempts rows.
const (
	attemptPasswordFailed = "password_failed"
	attemptCodeFailed     = "code_failed"
	attemptCodeSent       = "code_sent"
)

func recordAttempt(ctx context.Context, tx *gorm.DB, kind, account, ip string, at time.Time) error {
	err := tx.WithContext(ctx).Exec(`INSERT INTO auth_attempts (kind, account, remote_ip, at) VALUES (?, ?, ?, ?)`, kind, account, ip, at).Error
	if err != nil {
		return fmt.Errorf("auth: record %s: %w", kind, err)
	}
	return nil
}

// attemptsSince counts kind rows of one account (or IP) since from, with the oldest.
func attemptsSince(ctx context.Context, tx *gorm.DB, kind, column, value string, from time.Time) (int, time.Time, error) {
	var row struct {
		N      int
		Oldest *time.Time
	}
	err := tx.WithContext(ctx).Raw(`SELECT count(*) AS n, min(at) AS oldest FROM auth_attempts WHERE kind = ? AND `+column+` = ? AND at > ?`,
		kind, value, from).Scan(&row).Error
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("auth: count %s: %w", kind, err)
	}
	if row.Oldest == nil {
		return row.N, time.Time{}, nil
	}
	return row.N, *row.Oldest, nil
}

// session is a signed-in browser.
type session struct {
	ID         int64
	UserID     int64
	Email      string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	// SSOTenantID is the tenant whose identity provider started the session (0: none).
	SSOTenantID        int64
	MustChangePassword bool
}

func sessionByToken(ctx context.Context, tx *gorm.DB, token string) (session, bool, error) {
	var out []session
	err := tx.WithContext(ctx).Raw(`SELECT s.id, s.user_id, u.email, s.created_at, s.last_seen_at, s.expires_at,
			coalesce(s.sso_tenant_id, 0) AS sso_tenant_id, u.must_change_password
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, tokenHash(token)).Scan(&out).Error
	if err != nil {
		return session{}, false, fmt.Errorf("auth: find session: %w", err)
	}
	if len(out) == 0 {
		return session{}, false, nil
	}
	return out[0], true, nil
}

// createSession starts a session; ssoTenant (nil for none) confines it to a tenant.
func createSession(ctx context.Context, tx *gorm.DB, token string, userID int64, now, expires time.Time, ip, userAgent string, ssoTenant *int64) (int64, error) {
	var id int64
	err := tx.WithContext(ctx).Raw(`INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, expires_at, remote_addr, user_agent, sso_tenant_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, userID, tokenHash(token), now, now, expires, ip, userAgent, ssoTenant).Scan(&id).Error
	if err != nil {
		return 0, fmt.Errorf("auth: create session: %w", err)
	}
	return id, nil
}

func touchSession(ctx context.Context, tx *gorm.DB, id int64, now time.Time) error {
	if err := tx.WithContext(ctx).Exec(`UPDATE sessions SET last_seen_at = ? WHERE id = ?`, now, id).Error; err != nil {
		return fmt.Errorf("auth: touch session: %w", err)
	}
	return nil
}

func deleteSession(ctx context.Context, tx *gorm.DB, id int64) error {
	if err := tx.WithContext(ctx).Exec(`DELETE FROM sessions WHERE id = ?`, id).Error; err != nil {
		return fmt.Errorf("auth: delete session: %w", err)
	}
	return nil
}

// deleteSessionsOf ends every session of a user but keep (0 keeps none).
func deleteSessionsOf(ctx context.Context, tx *gorm.DB, userID, keep int64) (int64, error) {
	res := tx.WithContext(ctx).Exec(`DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keep)
	if res.Error != nil {
		return 0, fmt.Errorf("auth: delete sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}

func countSessions(ctx context.Context, tx *gorm.DB, userID int64) (int, error) {
	var n int
	if err := tx.WithContext(ctx).Raw(`SELECT count(*) FROM sessions WHERE user_id = ?`, userID).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("auth: count sessions: %w", err)
	}
	return n, nil
}

// prune deletes what can no longer be used: ended sessions, old challenges, expired
// single sign-ons, attempt rows older than every throttling window.
func prune(ctx context.Context, tx *gorm.DB, now time.Time, idle, challengeMaxAge, keepAttempts time.Duration) error {
	return tx.WithContext(db.WithSystem(ctx)).Transaction(func(tx *gorm.DB) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`, []any{now, now.Add(-idle)}},
			{`DELETE FROM login_challenges WHERE created_at <= ?`, []any{now.Add(-challengeMaxAge)}},
			{`DELETE FROM sso_logins WHERE expires_at <= ?`, []any{now}},
			{`DELETE FROM auth_attempts WHERE at <= ?`, []any{now.Add(-keepAttempts)}},
		} {
			if err := tx.Exec(q.sql, q.args...).Error; err != nil {
				return fmt.Errorf("auth: prune: %w", err)
			}
		}
		return nil
	})
}
