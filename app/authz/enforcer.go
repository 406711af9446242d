package authz

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/casbin/casbin/v2"
	gormadapter "github.com/casbin/gorm-adapter/v3"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/db"
)

// Deps are what an Enforcer needs.
type Deps struct {
	DB *gorm.DB
	// DatabaseURL opens the dedicated connection that listens for changes.
	DatabaseURL string
	Definitions Definitions
	Log         *slog.Logger
}

// Enforcer answers permission questions from memory: the matrix of casbin_rule and
// the memberships of tenant_members, reloaded whenever either changes in any instance.
type Enforcer struct {
	db   *gorm.DB
	dsn  string
	defs Definitions
	log  *slog.Logger
	e    *casbin.SyncedEnforcer

	// reloading serializes reloads, so an older snapshot never replaces a newer one.
	reloading sync.Mutex

	stop context.CancelFunc
	done chan struct{}
}

// New builds an enforcer that allows nothing until Start loads the policy; it does not
// touch the database, so a process with pending migrations can still be built.
func New(d Deps) (*Enforcer, error) {
	e, err := casbin.NewSyncedEnforcer(d.Definitions.Model.Copy())
	if err != nil {
		return nil, fmt.Errorf("authz: %w", err)
	}
	// Set after construction: given to the constructor, Casbin would load at once.
	e.SetAdapter(&store{db: d.DB})
	e.EnableAutoSave(false)
	return &Enforcer{db: d.DB, dsn: d.DatabaseURL, defs: d.Definitions, log: d.Log, e: e}, nil
}

// Start makes the casbin_rule matrix equal to the definitions' rules, loads the policy
// and memberships, and keeps them current until ctx ends or Close.
func (e *Enforcer) Start(ctx context.Context) error {
	if err := e.ApplyRules(ctx, e.defs.Rules, e.defs.Source); err != nil {
		return err
	}
	ctx, e.stop = context.WithCancel(ctx)
	e.done = make(chan struct{})
	ready := make(chan error, 1)
	go func() {
		defer close(e.done)
		e.watch(ctx, ready)
	}()
	select {
	case err := <-ready:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops following changes.
func (e *Enforcer) Close() {
	if e.stop != nil {
		e.stop()
		<-e.done
	}
}

// Reload reads the matrix and the memberships again. Changes reach every instance by
// themselves; a writer calls Reload to see its own change at once.
func (e *Enforcer) Reload() error {
	e.reloading.Lock()
	defer e.reloading.Unlock()
	if err := e.e.LoadPolicy(); err != nil {
		return fmt.Errorf("authz: load policy: %w", err)
	}
	return nil
}

// ApplyRules replaces the matrix in casbin_rule with rules, in one transaction, when it
// differs, and records the change in the audit log. Instances starting together apply
// one after the other.
func (e *Enforcer) ApplyRules(ctx context.Context, rules []Rule, source string) error {
	// The matrix belongs to no tenant, and neither does its audit entry: writing a row of
	// no tenant into audit_log takes the system scope, fixed when the transaction begins.
	ctx = db.WithSystem(ctx)
	err := e.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtext('srg.authz.rules'))`).Error; err != nil {
			return err
		}
		var stored []gormadapter.CasbinRule
		if err := tx.Table(ruleTable).Where("ptype = ?", "p").Find(&stored).Error; err != nil {
			return err
		}
		want := map[Rule]bool{}
		for _, r := range rules {
			want[r] = true
		}
		var removed [][]string
		for _, s := range stored {
			r := Rule{Role: s.V0, Tenant: s.V1, Resource: s.V2, Action: s.V3}
			if want[r] && s.V4 == "" && s.V5 == "" {
				delete(want, r)
				continue
			}
			removed = append(removed, []string{s.V0, s.V1, s.V2, s.V3, s.V4, s.V5})
		}
		if len(want) == 0 && len(removed) == 0 {
			return nil
		}
		a, err := adapterOn(tx)
		if err != nil {
			return err
		}
		for _, r := range removed {
			if err := a.RemovePolicy("p", "p", trimEmpty(r)); err != nil {
				return err
			}
		}
		var added [][]string
		for _, r := range rules {
			if want[r] {
				added = append(added, r.values())
			}
		}
		if len(added) > 0 {
			if err := a.AddPolicies("p", "p", added); err != nil {
				return err
			}
		}
		e.log.Info("permission matrix updated", "source", source, "added", len(added), "removed", len(removed))
		return audit.Record(ctx, tx, audit.Entry{Actor: "config", Action: "permissions.updated", Target: source,
			Details: map[string]any{"added": len(added), "removed": len(removed)}})
	})
	if err != nil {
		return fmt.Errorf("authz: apply permission matrix: %w", err)
	}
	return nil
}

func trimEmpty(v []string) []string {
	for len(v) > 0 && v[len(v)-1] == "" {
		v = v[:len(v)-1]
	}
	return v
}

// RoleOf returns the user's role in the tenant, and false when they are no member.
func (e *Enforcer) RoleOf(userID, tenantID int64) (string, bool) {
	roles := e.e.GetRolesForUserInDomain(subject(userID), domain(tenantID))
	if len(roles) == 0 {
		return "", false
	}
	return roles[0], true
}

// UserMay reports whether the user's role in the tenant allows action on resource.
func (e *Enforcer) UserMay(userID, tenantID int64, resource, action string) (bool, error) {
	return e.enforce(subject(userID), tenantID, resource, action)
}

// RoleMay reports whether role allows action on resource in the tenant.
func (e *Enforcer) RoleMay(role string, tenantID int64, resource, action string) (bool, error) {
	if !ValidRole(role) {
		return false, nil
	}
	return e.enforce(role, tenantID, resource, action)
}

func (e *Enforcer) enforce(sub string, tenantID int64, resource, action string) (bool, error) {
	ok, err := e.e.Enforce(sub, domain(tenantID), resource, action)
	if err != nil {
		return false, fmt.Errorf("authz: enforce: %w", err)
	}
	return ok, nil
}
