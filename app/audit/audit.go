// Package audit records who did what, when and from where, in the audit_log table.
package audit

import (
	"context"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
)

// Entry is one audited action.
type Entry struct {
	TenantID   *int64
	Actor      string // "user:42", "config", "api-token:7"
	Action     string // "tenant.created", "login.failed", ...
	Target     string
	RemoteAddr string
	Details    map[string]any
}

// Record writes e with tx (or the pool), so an audit row commits with the change it
// describes. Outside a transaction the row is written under its own tenant's scope, or
// the system scope for an entry of no tenant (sign-ins, failed sign-ins).
func Record(ctx context.Context, tx *gorm.DB, e Entry) error {
	if e.TenantID != nil {
		ctx = db.WithTenant(ctx, *e.TenantID)
	} else {
		ctx = db.WithSystem(ctx)
	}
	details := []byte("{}")
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return fmt.Errorf("audit: details: %w", err)
		}
		details = b
	}
	err := tx.WithContext(ctx).Exec(
		`INSERT INTO audit_log (tenant_id, actor, action, target, remote_addr, details) VALUES (?, ?, ?, ?, ?, ?)`,
		e.TenantID, e.Actor, e.Action, e.Target, e.RemoteAddr, details).Error
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}
