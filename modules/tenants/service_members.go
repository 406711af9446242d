package tenants

import (
	"context"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/authz"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
)

// Policy is the permission enforcer; after changing a membership the service reloads it
// so the change holds at once in this instance (other instances hear of it by
// themselves).
type Policy interface {
	Reload() error
}

// Member is a user's membership of a tenant.
type Member struct {
	UserID int64     `json:"user_id"`
	Email  string    `json:"email"`
	Name   string    `json:"name"`
	Role   string    `json:"role"`
	Since  time.Time `json:"since"`
	// HasPhone says whether sign-in codes can reach them: without a phone nobody can
	// finish signing in with a password.
	HasPhone bool `json:"has_phone"`
}

// Membership is a tenant a user belongs to, for switching between tenants.
type Membership struct {
	TenantID int64  `json:"-"`
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	// Currency is the tenant's reporting currency, for the portal's layout.
	Currency string `json:"-"`
}

// Actor is who changes memberships: a user, or an API token bounded by TokenRole.
type Actor struct {
	UserID     int64
	TokenRole  string
	Name       string
	RemoteAddr string
}

// NewMember is a user to add to a tenant; an unknown email creates the user.
type NewMember struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
	// Phone, when set, is where a new user's sign-in codes go (E.164). An existing
	// user's phone is not changed by being added.
	Phone string `json:"phone"`
}

// Members manages who belongs to a tenant and with which role. Nobody may grant a
// role above their own or change the membership of someone ranked above them (so an
// admin cannot make an owner), and a tenant always keeps an owner. Every change is in
// the audit log, committed with it.
type Members struct {
	db     *gorm.DB
	policy Policy
	log    *slog.Logger
}

// NewMembers builds the service.
func NewMembers(gdb *gorm.DB, policy Policy, log *slog.Logger) *Members {
	return &Members{db: gdb, policy: policy, log: log}
}

// List returns the tenant's members by email.
func (m *Members) List(ctx context.Context, tenantID int64) ([]Member, error) {
	ctx = db.WithTenant(ctx, tenantID)
	return membersOf(ctx, m.db, tenantID)
}

// Add makes a user a member with a role, creating the user when the email is new.
func (m *Members) Add(ctx context.Context, tenantID int64, actor Actor, in NewMember) (Member, error) {
	ctx = db.WithTenant(ctx, tenantID)
	in.Email, in.Name = strings.TrimSpace(in.Email), strings.TrimSpace(in.Name)
	if addr, err := mail.ParseAddress(in.Email); err != nil || addr.Address != in.Email {
		return Member{}, errs.Invalid("email", "%q is not an email address", in.Email)
	}
	if err := checkRole(in.Role); err != nil {
		return Member{}, err
	}
	if in.Phone = strings.TrimSpace(in.Phone); in.Phone != "" {
		if err := checkPhone(in.Phone); err != nil {
			return Member{}, err
		}
	}
	var out Member
	err := m.change(ctx, tenantID, actor, func(tx *gorm.DB, actorRole string) error {
		if err := mayAssign(actorRole, "", in.Role); err != nil {
			return err
		}
		userID, created, err := ensureUser(ctx, tx, in.Email, in.Name)
		if err != nil {
			return err
		}
		if in.Phone != "" {
			if !created {
				return errs.Invalid("phone", "%s already has an account: leave the phone empty and set it with “Set phone”", in.Email)
			}
			if err := setUserPhone(ctx, tx, userID, in.Phone); err != nil {
				return err
			}
		}
		added, err := insertMember(ctx, tx, tenantID, userID, in.Role)
		if err != nil {
			return err
		}
		if !added {
			return errs.Conflict("%s is already a member: change their role instead", in.Email)
		}
		if out, err = memberOf(ctx, tx, tenantID, userID); err != nil {
			return err
		}
		return m.record(ctx, tx, tenantID, actor, "member.added", out,
			map[string]any{"user_id": userID, "role": in.Role, "user_created": created, "phone_set": in.Phone != ""})
	})
	return out, err
}

// SetRole changes a member's role; a user who is no member of this tenant is not found.
func (m *Members) SetRole(ctx context.Context, tenantID int64, actor Actor, userID int64, role string) (Member, error) {
	ctx = db.WithTenant(ctx, tenantID)
	if err := checkRole(role); err != nil {
		return Member{}, err
	}
	var out Member
	err := m.change(ctx, tenantID, actor, func(tx *gorm.DB, actorRole string) error {
		cur, err := memberOf(ctx, tx, tenantID, userID)
		if err != nil {
			return err
		}
		if cur.Role == role {
			out = cur
			return nil
		}
		if err := mayAssign(actorRole, cur.Role, role); err != nil {
			return err
		}
		if err := keepsAnOwner(ctx, tx, tenantID, cur.Role); err != nil {
			return err
		}
		if err := updateRole(ctx, tx, tenantID, userID, role); err != nil {
			return err
		}
		out = cur
		out.Role = role
		return m.record(ctx, tx, tenantID, actor, "member.role_changed", cur,
			map[string]any{"user_id": userID, "from": cur.Role, "to": role})
	})
	return out, err
}

