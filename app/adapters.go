package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/modules/attribution"
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
	return tracking.SiteRecord{ID: s.ID, TenantID: s.TenantID, Tenant: s.TenantSlug, Key: s.SiteKey, Name: s.Name, Domains: s.Domains}, nil
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

type syncTouchpoints struct{ search *search.Client }

func (a syncTouchpoints) Identified(ctx context.Context, tenant string, personIDs []string, from, to time.Time, after string, size int) ([]json.RawMessage, string, error) {
	return a.search.IdentifiedTouchpoints(ctx, tenant, search.TouchpointQuery{PersonIDs: personIDs, ReceivedFrom: from, ReceivedTo: to}, after, size)
}

type attributionTenants struct{ svc *tenants.Service }

func (a attributionTenants) TenantID(ctx context.Context, slug string) (int64, error) {
	t, err := a.svc.BySlug(ctx, slug)
	return t.ID, err
}

func (a attributionTenants) All(ctx context.Context) (map[int64]string, error) {
	list, err := a.svc.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(list))
	for _, t := range list {
		out[t.ID] = t.Slug
	}
	return out, nil
}

// attributionStore reads touchpoints from and writes credits to Elasticsearch.
type attributionStore struct{ *search.Client }

func (a attributionStore) WriteCredits(ctx context.Context, tenant string, credits []attribution.Credit) error {
	docs := make([]search.Doc, len(credits))
	for i, c := range credits {
		docs[i] = search.Doc{Tenant: tenant, Kind: search.Credits, ID: c.ID, Source: c.Source}
	}
	itemErrs, err := a.BulkIndex(ctx, docs)
	if err != nil {
		return err
	}
	return firstItemError(itemErrs)
}

func (a attributionStore) DeleteCredits(ctx context.Context, tenant string, ids []string) error {
	docs := make([]search.Doc, len(ids))
	for i, id := range ids {
		docs[i] = search.Doc{Tenant: tenant, Kind: search.Credits, ID: id}
	}
	itemErrs, err := a.BulkDelete(ctx, docs)
	if err != nil {
		return err
	}
	return firstItemError(itemErrs)
}

func firstItemError(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return fmt.Errorf("search: %d documents, first failure: %w", len(errs), e)
		}
	}
	return nil
}
