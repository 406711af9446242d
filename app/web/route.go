// Package web is SRG's HTTP layer: the echo server, the route table in which every route
// names its permission, the mapping of domain errors to responses, templates and
// static assets.
package web

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
)

// Permission is what a route requires: a public route requires nothing; any other names
// a resource and an action of the permission matrix (config/), checked per tenant.
type Permission struct {
	Public   bool
	Resource string
	Action   string
}

// Public is the permission of routes anyone may call (tracking, health, login).
var Public = Permission{Public: true}

// Perm is the permission to perform action ("read", "write") on resource.
func Perm(resource, action string) Permission {
	return Permission{Resource: resource, Action: action}
}

// IsZero reports whether no permission was declared.
func (p Permission) IsZero() bool { return !p.Public && p.Resource == "" }

func (p Permission) String() string {
	if p.Public {
		return "public"
	}
	return p.Resource + ":" + p.Action
}

// Route is one entry of a module's route table.
type Route struct {
	Method     string
	Path       string
	Perm       Permission
	Handler    echo.HandlerFunc
	Middleware []echo.MiddlewareFunc
	// CrossOrigin marks a public endpoint that other sites call from their pages (the
	// tracker's): it takes no CSRF token and sets no cookie of srg's. Only public
	// routes may declare it.
	CrossOrigin bool
}

// Authorizer checks a permission for the current request; it returns a domain error
// (forbidden, or not found for another tenant's objects) when the check fails.
type Authorizer interface {
	Authorize(c echo.Context, p Permission) error
}

// TenantResolver finds the id of the tenant with a slug; errs.NotFound for none.
type TenantResolver interface {
	TenantID(ctx context.Context, slug string) (int64, error)
}

// Router mounts route tables on echo and remembers every route's permission.
type Router struct {
	e       *echo.Echo
	authz   Authorizer
	tenants TenantResolver

	mu          sync.Mutex
	perms       map[string]Permission
	crossOrigin map[string]bool
}

// NewRouter mounts onto e. authz checks non-public routes; without one they all answer
// 403, so nothing protected is reachable before authentication exists. tenants resolves
// the :tenant of a route's path once it is authorized, and the request's context is then
// scoped to that tenant's rows in the database (db.WithTenant); routes with a :tenant
// need one.
func NewRouter(e *echo.Echo, authz Authorizer, tenants TenantResolver) *Router {
	return &Router{e: e, authz: authz, tenants: tenants, perms: map[string]Permission{}, crossOrigin: map[string]bool{}}
}

// Mount registers routes. A route without a declared permission is a programming error
// and stops start-up.
func (r *Router) Mount(routes ...Route) {
	for _, rt := range routes {
		if rt.Perm.IsZero() {
			panic(fmt.Sprintf("web: route %s %s declares no permission", rt.Method, rt.Path))
		}
		if rt.CrossOrigin && !rt.Perm.Public {
			panic(fmt.Sprintf("web: route %s %s is cross-origin but not public", rt.Method, rt.Path))
		}
		mw := rt.Middleware
		if strings.Contains(rt.Path, "/:tenant") {
			if r.tenants == nil {
				panic(fmt.Sprintf("web: route %s %s names a tenant but the router has no TenantResolver", rt.Method, rt.Path))
			}
			mw = append([]echo.MiddlewareFunc{r.scopeToTenant}, mw...)
		}
		if !rt.Perm.Public {
			mw = append([]echo.MiddlewareFunc{r.require(rt.Perm)}, mw...)
		}
		r.e.Add(rt.Method, rt.Path, rt.Handler, mw...)
		r.mu.Lock()
		r.perms[rt.Method+" "+rt.Path] = rt.Perm
		r.crossOrigin[rt.Method+" "+rt.Path] = rt.CrossOrigin
		r.mu.Unlock()
	}
}

func (r *Router) require(p Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if r.authz == nil {
				return echo.NewHTTPError(http.StatusForbidden, "forbidden")
			}
			if err := r.authz.Authorize(c, p); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// TenantIDKey is the echo context key under which an authorizer that resolved the
// request's tenant leaves its id, so the router does not look it up again.
const TenantIDKey = "tenant_id"

// scopeToTenant scopes the request's database work to the tenant of its path.
func (r *Router) scopeToTenant(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		id, resolved := c.Get(TenantIDKey).(int64)
		if !resolved {
			var err error
			if id, err = r.tenants.TenantID(req.Context(), c.Param("tenant")); err != nil {
				return err
			}
		}
		c.Set(TenantIDKey, id)
		c.SetRequest(req.WithContext(db.WithTenant(req.Context(), id)))
		return next(c)
	}
}

// RequestTenant returns the id of the tenant of the request's path, which the router
// resolved before the handler ran.
func RequestTenant(c echo.Context) (int64, error) {
	if id, ok := c.Get(TenantIDKey).(int64); ok {
		return id, nil
	}
	return 0, errs.NotFound("no tenant %q", c.Param("tenant"))
}

// RouteInfo is a registered route and its permission.
type RouteInfo struct {
	Method string
	Path   string
	Perm   Permission
	// Declared is false for a route registered on echo without going through Mount.
	Declared bool
	// CrossOrigin is the route's declaration (see Route).
	CrossOrigin bool
}

// Lookup returns what was declared for the route with this method and path pattern
// (echo's c.Path()); false when no route was mounted under it.
func (r *Router) Lookup(method, path string) (RouteInfo, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := method + " " + path
	p, ok := r.perms[key]
	return RouteInfo{Method: method, Path: path, Perm: p, Declared: ok, CrossOrigin: r.crossOrigin[key]}, ok
}

// Routes lists every route echo knows, with the permission declared for it.
func (r *Router) Routes() []RouteInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []RouteInfo
	for _, er := range r.e.Routes() {
		if er.Method == echo.RouteNotFound {
			continue
		}
		p, ok := r.perms[er.Method+" "+er.Path]
		out = append(out, RouteInfo{Method: er.Method, Path: er.Path, Perm: p, Declared: ok, CrossOrigin: r.crossOrigin[er.Method+" "+er.Path]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}
