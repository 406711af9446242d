package db

import (
	"context"
	"strconv"
)

// Every table with a tenant_id column has a forced row-level security policy
// (migrations 00011): a session sees and writes only the rows of the tenant named by the
// setting srg.tenant_id, or every row when srg.scope is 'system'. The pool Open returns
// sets both from the context of each transaction and of each statement run outside one,
// so the scope a query runs under is the one in its context:
//
//	ctx = db.WithTenant(ctx, tenantID) // one tenant's work
//	ctx = db.WithSystem(ctx)           // deliberate work across tenants
//
// A context with neither sees no tenant's rows: a query that forgets its tenant, or
// runs without a scope, returns nothing instead of another tenant's data.

// Scope is the set of tenant rows a database session may see.
type Scope struct {
	// Tenant is the one tenant whose rows are visible; 0 for none.
	Tenant int64
	// System makes every tenant's rows visible.
	System bool
	// conflict is the scope of a context narrowed to two tenants: it sees none.
	conflict bool
}

type scopeKey struct{}

// WithTenant returns ctx scoped to one tenant's rows. It only narrows: a context
// already scoped to another tenant stays unable to see either (a request of one tenant
// never reaches another's rows through a service handed the wrong id).
func WithTenant(ctx context.Context, tenantID int64) context.Context {
	if cur := ScopeOf(ctx); cur.Tenant == tenantID && !cur.System {
		return ctx
	} else if cur.Tenant != 0 || cur.conflict {
		return context.WithValue(ctx, scopeKey{}, Scope{conflict: true})
	}
	return context.WithValue(ctx, scopeKey{}, Scope{Tenant: tenantID})
}

// WithSystem returns ctx scoped to every tenant's rows. It is for work that crosses
// tenants by design (schedulers, housekeeping, resolving a site key or an API token to
// its tenant), never for serving one tenant's request: such lookups scope their own
// statements with it rather than passing it on.
func WithSystem(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, Scope{System: true})
}

// ScopeOf returns the scope carried by ctx: the zero Scope sees no tenant's rows.
func ScopeOf(ctx context.Context) Scope {
	s, _ := ctx.Value(scopeKey{}).(Scope)
	return s
}

// settings returns the values of srg.tenant_id and srg.scope for s.
func (s Scope) settings() (tenant, scope string) {
	if s.Tenant != 0 {
		tenant = strconv.FormatInt(s.Tenant, 10)
	}
	if s.System {
		scope = "system"
	}
	return tenant, scope
}
