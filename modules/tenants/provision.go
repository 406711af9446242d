package tenants

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/db"
)

// Provision gives a person whom a tenant's identity provider signed in the role its
// groups map to: it finds the user by email (any case), creating them with name when
// new, and adds or updates their membership. Adding and changing are audited under
// actor, like membership changes made by people. It returns the user's id.
func (s *Service) Provision(ctx context.Context, tenantID int64, email, name, role, actor, remoteAddr string) (int64, error) {
	ctx = db.WithTenant(ctx, tenantID)
	var userID int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		id, created, err := findOrCreateUser(ctx, tx, email, name)
		if err != nil {
			return err
		}
		userID = id
		entry := audit.Entry{TenantID: &tenantID, Actor: actor, Target: email, RemoteAddr: remoteAddr}
		res := tx.Exec(`INSERT INTO tenant_members (tenant_id, user_id, role) VALUES (?, ?, ?) ON CONFLICT (tenant_id, user_id) DO NOTHING`,
			tenantID, userID, role)
		if res.Error != nil {
			return fmt.Errorf("tenants: provision: add member: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			entry.Action = "member.added"
			entry.Details = map[string]any{"user_id": userID, "role": role, "user_created": created}
			return audit.Record(ctx, tx, entry)
		}
		var from string
		if err := tx.Raw(`SELECT role FROM tenant_members WHERE tenant_id = ? AND user_id = ? FOR UPDATE`, tenantID, userID).Scan(&from).Error; err != nil {
			return fmt.Errorf("tenants: provision: role: %w", err)
		}
		if from == role {
			return nil
		}
		if err := tx.Exec(`UPDATE tenant_members SET role = ?, updated_at = now() WHERE tenant_id = ? AND user_id = ?`, role, tenantID, userID).Error; err != nil {
			return fmt.Errorf("tenants: provision: set role: %w", err)
		}
		entry.Action = "member.role_changed"
		entry.Details = map[string]any{"user_id": userID, "from": from, "to": role}
		return audit.Record(ctx, tx, entry)
	})
	if err != nil {
		return 0, err
	}
	// The sign-in that provisioned the user goes on at once: this instance must know
	// the role now, not when the change notification arrives.
	if s.policy != nil {
		if err := s.policy.Reload(); err != nil {
			return 0, fmt.Errorf("tenants: provision: reload permissions: %w", err)
		}
	}
	return userID, nil
}

// findOrCreateUser returns the user with this email, creating them when there is none;
// two sign-ins of a new person at once make one user.
func findOrCreateUser(ctx context.Context, tx *gorm.DB, email, name string) (int64, bool, error) {
	var ids []int64
	err := tx.WithContext(ctx).Raw(`INSERT INTO users (email, name) VALUES (?, ?) ON CONFLICT ((lower(email))) DO NOTHING RETURNING id`, email, name).Scan(&ids).Error
	if err != nil {
		return 0, false, fmt.Errorf("tenants: create user: %w", err)
	}
	if len(ids) == 1 {
		return ids[0], true, nil
	}
	if err := tx.WithContext(ctx).Raw(`SELECT id FROM users WHERE lower(email) = lower(?)`, email).Scan(&ids).Error; err != nil {
		return 0, false, fmt.Errorf("tenants: find user: %w", err)
	}
	if len(ids) == 0 {
		return 0, false, fmt.Errorf("tenants: user %s was neither created nor found", email)
	}
	return ids[0], false, nil
}
