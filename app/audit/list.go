package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Logged is an entry as stored.
type Logged struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	Action     string          `json:"action"`
	Target     string          `json:"target"`
	RemoteAddr string          `json:"remote_addr"`
	Details    json.RawMessage `json:"details"`
}

// MaxPage is the most entries one List call returns.
const MaxPage = 200

// List returns a tenant's entries newest first (with the entries of no tenant, such
// as sign-ins, that concern its members), at most limit (1..MaxPage) of them,
// starting after the entry with id before (0: from the newest). more reports whether
// older entries remain; the next page starts before the last entry returned.
func List(ctx context.Context, tx *gorm.DB, tenantID, before int64, limit int) (entries []Logged, more bool, err error) {
	return ListActions(ctx, tx, tenantID, "", before, limit)
}

// ListActions is List of the entries whose action starts with prefix ("" for all):
// "member." for membership changes.
func ListActions(ctx context.Context, tx *gorm.DB, tenantID int64, prefix string, before int64, limit int) (entries []Logged, more bool, err error) {
	if limit < 1 || limit > MaxPage {
		return nil, false, fmt.Errorf("audit: list: limit %d out of 1..%d", limit, MaxPage)
	}
	q := `SELECT id, at, actor, action, target, remote_addr, details FROM audit_log
		WHERE (tenant_id = ? OR tenant_id IS NULL AND EXISTS (
			SELECT FROM tenant_members m JOIN users u ON u.id = m.user_id
			WHERE m.tenant_id = ? AND (audit_log.actor = 'user:' || m.user_id OR lower(audit_log.target) = lower(u.email))))`
	args := []any{tenantID, tenantID}
	if prefix != "" {
		q += ` AND starts_with(action, ?)`
		args = append(args, prefix)
	}
	if before > 0 {
		q += ` AND id < ?`
		args = append(args, before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := tx.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, false, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l Logged
		var details []byte
		if err := rows.Scan(&l.ID, &l.At, &l.Actor, &l.Action, &l.Target, &l.RemoteAddr, &details); err != nil {
			return nil, false, fmt.Errorf("audit: list: %w", err)
		}
		l.Details = details
		entries = append(entries, l)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("audit: list: %w", err)
	}
	if len(entries) > limit {
		return entries[:limit], true, nil
	}
	return entries, false, nil
}
