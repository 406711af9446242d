package tracking

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/modules/tracking/channel"
)

// DefaultDownloadExtensions are the file types whose links count as downloads; a
// site's settings add to them.
var DefaultDownloadExtensions = []string{"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "csv", "zip"}

// Settings are a site's tracker settings, served to the tracker at /t/config/{key}.
type Settings struct {
	ConsentRequired    bool     `json:"consent_required"`
	HonorDNT           bool     `json:"honor_dnt"`
	DownloadExtensions []string `json:"download_extensions"`
	FormFields         []string `json:"form_fields"`
}

func defaultSettings() Settings {
	return Settings{HonorDNT: true, DownloadExtensions: DefaultDownloadExtensions, FormFields: []string{}}
}

type store struct{ db *gorm.DB }

func (s store) settings(ctx context.Context, siteID int64) (Settings, error) {
	var row struct {
		ConsentRequired    bool
		HonorDNT           bool `gorm:"column:honor_dnt"`
		DownloadExtensions db.StringArray
		FormFields         db.StringArray
	}
	res := s.db.WithContext(ctx).Raw(`SELECT consent_required, honor_dnt, download_extensions, form_fields
		FROM tracking_site_settings WHERE site_id = ?`, siteID).Scan(&row)
	if res.Error != nil {
		return Settings{}, fmt.Errorf("tracking: site settings: %w", res.Error)
	}
	st := defaultSettings()
	if res.RowsAffected == 0 {
		return st, nil
	}
	st.ConsentRequired, st.HonorDNT = row.ConsentRequired, row.HonorDNT
	st.DownloadExtensions = mergeUnique(DefaultDownloadExtensions, row.DownloadExtensions)
	st.FormFields = append([]string{}, row.FormFields...)
	return st, nil
}

func (s store) saveSettings(ctx context.Context, site SiteRecord, st Settings) error {
	err := s.db.WithContext(ctx).Exec(`
		INSERT INTO tracking_site_settings (site_id, tenant_id, consent_required, honor_dnt, download_extensions, form_fields)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (site_id) DO UPDATE SET consent_required = EXCLUDED.consent_required, honor_dnt = EXCLUDED.honor_dnt,
			download_extensions = EXCLUDED.download_extensions, form_fields = EXCLUDED.form_fields, updated_at = now()`,
		site.ID, site.TenantID, st.ConsentRequired, st.HonorDNT, db.StringArray(st.DownloadExtensions), db.StringArray(st.FormFields)).Error
	if err != nil {
		return fmt.Errorf("tracking: save site settings: %w", err)
	}
	return nil
}

// rules returns a tenant's channel rules, the default table when it has none.
func (s store) rules(ctx context.Context, tenantID int64) (channel.Rules, error) {
	var raw []byte
	err := s.db.WithContext(ctx).Raw(`SELECT rules FROM channel_rules WHERE tenant_id = ?`, tenantID).Row().Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return channel.Default(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("tracking: channel rules: %w", err)
	}
	var r channel.Rules
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("tracking: channel rules of tenant %d: %w", tenantID, err)
	}
	return r, nil
}

func (s store) saveRules(ctx context.Context, tenantID int64, r channel.Rules) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("tracking: channel rules: %w", err)
	}
	err = s.db.WithContext(ctx).Exec(`
		INSERT INTO channel_rules (tenant_id, rules) VALUES (?, ?::jsonb)
		ON CONFLICT (tenant_id) DO UPDATE SET rules = EXCLUDED.rules, updated_at = now()`, tenantID, string(raw)).Error
	if err != nil {
		return fmt.Errorf("tracking: save channel rules: %w", err)
	}
	return nil
}

func (s store) reject(ctx context.Context, tenantID int64, eventID string, doc []byte, reason string) error {
	err := s.db.WithContext(ctx).Exec(`INSERT INTO tracking_rejects (tenant_id, event_id, document, error) VALUES (?, ?, ?::jsonb, ?)`,
		tenantID, eventID, string(doc), reason).Error
	if err != nil {
		return fmt.Errorf("tracking: record rejected event: %w", err)
	}
	return nil
}

func mergeUnique(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range [][]string{a, b} {
		for _, v := range list {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}
