package tenants

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
)

// Tenant is a customer workspace.
type Tenant struct {
	ID   int64
	Slug string
	Name string
	// Currency is the ISO 4217 code the portal shows the tenant's amounts in.
	Currency string
}

// Site is a tracked website of a tenant.
type Site struct {
	ID       int64
	TenantID int64
	SiteKey  string
	Name     string
	Domains  db.StringArray
}

// upsertTenant creates or updates a tenant by slug; created reports an insert and
// changed any write. An empty currency keeps the tenant's (USD for a new one).
func upsertTenant(ctx context.Context, tx *gorm.DB, slug, name, currency string) (id int64, created, changed bool, err error) {
	return upsert(ctx, tx, `
		INSERT INTO tenants (slug, name, currency) VALUES (@slug, @name, COALESCE(NULLIF(@currency, ''), 'USD'))
		ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name,
			currency = COALESCE(NULLIF(@currency, ''), tenants.currency), updated_at = now()
		WHERE (tenants.name, tenants.currency) IS DISTINCT FROM (EXCLUDED.name, COALESCE(NULLIF(@currency, ''), tenants.currency))
		RETURNING id, (xmax = 0) AS created`,
		`SELECT id FROM tenants WHERE slug = ?`, []any{map[string]any{"slug": slug, "name": name, "currency": currency}}, []any{slug})
}

func upsertSite(ctx context.Context, tx *gorm.DB, tenantID int64, key, name string, domains []string) (id int64, created, changed bool, err error) {
	var owner int64
	err = tx.WithContext(ctx).Raw(`SELECT tenant_id FROM sites WHERE site_key = ?`, key).Scan(&owner).Error
	if err != nil {
		return 0, false, false, fmt.Errorf("tenants: look up site %s: %w", key, err)
	}
	if owner != 0 && owner != tenantID {
		return 0, false, false, errs.Conflict("site key %q already belongs to another tenant", key)
	}
	return upsert(ctx, tx, `
		INSERT INTO sites (tenant_id, site_key, name, domains) VALUES (?, ?, ?, ?)
		ON CONFLICT (site_key) DO UPDATE SET name = EXCLUDED.name, domains = EXCLUDED.domains, updated_at = now()
		WHERE (sites.name, sites.domains) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.domains)
		RETURNING id, (xmax = 0) AS created`,
		`SELECT id FROM sites WHERE site_key = ?`, []any{tenantID, key, name, db.StringArray(domains)}, []any{key})
}

func upsertUser(ctx context.Context, tx *gorm.DB, email, name, phone string) (id int64, created, changed bool, err error) {
	return upsert(ctx, tx, `
		INSERT INTO users (email, name, phone) VALUES (?, ?, ?)
		ON CONFLICT ((lower(email))) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone, updated_at = now()
		WHERE (users.name, users.phone) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.phone)
		RETURNING id, (xmax = 0) AS created`,
		`SELECT id FROM users WHERE lower(email) = lower(?)`, []any{email, name, phone}, []any{email})
}

func upsertMember(ctx context.Context, tx *gorm.DB, tenantID, userID int64, role string) (created, changed bool, err error) {
	_, created, changed, err = upsert(ctx, tx, `
		INSERT INTO tenant_members (tenant_id, user_id, role) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = EXCLUDED.role, updated_at = now()
		WHERE tenant_members.role IS DISTINCT FROM EXCLUDED.role
		RETURNING user_id AS id, (xmax = 0) AS created`,
		`SELECT user_id AS id FROM tenant_members WHERE tenant_id = ? AND user_id = ?`,
		[]any{tenantID, userID, role}, []any{tenantID, userID})
	return created, changed, err
}

// upsert runs an INSERT ... ON CONFLICT DO UPDATE ... WHERE changed RETURNING id,
// created; when nothing changed the statement returns no row and lookup finds the id.
func upsert(ctx context.Context, tx *gorm.DB, stmt, lookup string, args, lookupArgs []any) (int64, bool, bool, error) {
	var row struct {
		ID      int64
		Created bool
	}
	res := tx.WithContext(ctx).Raw(stmt, args...).Scan(&row)
	if res.Error != nil {
		return 0, false, false, fmt.Errorf("tenants: upsert: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		return row.ID, row.Created, true, nil
	}
	if err := tx.WithContext(ctx).Raw(lookup, lookupArgs...).Scan(&row).Error; err != nil {
		return 0, false, false, fmt.Errorf("tenants: upsert lookup: %w", err)
	}
	if row.ID == 0 {
		return 0, false, false, errors.New("tenants: upsert found no row")
	}
	return row.ID, false, false, nil
}

func listTenants(ctx context.Context, tx *gorm.DB) ([]Tenant, error) {
	var out []Tenant
	if err := tx.WithContext(ctx).Raw(`SELECT id, slug, name, currency FROM tenants ORDER BY slug`).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("tenants: list: %w", err)
	}
	return out, nil
}

func sitesOf(ctx context.Context, tx *gorm.DB, tenantID int64) ([]Site, error) {
	var out []Site
	err := tx.WithContext(ctx).Raw(`SELECT id, tenant_id, site_key, name, domains FROM sites WHERE tenant_id = ? ORDER BY site_key`, tenantID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("tenants: sites: %w", err)
	}
	return out, nil
}