// Remove ends a user's membership; a user who is no member of this tenant is not found.
func (m *Members) Remove(ctx context.Context, tenantID int64, actor Actor, userID int64) error {
	ctx = db.WithTenant(ctx, tenantID)
	return m.change(ctx, tenantID, actor, func(tx *gorm.DB, actorRole string) error {
		cur, err := memberOf(ctx, tx, tenantID, userID)
		if err != nil {
			return err
		}
		if err := mayAssign(actorRole, cur.Role, ""); err != nil {
			return err
		}
		if err := keepsAnOwner(ctx, tx, tenantID, cur.Role); err != nil {
			return err
		}
		if err := deleteMember(ctx, tx, tenantID, userID); err != nil {
			return err
		}
		return m.record(ctx, tx, tenantID, actor, "member.removed", cur,
			map[string]any{"user_id": userID, "role": cur.Role})
	})
}

// TenantsOf lists the tenants a user belongs to, by name.
func (m *Members) TenantsOf(ctx context.Context, userID int64) ([]Membership, error) {
	return membershipsOf(db.WithSystem(ctx), m.db, userID) // a user's memberships span tenants
}

// change runs fn in a transaction that holds the tenant's row lock, so changes of one
// tenant's members happen one at a time (two owners cannot demote each other at
// once), with the actor's role; then it reloads the policy.
func (m *Members) change(ctx context.Context, tenantID int64, actor Actor, fn func(tx *gorm.DB, actorRole string) error) error {
	err := m.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockTenant(ctx, tx, tenantID); err != nil {
			return err
		}
		role, err := actorRole(ctx, tx, tenantID, actor)
		if err != nil {
			return err
		}
		return fn(tx, role)
	})
	if err != nil {
		return err
	}
	if err := m.policy.Reload(); err != nil {
		// Committed all the same; the change notification reloads every instance.
		m.log.Warn("permissions not reloaded after a membership change", "err", err)
	}
	return nil
}

func actorRole(ctx context.Context, tx *gorm.DB, tenantID int64, a Actor) (string, error) {
	role := a.TokenRole
	if a.UserID != 0 {
		own, err := roleOf(ctx, tx, tenantID, a.UserID)
		if err != nil {
			return "", err
		}
		if own == "" {
			return "", errs.Forbidden("you are not a member of this tenant")
		}
		if role == "" {
			role = own
		} else {
			role = authz.LesserRole(own, role)
		}
	}
	if !authz.ValidRole(role) {
		return "", errs.Forbidden("no role to act with")
	}
	return role, nil
}

// mayAssign checks that an actor may move a member from role from ("" for someone
// new) to role to ("" for a removal): neither may rank above the actor's own role.
func mayAssign(actor, from, to string) error {
	if from != "" && rank(from) < rank(actor) {
		return errs.Forbidden("changing or removing a member with the %s role takes that role or a higher one", from)
	}
	if to != "" && rank(to) < rank(actor) {
		return errs.Forbidden("your role (%s) cannot grant the %s role", actor, to)
	}
	return nil
}

// keepsAnOwner refuses to demote or remove the tenant's last owner.
func keepsAnOwner(ctx context.Context, tx *gorm.DB, tenantID int64, from string) error {
	if from != "owner" {
		return nil
	}
	n, err := countOwners(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return errs.Conflict("a tenant needs an owner: make someone else owner first")
	}
	return nil
}

// rank orders the roles: 0 is the owner, higher numbers rank lower.
func rank(role string) int { return slices.Index(config.Roles, role) }

func checkRole(role string) error {
	if !authz.ValidRole(role) {
		return errs.Invalid("role", "role must be one of %s, got %q", strings.Join(config.Roles, ", "), role)
	}
	return nil
}

func (m *Members) record(ctx context.Context, tx *gorm.DB, tenantID int64, actor Actor, action string, target Member, details map[string]any) error {
	return audit.Record(ctx, tx, audit.Entry{TenantID: &tenantID, Actor: actor.Name, Action: action,
		Target: target.Email, RemoteAddr: actor.RemoteAddr, Details: details})
}
