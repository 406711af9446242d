package apptest

import (
	"context"

	"github.com/srgplatform/srg/app/errs"
)

// Tenants maps tenant slugs to ids, for modules that resolve the tenant of a URL
// (their Tenants dependency); an unknown slug is not found.
type Tenants map[string]int64

// TenantID implements the modules' Tenants interface.
func (t Tenants) TenantID(_ context.Context, slug string) (int64, error) {
	if id, ok := t[slug]; ok {
		return id, nil
	}
	return 0, errs.NotFound("no tenant %q", slug)
}
