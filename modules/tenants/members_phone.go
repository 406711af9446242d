package tenants

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
)

// SetPhone sets the phone a member's sign-in codes go to, on the rules of
// changeAccount. The change is in the audit log with the number masked.
func (m *Members) SetPhone(ctx context.Context, tenantID int64, actor Actor, userID int64, phone string) (Member, error) {
	ctx = db.WithTenant(ctx, tenantID)
	phone = strings.TrimSpace(phone)
	if err := checkPhone(phone); err != nil {
		return Member{}, err
	}
	return m.changeAccount(ctx, tenantID, actor, userID, accountPhone, func(tx *gorm.DB, cur Member) error {
		if err := setUserPhone(ctx, tx, userID, phone); err != nil {
			return err
		}
		return m.record(ctx, tx, tenantID, actor, "member.phone_set", cur,
			map[string]any{"user_id": userID, "phone": maskPhone(phone)})
	})
}

// accountPart is a part of a person's account that guards their sign-in, as refusals
// name it.
type accountPart struct{ verb, noun string }

var (
	accountPhone    = accountPart{verb: "set members' phones", noun: "phone"}
	accountPassword = accountPart{verb: "reset members' passwords", noun: "password"}
)

// changeAccount runs fn, in the tenant's change transaction, on what guards a member's
// sign-in (their phone, their password). Only owners and admins may change it, never
// for a member ranked above them, and not for someone who also belongs to another
// tenant: it guards their access there too, so they change it themselves.
func (m *Members) changeAccount(ctx context.Context, tenantID int64, actor Actor, userID int64, part accountPart, fn func(tx *gorm.DB, cur Member) error) (Member, error) {
	ctx = db.WithTenant(ctx, tenantID)
	// Other tenants' memberships are out of the tenant's scope, which the transaction
	// below keeps: they are counted first, across tenants, and told only once the checks
	// inside have passed, so the answer reveals nothing about someone who is no member
	// here.
	others, err := countOtherTenants(db.WithSystem(ctx), m.db, tenantID, userID)
	if err != nil {
		return Member{}, err
	}
	var out Member
	err = m.change(ctx, tenantID, actor, func(tx *gorm.DB, actorRole string) error {
		if rank(actorRole) > rank("admin") {
			return errs.Forbidden("only owners and admins %s", part.verb)
		}
		cur, err := memberOf(ctx, tx, tenantID, userID)
		if err != nil {
			return err
		}
		if err := mayAssign(actorRole, cur.Role, ""); err != nil {
			return err
		}
		if others > 0 {
			return errs.Conflict("%s also belongs to another workspace: only they can change their %s", cur.Email, part.noun)
		}
		out = cur
		return fn(tx, cur)
	})
	return out, err
}

func checkPhone(phone string) error {
	if !config.ValidPhone(phone) {
		return errs.Invalid("phone", "a phone number is in E.164 form such as +15555550100, got %q", phone)
	}
	return nil
}

// maskPhone keeps the last four digits, for the audit log.
func maskPhone(phone string) string {
	if len(phone) <= 4 {
		return phone
	}
	return strings.Repeat("•", len(phone)-4) + phone[len(phone)-4:]
}

func setUserPhone(ctx context.Context, tx *gorm.DB, userID int64, phone string) error {
	if err := tx.WithContext(ctx).Exec(`UPDATE users SET phone = ?, updated_at = now() WHERE id = ?`, phone, userID).Error; err != nil {
		return fmt.Errorf("tenants: set phone: %w", err)
	}
	return nil
}

// countOtherTenants counts the user's memberships in tenants other than tenantID; ctx
// must see them (the system scope).
func countOtherTenants(ctx context.Context, gdb *gorm.DB, tenantID, userID int64) (int64, error) {
	var n int64
	err := gdb.WithContext(ctx).Raw(`SELECT count(*) FROM tenant_members WHERE user_id = ? AND tenant_id <> ?`, userID, tenantID).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("tenants: memberships: %w", err)
	}
	return n, nil
}
