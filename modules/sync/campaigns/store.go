package campaigns

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
)

// maxUTMValue is the longest utm value tracking keeps (in characters); a longer
// mapping could never match.
const maxUTMValue = 256

// Load builds a matcher from the tenant's campaigns (ad platforms' from daily spend,
// under every name they had, the latest first; the CRMs' that are not deleted) and
// mappings.
func Load(ctx context.Context, gdb *gorm.DB, tenantID int64) (*Matcher, error) {
	ctx = db.WithTenant(ctx, tenantID)
	q := gdb.WithContext(ctx)
	var cs []Campaign
	err := q.Raw(`
		SELECT platform, campaign_id AS id, campaign_name AS name
		FROM ad_spend_daily WHERE tenant_id = ?
		GROUP BY platform, campaign_id, campaign_name
		ORDER BY platform, campaign_id, max(day) DESC`, tenantID).Scan(&cs).Error
	if err != nil {
		return nil, fmt.Errorf("campaigns: load ad campaigns: %w", err)
	}
	var crm []Campaign
	err = q.Raw(`
		SELECT source AS platform, external_id AS id, name
		FROM crm_campaigns WHERE tenant_id = ? AND NOT deleted`, tenantID).Scan(&crm).Error
	if err != nil {
		return nil, fmt.Errorf("campaigns: load CRM campaigns: %w", err)
	}
	maps, err := ListMappings(ctx, gdb, tenantID)
	if err != nil {
		return nil, err
	}
	ms := make([]Mapping, len(maps))
	for i, m := range maps {
		ms[i] = m.Mapping
	}
	return NewMatcher(append(cs, crm...), ms), nil
}

// StoredMapping is a mapping as stored, with when it was made.
type StoredMapping struct {
	Mapping
	CreatedAt time.Time `json:"created_at"`
}

// ListMappings returns the tenant's mappings by key and value.
func ListMappings(ctx context.Context, gdb *gorm.DB, tenantID int64) ([]StoredMapping, error) {
	ctx = db.WithTenant(ctx, tenantID)
	var rows []struct {
		UTMKey     string `gorm:"column:utm_key"`
		UTMValue   string `gorm:"column:utm_value"`
		Platform   string `gorm:"column:platform"`
		CampaignID string `gorm:"column:campaign_id"`
		CreatedAt  time.Time
	}
	err := gdb.WithContext(ctx).Raw(`
		SELECT utm_key, utm_value, platform, campaign_id, created_at
		FROM campaign_mappings WHERE tenant_id = ?
		ORDER BY utm_key, utm_value`, tenantID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("campaigns: list mappings: %w", err)
	}
	out := make([]StoredMapping, len(rows))
	for i, r := range rows {
		out[i] = StoredMapping{Mapping{r.UTMKey, r.UTMValue, r.Platform, r.CampaignID}, r.CreatedAt}
	}
	return out, nil
}

// SetMapping maps a utm_campaign or utm_id value to a campaign, replacing any mapping
// of that value. utm_campaign values match ignoring case and spacing, so a mapping
// replaces those that differ from it only so. The campaign need not be known yet: a
// mapping may be made before the platform's spend is synced.
func SetMapping(ctx context.Context, gdb *gorm.DB, tenantID int64, utmKey, utmValue, platform, campaignID string) error {
	ctx = db.WithTenant(ctx, tenantID)
	utmValue, err := checkKeyValue(utmKey, utmValue)
	if err != nil {
		return err
	}
	platform, campaignID = strings.TrimSpace(platform), strings.TrimSpace(campaignID)
	if !validPlatform(platform) {
		return errs.Invalid("platform", "platform must name a source such as google_ads or salesforce")
	}
	if campaignID == "" {
		return errs.Invalid("campaign_id", "campaign_id is required")
	}
	if len(campaignID) > 255 {
		return errs.Invalid("campaign_id", "campaign_id is longer than 255 characters")
	}
	return gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if utmKey == KeyUTMCampaign {
			err := tx.Exec(`DELETE FROM campaign_mappings
				WHERE tenant_id = ? AND utm_key = ? AND lower(utm_value) = lower(?) AND utm_value <> ?`,
				tenantID, utmKey, utmValue, utmValue).Error
			if err != nil {
				return fmt.Errorf("campaigns: replace mapping: %w", err)
			}
		}
		err := tx.Exec(`INSERT INTO campaign_mappings (tenant_id, utm_key, utm_value, platform, campaign_id)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id, utm_key, utm_value)
			DO UPDATE SET platform = EXCLUDED.platform, campaign_id = EXCLUDED.campaign_id`,
			tenantID, utmKey, utmValue, platform, campaignID).Error
		if err != nil {
			return fmt.Errorf("campaigns: set mapping: %w", err)
		}
		return nil
	})
}

// DeleteMapping removes the mapping of a utm value, matched as SetMapping matches it.
func DeleteMapping(ctx context.Context, gdb *gorm.DB, tenantID int64, utmKey, utmValue string) error {
	ctx = db.WithTenant(ctx, tenantID)
	utmValue, err := checkKeyValue(utmKey, utmValue)
	if err != nil {
		return err
	}
	q := `DELETE FROM campaign_mappings WHERE tenant_id = ? AND utm_key = ? AND utm_value = ?`
	if utmKey == KeyUTMCampaign {
		q = `DELETE FROM campaign_mappings WHERE tenant_id = ? AND utm_key = ? AND lower(utm_value) = lower(?)`
	}
	res := gdb.WithContext(ctx).Exec(q, tenantID, utmKey, utmValue)
	if res.Error != nil {
		return fmt.Errorf("campaigns: delete mapping: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return errs.NotFound("no mapping for %s %q", utmKey, utmValue)
	}
	return nil
}

// checkKeyValue validates a mapping's key and value and returns the value as stored:
// trimmed, and for utm_campaign with inner runs of spaces made one, as matching sees it.
func checkKeyValue(utmKey, utmValue string) (string, error) {
	switch utmKey {
	case KeyUTMCampaign:
		utmValue = strings.Join(strings.Fields(utmValue), " ")
	case KeyUTMID:
		utmValue = strings.TrimSpace(utmValue)
	default:
		return "", errs.Invalid("utm_key", "utm_key must be utm_campaign or utm_id")
	}
	switch {
	case utmValue == "":
		return "", errs.Invalid("utm_value", "utm_value is required")
	case !utf8.ValidString(utmValue) || strings.ContainsRune(utmValue, 0):
		return "", errs.Invalid("utm_value", "utm_value is not valid text")
	case utf8.RuneCountInString(utmValue) > maxUTMValue:
		return "", errs.Invalid("utm_value", "utm_value is longer than %d characters, which tracking never keeps", maxUTMValue)
	}
	return utmValue, nil
}

// validPlatform accepts a source name: lower-case letters, digits and underscores.
func validPlatform(p string) bool {
	if p == "" || len(p) > 64 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
