package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/modules/identity"
	"github.com/srgplatform/srg/modules/tenants"
	"github.com/srgplatform/srg/modules/tracking"
)

// The adapters below let a module use another's service through the small interface
// the consumer declares, without either importing the other.

type trackingSites struct{ svc *tenants.Service }

func (a trackingSites) SiteByKey(ctx context.Context, key string) (tracking.SiteRecord, error) {
	s, err := a.svc.SiteByKey(ctx, key)
	if err != nil {
		return tracking.SiteRecord{}, err
	}
	return tracking.SiteRecord{ID: s.ID, TenantID: s.TenantID, Tenant: s.TenantSlug, Key: s.SiteKey, Domains: s.Domains}, nil
}

type trackingIdentities struct{ svc *identity.Service }

func (a trackingIdentities) Identify(ctx context.Context, tenantID int64, tenant, visitorID, email string, traits map[string]any, seenAt time.Time) (tracking.Identity, error) {
	id, err := a.svc.Identify(ctx, tenantID, tenant, visitorID, email, traits, seenAt)
	return tracking.Identity(id), err
}

func (a trackingIdentities) Lookup(ctx context.Context, tenantID int64, visitorIDs []string) (map[string]tracking.Identity, error) {
	found, err := a.svc.Lookup(ctx, tenantID, visitorIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]tracking.Identity, len(found))
	for v, id := range found {
		out[v] = tracking.Identity(id)
	}
	return out, nil
}

type syncTenants struct{ svc *tenants.Service }

func (a syncTenants) TenantID(ctx context.Context, slug string) (int64, error) {
	t, err := a.svc.BySlug(ctx, slug)
	return t.ID, err
}

type syncTouchpoints struct{ search *search.Client }

func (a syncTouchpoints) Identified(ctx context.Context, tenant string, personIDs []string, from, to time.Time, after string, size int) ([]json.RawMessage, string, error) {
	return a.search.IdentifiedTouchpoints(ctx, tenant, search.TouchpointQuery{PersonIDs: personIDs, ReceivedFrom: from, ReceivedTo: to}, after, size)
}
