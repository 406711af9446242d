package tenants

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/errs"
)

const memberColumns = `m.user_id, u.email, u.name, m.role, m.created_at AS since, u.phone <> '' AS has_phone
	FROM tenant_members m JOIN users u ON u.id = m.user_id`

func membersOf(ctx context.Context, tx *gorm.DB, tenantID int64) ([]Member, error) {
	out := []Member{}
	err := tx.WithContext(ctx).Raw(`SELECT `+memberColumns+` WHERE m.tenant_id = ? ORDER BY lower(u.email)`, tenantID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("tenants: members: %w", err)
	}
	return out, nil
}

// memberOf returns one member of the tenant; anyone else, including members of other
// tenants only, is not found.
func memberOf(ctx context.Context, tx *gorm.DB, tenantID, userID int64) (Member, error) {
	var out []Member
	err := tx.WithContext(ctx).Raw(`SELECT `+memberColumns+` WHERE m.tenant_id = ? AND m.user_id = ?`, tenantID, userID).Scan(&out).Error
	if err != nil {
		return Member{}, fmt.Errorf("tenants: member: %w", err)
	}
	if len(out) == 0 {
		return Member{}, errs.NotFound("no member %d in this tenant", userID)
	}
	return out[0], nil
}

// roleOf returns a user's role in the tenant, "" for none.
func roleOf(ctx context.Context, tx *gorm.DB, tenantID, userID int64) (string, error) {
	var roles []string
	err := tx.WithContext(ctx).Raw(`SELECT role FROM tenant_members WHERE tenant_id = ? AND user_id = ?`, tenantID, userID).Scan(&roles).Error
	if err != nil {
		return "", fmt.Errorf("tenants: role: %w", err)
	}
	if len(roles) == 0 {
		return "", nil
	}
	return roles[0], nil
}

func lockTenant(ctx context.Context, tx *gorm.DB, tenantID int64) error {
	res := tx.WithContext(ctx).Exec(`SELECT id FROM tenants WHERE id = ? FOR UPDATE`, tenantID)
	if res.Error != nil {
		return fmt.Errorf("tenants: lock tenant: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return errs.NotFound("no tenant %d", tenantID)
	}
	return nil
}

// ensureUser returns the user with this email (case-insensitive), creating them.
func ensureUser(ctx context.Context, tx *gorm.DB, email, name string) (id int64, created bool, err error) {
	var ids []int64
	err = tx.WithContext(ctx).Raw(`INSERT INTO users (email, name) VALUES (?, ?)
		ON CONFLICT ((lower(email))) DO NOTHING RETURNING id`, email, name).Scan(&ids).Error
	if err != nil {
		return 0, false, fmt.Errorf("tenants: create user: %w", err)
	}
	if len(ids) == 1 {
		return ids[0], true, nil
	}
	if err := tx.WithContext(ctx).Raw(`SELECT id FROM users WHERE lower(email) = lower(?)`, email).Scan(&id).Error; err != nil {
		return 0, false, fmt.Errorf("tenants: find user: %w", err)
	}
	return id, false, nil
}

// insertMember adds a membership; added is false when the user already was a member.
func insertMember(ctx context.Context, tx *gorm.DB, tenantID, userID int64, role string) (added bool, err error) {
	res := tx.WithContext(ctx).Exec(`INSERT INTO tenant_members (tenant_id, user_id, role) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id, user_id) DO NOTHING`, tenantID, userID, role)
	if res.Error != nil {
		return false, fmt.Errorf("tenants: add member: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func updateRole(ctx context.Context, tx *gorm.DB, tenantID, userID int64, role string) error {
	err := tx.WithContext(ctx).Exec(`UPDATE tenant_members SET role = ?, updated_at = now() WHERE tenant_id = ? AND user_id = ?`,
		role, tenantID, userID).Error
	if err != nil {
		return fmt.Errorf("tenants: set role: %w", err)
	}
	return nil
}

func deleteMember(ctx context.Context, tx *gorm.DB, tenantID, userID int64) error {
	if err := tx.WithContext(ctx).Exec(`DELETE FROM tenant_members WHERE tenant_id = ? AND user_id = ?`, tenantID, userID).Error; err != nil {
		return fmt.Errorf("tenants: remove member: %w", err)
	}
	return nil
}

func countOwners(ctx context.Context, tx *gorm.DB, tenantID int64) (int64, error) {
	var n int64
	if err := tx.WithContext(ctx).Raw(`SELECT count(*) FROM tenant_members WHERE tenant_id = ? AND role = 'owner'`, tenantID).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("tenants: count owners: %w", err)
	}
	return n, nil
}

func membershipsOf(ctx context.Context, tx *gorm.DB, userID int64) ([]Membership, error) {
	out := []Membership{}
	err := tx.WithContext(ctx).Raw(`SELECT t.id AS tenant_id, t.slug, t.name, m.role, t.currency FROM tenant_members m JOIN tenants t ON t.id = m.tenant_id
		WHERE m.user_id = ? ORDER BY lower(t.name), t.slug`, userID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("tenants: memberships: %w", err)
	}
	return out, nil
}
