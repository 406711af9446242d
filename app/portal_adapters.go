package app

import (
	"context"
	"slices"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/attribution"
	"github.com/srgplatform/srg/modules/attribution/model"
	"github.com/srgplatform/srg/modules/portal/reports"
	"github.com/srgplatform/srg/modules/sync/campaigns"
	"github.com/srgplatform/srg/modules/tenants"
	"github.com/srgplatform/srg/modules/tracking"
)

// layoutDirectory finds tenants for the pages' layout.
type layoutDirectory struct {
	svc     *tenants.Service
	members *tenants.Members
}

func tenantRef(t tenants.Tenant) web.TenantRef {
	return web.TenantRef{ID: t.ID, Slug: t.Slug, Name: t.Name, Currency: t.Currency}
}

func (d layoutDirectory) Tenant(ctx context.Context, slug string) (web.TenantRef, error) {
	t, err := d.svc.BySlug(ctx, slug)
	return tenantRef(t), err
}

func (d layoutDirectory) Memberships(ctx context.Context, userID int64) ([]web.TenantRef, error) {
	list, err := d.members.TenantsOf(ctx, userID)
	out := make([]web.TenantRef, len(list))
	for i, m := range list {
		out[i] = web.TenantRef{ID: m.TenantID, Slug: m.Slug, Name: m.Name, Currency: m.Currency}
	}
	return out, err
}

// portalModels tells the portal which models a tenant's settings compute.
type portalModels struct{ svc *attribution.Service }

func (a portalModels) Models(ctx context.Context, tenantID int64) (reports.Models, error) {
	st, _, err := a.svc.Settings(ctx, tenantID)
	if err != nil {
		return reports.Models{}, err
	}
	m := reports.Models{All: append(model.Names(), attribution.NameMarkov, attribution.NameShapley), Default: st.DefaultModel}
	m.On = []string{st.DefaultModel}
	for _, name := range st.Models {
		if !slices.Contains(m.On, name) {
			m.On = append(m.On, name)
		}
	}
	return m, nil
}

// portalCampaigns matches tracked campaigns with the sync module's campaign matcher.
type portalCampaigns struct{ db *gorm.DB }

func (a portalCampaigns) MatchCampaigns(ctx context.Context, tenantID int64, keys []reports.CampaignKey) (map[reports.CampaignKey]reports.CampaignRef, error) {
	m, err := campaigns.Load(ctx, a.db, tenantID)
	if err != nil {
		return nil, err
	}
	out := make(map[reports.CampaignKey]reports.CampaignRef, len(keys))
	for _, k := range keys {
		if match, ok := m.Match(campaigns.Touch{UTMCampaign: k.Campaign, UTMSource: k.Source}); ok {
			out[k] = reports.CampaignRef{Platform: match.Platform, ID: match.CampaignID, Name: match.CampaignName}
		}
	}
	return out, nil
}

// trackingSettings lists a tenant's sites for the tracking module's settings pages.
type trackingSettings struct{ tenants *tenants.Service }

func (a trackingSettings) TenantSites(ctx context.Context, slug string) (int64, []tracking.SiteRecord, error) {
	t, err := a.tenants.BySlug(ctx, slug)
	if err != nil {
		return 0, nil, err
	}
	sites, err := a.tenants.Sites(ctx, t.ID)
	if err != nil {
		return 0, nil, err
	}
	out := make([]tracking.SiteRecord, len(sites))
	for i, s := range sites {
		out[i] = tracking.SiteRecord{ID: s.ID, TenantID: s.TenantID, Tenant: t.Slug, Key: s.SiteKey, Name: s.Name, Domains: s.Domains}
	}
	return t.ID, out, nil
}
