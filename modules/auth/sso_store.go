package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
)

// The auth module owns tenant_sso, sso_logins and sessions.sso_tenant_id.

// Sources of SSO settings.
const (
	sourceConfig = "config"
	sourceAPI    = "api"
)

// ssoRow is a tenant's stored SSO settings; ClientSecret is sealed.
type ssoRow struct {
	TenantID       int64
	IssuerURL      string
	ClientID       string
	ClientSecret   []byte
	AllowedDomains db.StringArray
	GroupsClaim    string
	GroupRoles     []byte
	Source         string
	UpdatedAt      time.Time
}

func (r ssoRow) roles() (map[string]string, error) {
	out := map[string]string{}
	if err := json.Unmarshal(r.GroupRoles, &out); err != nil {
		return nil, fmt.Errorf("auth: group roles of tenant %d: %w", r.TenantID, err)
	}
	return out, nil
}

func ssoOf(ctx context.Context, tx *gorm.DB, tenantID int64) (ssoRow, bool, error) {
	var out []ssoRow
	err := tx.WithContext(ctx).Raw(`SELECT tenant_id, issuer_url, client_id, client_secret, allowed_domains, groups_claim, group_roles, source, updated_at
		FROM tenant_sso WHERE tenant_id = ?`, tenantID).Scan(&out).Error
	if err != nil {
		return ssoRow{}, false, fmt.Errorf("auth: find sso settings: %w", err)
	}
	if len(out) == 0 {
		return ssoRow{}, false, nil
	}
	return out[0], true, nil
}

func ssoTenantsFrom(ctx context.Context, tx *gorm.DB, source string) ([]int64, error) {
	var ids []int64
	if err := tx.WithContext(ctx).Raw(`SELECT tenant_id FROM tenant_sso WHERE source = ?`, source).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("auth: list sso settings: %w", err)
	}
	return ids, nil
}

func saveSSO(ctx context.Context, tx *gorm.DB, r ssoRow) error {
	// The first value is not a []byte: gorm would expand a slice right after "(".
	err := tx.WithContext(ctx).Exec(`INSERT INTO tenant_sso (tenant_id, issuer_url, client_id, client_secret, allowed_domains, groups_claim, group_roles, source, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET issuer_url = EXCLUDED.issuer_url, client_id = EXCLUDED.client_id,
			client_secret = EXCLUDED.client_secret, allowed_domains = EXCLUDED.allowed_domains, groups_claim = EXCLUDED.groups_claim,
			group_roles = EXCLUDED.group_roles, source = EXCLUDED.source, updated_at = EXCLUDED.updated_at`,
		r.TenantID, r.IssuerURL, r.ClientID, r.ClientSecret, r.AllowedDomains, r.GroupsClaim, string(r.GroupRoles), r.Source, r.UpdatedAt).Error
	if err != nil {
		return fmt.Errorf("auth: save sso settings: %w", err)
	}
	return nil
}

// deleteSSO removes a tenant's settings, its pending sign-ins and the sessions its
// provider started; it returns how many sessions ended.
func deleteSSO(ctx context.Context, tx *gorm.DB, tenantID int64) (int64, error) {
	for _, q := range []string{`DELETE FROM tenant_sso WHERE tenant_id = ?`, `DELETE FROM sso_logins WHERE tenant_id = ?`} {
		if err := tx.WithContext(ctx).Exec(q, tenantID).Error; err != nil {
			return 0, fmt.Errorf("auth: delete sso settings: %w", err)
		}
	}
	res := tx.WithContext(ctx).Exec(`DELETE FROM sessions WHERE sso_tenant_id = ?`, tenantID)
	if res.Error != nil {
		return 0, fmt.Errorf("auth: end sso sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// ssoLogin is a sign-in sent to a tenant's identity provider.
type ssoLogin struct {
	TenantID     int64
	Nonce        string
	CodeVerifier string
	Next         string
	ExpiresAt    time.Time
}

func createSSOLogin(ctx context.Context, tx *gorm.DB, state string, l ssoLogin, ip string, now time.Time) error {
	err := tx.WithContext(db.WithTenant(ctx, l.TenantID)).Exec(`INSERT INTO sso_logins (tenant_id, state_hash, nonce, code_verifier, next, remote_addr, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, l.TenantID, tokenHash(state), l.Nonce, l.CodeVerifier, l.Next, ip, now, l.ExpiresAt).Error
	if err != nil {
		return fmt.Errorf("auth: create sso sign-in: %w", err)
	}
	return nil
}

// takeSSOLogin deletes and returns the sign-in with this state, so it is used once. The
// state names the tenant: it is found across them.
func takeSSOLogin(ctx context.Context, tx *gorm.DB, state string) (ssoLogin, bool, error) {
	var out []ssoLogin
	err := tx.WithContext(db.WithSystem(ctx)).Raw(`DELETE FROM sso_logins WHERE state_hash = ? RETURNING tenant_id, nonce, code_verifier, next, expires_at`,
		tokenHash(state)).Scan(&out).Error
	if err != nil {
		return ssoLogin{}, false, fmt.Errorf("auth: take sso sign-in: %w", err)
	}
	if len(out) == 0 {
		return ssoLogin{}, false, nil
	}
	return out[0], true, nil
}

func countSSOLoginsFrom(ctx context.Context, tx *gorm.DB, ip string, since time.Time) (int, time.Time, error) {
	var row struct {
		N      int
		Oldest *time.Time
	}
	err := tx.WithContext(db.WithSystem(ctx)).Raw(`SELECT count(*) AS n, min(created_at) AS oldest FROM sso_logins WHERE remote_addr = ? AND created_at > ?`, ip, since).Scan(&row).Error
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("auth: count sso sign-ins: %w", err)
	}
	if row.Oldest == nil {
		return row.N, time.Time{}, nil
	}
	return row.N, *row.Oldest, nil
}
