package tenants

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
)

// NewUser is a person to add to a tenant, with the phone their sign-in codes go to.
type NewUser struct {
	Email, Name, Phone, Role string
}

// AddMember creates or updates the user with this email and gives them the role in the
// tenant; actor names who did it in the audit log. It reports whether the user is new.
func (s *Service) AddMember(ctx context.Context, tenantID int64, m NewUser, actor string) (bool, error) {
	ctx = db.WithTenant(ctx, tenantID)
	var userCreated bool
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		userID, created, changed, err := upsertUser(ctx, tx, m.Email, m.Name, m.Phone)
		if err != nil {
			return err
		}
		userCreated = created
		if changed {
			if err := audit.Record(ctx, tx, audit.Entry{TenantID: &tenantID, Actor: actor, Action: verb("user", created), Target: m.Email}); err != nil {
				return err
			}
		}
		_, changed, err = upsertMember(ctx, tx, tenantID, userID, m.Role)
		if err != nil {
			return err
		}
		if changed {
			return audit.Record(ctx, tx, audit.Entry{TenantID: &tenantID, Actor: actor, Action: "member.role_set", Target: fmt.Sprintf("%s=%s", m.Email, m.Role)})
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("tenants: add member: %w", err)
	}
	return userCreated, nil
}

// RoleOf returns the user's role in the tenant; errs.NotFound when not a member.
func (s *Service) RoleOf(ctx context.Context, tenantID, userID int64) (string, error) {
	ctx = db.WithTenant(ctx, tenantID)
	var roles []string
	err := s.db.WithContext(ctx).Raw(`SELECT role FROM tenant_members WHERE tenant_id = ? AND user_id = ?`, tenantID, userID).Scan(&roles).Error
	if err != nil {
		return "", fmt.Errorf("tenants: role: %w", err)
	}
	if len(roles) == 0 {
		return "", errs.NotFound("not a member of this tenant")
	}
	return roles[0], nil
}
