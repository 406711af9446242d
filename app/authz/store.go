package authz

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	gormadapter "github.com/casbin/gorm-adapter/v3"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
)

// ruleTable is the gorm adapter's table, created by migration 00006 (the adapter's own
// AutoMigrate is turned off: schema changes go through migrations/).
const ruleTable = "casbin_rule"

// loadTimeout bounds one reload of the policy.
const loadTimeout = 30 * time.Second

// errReadOnly answers Casbin's auto-save calls: the matrix changes through ApplyRules
// and roles through tenant_members, never through the enforcer.
var errReadOnly = errors.New("authz: the enforcer does not write policies; change tenant_members or the policy file")

// store is the Casbin adapter of SRG: the p rules come from casbin_rule through the
// gorm adapter, and one g rule per row of tenant_members, both read in one snapshot.
type store struct{ db *gorm.DB }

var _ persist.Adapter = (*store)(nil)

// adapterOn returns the gorm adapter over tx, without its AutoMigrate.
func adapterOn(tx *gorm.DB) (*gormadapter.Adapter, error) {
	d := tx.Session(&gorm.Session{})
	gormadapter.TurnOffAutoMigrate(d)
	a, err := gormadapter.NewAdapterByDBUseTableName(d, "", ruleTable)
	if err != nil {
		return nil, fmt.Errorf("authz: gorm adapter: %w", err)
	}
	return a, nil
}

// LoadPolicy implements persist.Adapter.
func (s *store) LoadPolicy(m model.Model) error {
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	// Every tenant's memberships make the one policy.
	return s.db.WithContext(db.WithSystem(ctx)).Transaction(func(tx *gorm.DB) error {
		a, err := adapterOn(tx)
		if err != nil {
			return err
		}
		if err := a.LoadFilteredPolicy(m, gormadapter.Filter{Ptype: []string{"p"}}); err != nil {
			return fmt.Errorf("authz: load rules: %w", err)
		}
		rows, err := tx.Raw(`SELECT user_id, tenant_id, role FROM tenant_members`).Rows()
		if err != nil {
			return fmt.Errorf("authz: load memberships: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var userID, tenantID int64
			var role string
			if err := rows.Scan(&userID, &tenantID, &role); err != nil {
				return fmt.Errorf("authz: load memberships: %w", err)
			}
			if err := persist.LoadPolicyArray([]string{"g", subject(userID), role, domain(tenantID)}, m); err != nil {
				return err
			}
		}
		return rows.Err()
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
}

// SavePolicy implements persist.Adapter.
func (s *store) SavePolicy(model.Model) error { return errReadOnly }

// AddPolicy implements persist.Adapter.
func (s *store) AddPolicy(string, string, []string) error { return errReadOnly }

// RemovePolicy implements persist.Adapter.
func (s *store) RemovePolicy(string, string, []string) error { return errReadOnly }

// RemoveFilteredPolicy implements persist.Adapter.
func (s *store) RemoveFilteredPolicy(string, string, int, ...string) error { return errReadOnly }
