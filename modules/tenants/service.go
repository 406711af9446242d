package tenants

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
)

// Service manages tenants.
type Service struct {
	db      *gorm.DB
	indices Indices
	log     *slog.Logger
	// policy, when set, is reloaded after Provision changes a membership.
	policy Policy
}

// NewService builds the service.
func NewService(gdb *gorm.DB, indices Indices, log *slog.Logger) *Service {
	return &Service{db: gdb, indices: indices, log: log}
}

// ApplyResult counts what applying declarations did.
type ApplyResult struct {
	TenantsCreated, SitesCreated, UsersCreated int
	// Changed counts every row created or updated.
	Changed int
}

// Apply creates or updates the declared tenants, sites, users and memberships in one
// transaction. Applying the same declarations again changes nothing.
func (s *Service) Apply(ctx context.Context, decl []config.Tenant) (ApplyResult, error) {
	var res ApplyResult
	ctx = db.WithSystem(ctx) // the config file declares every tenant
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, t := range decl {
			if err := applyTenant(ctx, tx, t, &res); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ApplyResult{}, fmt.Errorf("tenants: apply config: %w", err)
	}
	return res, nil
}

func applyTenant(ctx context.Context, tx *gorm.DB, t config.Tenant, res *ApplyResult) error {
	tenantID, created, changed, err := upsertTenant(ctx, tx, t.Slug, t.Name, t.Currency)
	if err != nil {
		return err
	}
	note := func(action, target string) error {
		res.Changed++
		return audit.Record(ctx, tx, audit.Entry{TenantID: &tenantID, Actor: "config", Action: action, Target: target})
	}
	if created {
		res.TenantsCreated++
	}
	if changed {
		if err := note(verb("tenant", created), t.Slug); err != nil {
			return err
		}
	}
	for _, site := range t.Sites {
		_, created, changed, err := upsertSite(ctx, tx, tenantID, site.Key, site.Name, site.Domains)
		if err != nil {
			return err
		}
		if created {
			res.SitesCreated++
		}
		if changed {
			if err := note(verb("site", created), site.Key); err != nil {
				return err
			}
		}
	}
	for _, a := range t.Admins {
		userID, created, changed, err := upsertUser(ctx, tx, a.Email, a.Name, a.Phone)
		if err != nil {
			return err
		}
		if created {
			res.UsersCreated++
		}
		if changed {
			if err := note(verb("user", created), a.Email); err != nil {
				return err
			}
		}
		role := a.Role
		if role == "" {
			role = "owner"
		}
		_, changed, err = upsertMember(ctx, tx, tenantID, userID, role)
		if err != nil {
			return err
		}
		if changed {
			if err := note("member.role_set", fmt.Sprintf("%s=%s", a.Email, role)); err != nil {
				return err
			}
		}
	}
	return nil
}

func verb(noun string, created bool) string {
	if created {
		return noun + ".created"
	}
	return noun + ".updated"
}

// EnsureAllIndices creates any missing Elasticsearch index of every tenant.
func (s *Service) EnsureAllIndices(ctx context.Context) error {
	list, err := listTenants(ctx, s.db)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range list {
		if err := s.indices.EnsureTenant(ctx, t.Slug); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.Slug, err))
		}
	}
	return errors.Join(errs...)
}

// List returns every tenant.
func (s *Service) List(ctx context.Context) ([]Tenant, error) {
	return listTenants(ctx, s.db)
}

// Sites returns a tenant's sites.
func (s *Service) Sites(ctx context.Context, tenantID int64) ([]Site, error) {
	ctx = db.WithTenant(ctx, tenantID)
	return sitesOf(ctx, s.db, tenantID)
}

// SiteWithTenant is a site and the slug of its tenant.
type SiteWithTenant struct {
	Site
	TenantSlug string
}

// SiteByKey finds a site by its key; an unknown key is errs.NotFound.
func (s *Service) SiteByKey(ctx context.Context, key string) (SiteWithTenant, error) {
	var row SiteWithTenant
	// The key names the tenant: the site is found across them.
	res := s.db.WithContext(db.WithSystem(ctx)).Raw(`
		SELECT s.id, s.tenant_id, s.site_key, s.name, s.domains, t.slug AS tenant_slug
		FROM sites s JOIN tenants t ON t.id = s.tenant_id WHERE s.site_key = ?`, key).Scan(&row)
	if res.Error != nil {
		return SiteWithTenant{}, fmt.Errorf("tenants: site %q: %w", key, res.Error)
	}
	if res.RowsAffected == 0 {
		return SiteWithTenant{}, errs.NotFound("unknown site %q", key)
	}
	return row, nil
}

// BySlug returns the tenant with this slug.
func (s *Service) BySlug(ctx context.Context, slug string) (Tenant, error) {
	return s.tenantWhere(ctx, "slug", slug, fmt.Sprintf("no tenant %q", slug))
}

// TenantID returns the id of the tenant with this slug, errs.NotFound for none; it
// resolves the :tenant of routes.
func (s *Service) TenantID(ctx context.Context, slug string) (int64, error) {
	t, err := s.BySlug(ctx, slug)
	return t.ID, err
}

// ByID returns the tenant with this id.
func (s *Service) ByID(ctx context.Context, id int64) (Tenant, error) {
	return s.tenantWhere(ctx, "id", id, fmt.Sprintf("no tenant %d", id))
}

// tenantWhere returns the tenant whose column (id or slug) is value, errs.NotFound
// with notFound for none.
func (s *Service) tenantWhere(ctx context.Context, column string, value any, notFound string) (Tenant, error) {
	var out []Tenant
	if err := s.db.WithContext(ctx).Raw(`SELECT id, slug, name, currency FROM tenants WHERE `+column+` = ?`, value).Scan(&out).Error; err != nil {
		return Tenant{}, fmt.Errorf("tenants: by %s: %w", column, err)
	}
	if len(out) == 0 {
		return Tenant{}, errs.NotFound("%s", notFound)
	}
	return out[0], nil
}

// AuditLog pages through the tenant's audit log, newest first (audit.List).
func (s *Service) AuditLog(ctx context.Context, tenantID, before int64, limit int) ([]audit.Logged, bool, error) {
	ctx = db.WithTenant(ctx, tenantID)
	return audit.List(ctx, s.db, tenantID, before, limit)
}
