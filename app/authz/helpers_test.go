package authz_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/authz"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/errs"
)

// world is a database with two tenants, acme and globex, and one user per role in
// acme ("owner@acme.test", ...), plus "both@x.test", viewer in acme and owner in globex.
type world struct {
	cfg     config.Config
	db      *gorm.DB
	tenants map[string]int64
	users   map[string]int64
}

func newWorld(t *testing.T) world {
	t.Helper()
	cfg := apptest.Config(t)
	w := world{cfg: cfg, db: apptest.DB(t, cfg), tenants: map[string]int64{}, users: map[string]int64{}}
	for _, slug := range []string{"acme", "globex"} {
		w.tenants[slug] = w.insert(t, `INSERT INTO tenants (slug, name) VALUES (?, ?) RETURNING id`, slug, slug)
	}
	for _, role := range config.Roles {
		w.member(t, role+"@acme.test", "acme", role)
	}
	w.member(t, "both@x.test", "acme", "viewer")
	w.member(t, "both@x.test", "globex", "owner")
	return w
}

// insert runs a fixture query that returns an id, under the system scope (fixtures
// span both tenants).
func (w world) insert(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := apptest.System(w.db).Raw(q, args...).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

// member makes the user (created on first use) a member of the tenant.
func (w world) member(t *testing.T, email, tenant, role string) {
	t.Helper()
	if _, ok := w.users[email]; !ok {
		w.users[email] = w.insert(t, `INSERT INTO users (email) VALUES (?) RETURNING id`, email)
	}
	w.exec(t, `INSERT INTO tenant_members (tenant_id, user_id, role) VALUES (?, ?, ?)`, w.tenants[tenant], w.users[email], role)
}

// exec runs a fixture statement under the system scope.
func (w world) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if err := apptest.System(w.db).Exec(q, args...).Error; err != nil {
		t.Fatal(err)
	}
}

// enforcer starts an enforcer on the world's database with the built-in definitions.
func (w world) enforcer(t *testing.T) *authz.Enforcer {
	t.Helper()
	return apptest.Enforcer(t, w.cfg, w.db)
}

func (w world) enforcerWith(t *testing.T, defs authz.Definitions) *authz.Enforcer {
	t.Helper()
	return apptest.EnforcerWith(t, w.cfg, w.db, defs)
}

// TenantID implements authz.Tenants over the world's database.
func (w world) TenantID(ctx context.Context, slug string) (int64, error) {
	var ids []int64
	if err := w.db.WithContext(ctx).Raw(`SELECT id FROM tenants WHERE slug = ?`, slug).Scan(&ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, errs.NotFound("no tenant %q", slug)
	}
	return ids[0], nil
}

func builtin(t *testing.T) authz.Definitions {
	t.Helper()
	d, err := authz.LoadDefinitions(config.Access{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}
