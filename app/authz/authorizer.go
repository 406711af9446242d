package authz

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// Tenants resolves the tenant slug of a route (:tenant) to its id; an unknown slug is
// errs.NotFound.
type Tenants interface {
	TenantID(ctx context.Context, slug string) (int64, error)
}

// Authorizer checks every non-public route's permission (web.Authorizer):
//
//   - nobody signed in: 401, as JSON under /api/, else a redirect to /login;
//   - resource Self: any signed-in principal;
//   - a route without :tenant and not Self: refused (403), since permissions hold per
//     tenant and SRG has no platform-wide role;
//   - an unknown tenant, a tenant the user is no member of, or another tenant than an
//     API token's: 404, the same answer, so a tenant's existence does not leak;
//   - otherwise the user's role in the tenant, and an API token's role as well, must
//     allow the action on the resource (403).
type Authorizer struct {
	enforcer *Enforcer
	tenants  Tenants
}

var _ web.Authorizer = (*Authorizer)(nil)

// NewAuthorizer checks permissions with enforcer, resolving tenants with tenants.
func NewAuthorizer(enforcer *Enforcer, tenants Tenants) *Authorizer {
	return &Authorizer{enforcer: enforcer, tenants: tenants}
}

// ActorKey is the echo context key under which Authorize leaves the audit log's name
// of the principal ("user:42", "api-token:7").
const ActorKey = "actor"

// Actor names a principal in the audit log.
func Actor(p *web.Principal) string {
	if p.TokenID != 0 {
		return "api-token:" + strconv.FormatInt(p.TokenID, 10)
	}
	return "user:" + strconv.FormatInt(p.UserID, 10)
}

// Authorize implements web.Authorizer.
func (a *Authorizer) Authorize(c echo.Context, perm web.Permission) error {
	p := web.PrincipalOf(c)
	if p == nil {
		return unauthenticated(c)
	}
	c.Set(ActorKey, Actor(p))
	if perm.Resource == Self {
		return nil
	}
	if !slices.Contains(c.ParamNames(), "tenant") {
		return errs.Forbidden("this page is not part of a tenant")
	}
	slug := c.Param("tenant")
	notFound := errs.NotFound("no tenant %q", slug)
	tenantID, err := a.tenants.TenantID(c.Request().Context(), slug)
	if errs.KindOf(err) == errs.KindNotFound {
		return notFound
	}
	if err != nil {
		return err
	}
	c.Set(web.TenantIDKey, tenantID)
	token, user := p.TokenID != 0, p.UserID != 0
	if (token && p.TokenTenantID != tenantID) || (!token && !user) {
		return notFound
	}
	if user {
		if _, member := a.enforcer.RoleOf(p.UserID, tenantID); !member {
			return notFound
		}
	}
	if token {
		if err := allows(perm)(a.enforcer.RoleMay(p.TokenRole, tenantID, perm.Resource, perm.Action)); err != nil {
			return err
		}
	}
	if user {
		return allows(perm)(a.enforcer.UserMay(p.UserID, tenantID, perm.Resource, perm.Action))
	}
	return nil
}

// allows turns the enforcer's answer about perm into the request's error.
func allows(perm web.Permission) func(ok bool, err error) error {
	return func(ok bool, err error) error {
		if err != nil {
			return err
		}
		if !ok {
			return errs.Forbidden("your role does not allow %s on %s", perm.Action, perm.Resource)
		}
		return nil
	}
}

// unauthenticated answers a request nobody signed in for: JSON 401 for the API, a
// redirect to the login page (coming back afterwards) for pages. The error it returns
// only stops the chain: the response is already written.
func unauthenticated(c echo.Context) error {
	r := c.Request()
	if strings.HasPrefix(r.URL.Path, "/api/") {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="srg"`)
		if err := c.JSON(http.StatusUnauthorized, web.ErrorBody{Error: "sign in, or send an API token"}); err != nil {
			return err
		}
	} else if err := c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(r.URL.RequestURI())); err != nil {
		return err
	}
	return echo.NewHTTPError(http.StatusUnauthorized)
}
