package reportstest

import (
	"context"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/portal/reports"
)

// UserID is the fixture's user: a member of acme and of other, not of fresh.
const UserID = 7

// Directory finds the fixture's tenants for the layout, as the tenants module does.
type Directory struct{ DB *gorm.DB }

// Tenant implements web.Directory.
func (d Directory) Tenant(ctx context.Context, slug string) (web.TenantRef, error) {
	var out []web.TenantRef
	if err := d.DB.WithContext(ctx).Raw(`SELECT id, slug, name, currency FROM tenants WHERE slug = ?`, slug).Scan(&out).Error; err != nil {
		return web.TenantRef{}, err
	}
	if len(out) == 0 {
		return web.TenantRef{}, errs.NotFound("no tenant %q", slug)
	}
	return out[0], nil
}

// Memberships implements web.Directory. A user's memberships span tenants: they are
// read under the system scope.
func (d Directory) Memberships(ctx context.Context, userID int64) ([]web.TenantRef, error) {
	var out []web.TenantRef
	err := d.DB.WithContext(db.WithSystem(ctx)).Raw(`SELECT t.id, t.slug, t.name, t.currency FROM tenant_members m JOIN tenants t ON t.id = m.tenant_id
		WHERE m.user_id = ? ORDER BY t.name`, userID).Scan(&out).Error
	return out, err
}

// Models computes linear (the default) and first_touch for every tenant.
type Models struct{}

// AllModels are the models the platform knows, as the attribution module lists them.
var AllModels = []string{"first_touch", "last_touch", "last_non_direct", "linear", "position_based", "u_shaped", "w_shaped",
	"full_path", "j_shaped", "inverse_j", "time_decay", "custom", "markov", "shapley"}

// Models implements the portal's Models.
func (Models) Models(context.Context, int64) (reports.Models, error) {
	return reports.Models{All: AllModels, On: []string{"linear", "first_touch"}, Default: "linear"}, nil
}
