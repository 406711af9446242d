package auth

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// ssoCookie holds the state of a single sign-on in progress, binding the provider's
// answer to the browser that started it.
const ssoCookie = "srg_sso"

// ssoTenantKey is where authenticate leaves the tenant an SSO session is confined to.
const ssoTenantKey = "srg.auth.sso_tenant"

// SSOPage is the view model of the single sign-on page: the workspace form, and why a
// sign-on failed.
type SSOPage struct {
	web.Page
	Workspace string
	Next      string
	Error     string
}

// ssoStatus is the status of a failed single sign-on's page, by reason.
var ssoStatus = map[string]int{
	ReasonBadState:        http.StatusBadRequest,
	ReasonStateGone:       http.StatusBadRequest,
	ReasonNoCode:          http.StatusBadRequest,
	ReasonNotConfigured:   http.StatusNotFound,
	ReasonProviderError:   http.StatusForbidden,
	ReasonInvalidToken:    http.StatusForbidden,
	ReasonTokenExpired:    http.StatusForbidden,
	ReasonWrongNonce:      http.StatusForbidden,
	ReasonNoEmail:         http.StatusForbidden,
	ReasonEmailUnverified: http.StatusForbidden,
	ReasonDomain:          http.StatusForbidden,
	ReasonNoRole:          http.StatusForbidden,
	ReasonExchangeRefused: http.StatusBadGateway,
	ReasonUnreachable:     http.StatusServiceUnavailable,
}

func (m *Module) renderSSO(c echo.Context, status int, tenant, next, msg string) error {
	if next == startPage {
		next = ""
	}
	return c.Render(status, "auth/sso", SSOPage{Page: web.Page{Title: "Single sign-on"}, Workspace: tenant, Next: next, Error: msg})
}

// ssoFailed shows why a single sign-on failed, with the workspace form to start again.
func (m *Module) ssoFailed(c echo.Context, tenant, next string, err error) error {
	var se *SSOError
	if errors.As(err, &se) {
		if se.Err != nil {
			m.log.Warn("single sign-on failed", "tenant", tenant, "reason", se.Reason, "err", se.Err)
		}
		status, ok := ssoStatus[se.Reason]
		if !ok {
			status = http.StatusBadRequest
		}
		return m.renderSSO(c, status, tenant, next, se.Message)
	}
	return m.pageError(c, err, "/login/sso", func(status int) error {
		return m.renderSSO(c, status, tenant, next, errs.MessageOf(err))
	})
}

// ssoStart shows the workspace form, or with ?tenant=slug sends the browser to the
// workspace's identity provider.
func (m *Module) ssoStart(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if !c.QueryParams().Has("tenant") {
		return m.renderSSO(c, http.StatusOK, "", next, "")
	}
	slug := strings.ToLower(strings.TrimSpace(c.QueryParam("tenant")))
	switch {
	case slug == "":
		return m.renderSSO(c, http.StatusBadRequest, "", next, "Enter the name of your workspace.")
	case len(slug) > 40 || !config.SlugPattern.MatchString(slug):
		return m.renderSSO(c, http.StatusBadRequest, truncate(slug, 40), next,
			"A workspace name has 2-40 lower-case letters, digits or '-', as in the address of its pages (/t/acme).")
	}
	tenantID, err := m.tenants.TenantID(c.Request().Context(), slug)
	if errs.KindOf(err) == errs.KindNotFound {
		// The same answer as a workspace without single sign-on.
		return m.ssoFailed(c, slug, next, ErrNoSSO)
	}
	if err != nil {
		return err
	}
	target := next
	if target == startPage {
		target = "/t/" + slug
	}
	start, err := m.sso.Start(c.Request().Context(), tenantID, target, client(c))
	if err != nil {
		return m.ssoFailed(c, slug, next, err)
	}
	m.setCookie(c, ssoCookie, start.State, "/login/sso", ssoLoginTTL)
	return c.Redirect(http.StatusSeeOther, start.AuthURL)
}

// ssoCallback is where the identity provider sends the browser back.
func (m *Module) ssoCallback(c echo.Context) error {
	q := c.QueryParams()
	cb := SSOCallback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), ErrorDescription: q.Get("error_description")}
	if ck, err := c.Cookie(ssoCookie); err == nil {
		cb.CookieState = ck.Value
	}
	m.clearCookie(c, ssoCookie, "/login/sso")
	previous := ""
	if ck, err := c.Cookie(SessionCookie); err == nil {
		previous = ck.Value
	}
	res, err := m.sso.Finish(c.Request().Context(), cb, previous, client(c))
	if err != nil {
		return m.ssoFailed(c, "", "", err)
	}
	// A new CSRF token for the new session.
	m.clearCookie(c, csrfCookie, "/")
	m.setCookie(c, SessionCookie, res.Token, "/", 0)
	return c.Redirect(http.StatusSeeOther, res.Next)
}

// confine keeps a session started by a tenant's identity provider inside that tenant:
// that provider vouches for nothing else, so every other tenant's routes answer 404,
// as they do to non-members.
func (m *Module) confine(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		bound, _ := c.Get(ssoTenantKey).(int64)
		if bound == 0 || !slices.Contains(c.ParamNames(), "tenant") {
			return next(c)
		}
		slug := c.Param("tenant")
		id, err := m.tenants.TenantID(c.Request().Context(), slug)
		if err != nil && errs.KindOf(err) != errs.KindNotFound {
			return err
		}
		if err != nil || id != bound {
			return errs.NotFound("no tenant %q", slug)
		}
		return next(c)
	}
}

// actingIn returns the request's tenant and the role the request acts with in it: the
// user's, and no more than an API token's.
func (m *Module) actingIn(c echo.Context) (int64, string, error) {
	tid, err := m.tenantID(c)
	if err != nil {
		return 0, "", err
	}
	p := web.PrincipalOf(c)
	if p == nil {
		return 0, "", errs.Forbidden("sign in first")
	}
	role, err := m.tenants.RoleOf(c.Request().Context(), tid, p.UserID)
	if err != nil {
		return 0, "", err
	}
	if p.TokenID != 0 && roleRank[p.TokenRole] < roleRank[role] {
		role = p.TokenRole
	}
	return tid, role, nil
}

func (m *Module) getSSO(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	set, err := m.sso.Settings(c.Request().Context(), tid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, set)
}

func (m *Module) putSSO(c echo.Context) error {
	var in SSOInput
	if err := web.DecodeJSON(c, &in, `single sign-on settings {"issuer_url": ..., "client_id": ..., "client_secret": ..., "group_roles": {...}}`); err != nil {
		return err
	}
	tid, role, err := m.actingIn(c)
	if err != nil {
		return err
	}
	set, err := m.sso.Set(c.Request().Context(), tid, role, in, actorOf(web.PrincipalOf(c)), client(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, set)
}

func (m *Module) deleteSSO(c echo.Context) error {
	tid, role, err := m.actingIn(c)
	if err != nil {
		return err
	}
	if err := m.sso.Delete(c.Request().Context(), tid, role, actorOf(web.PrincipalOf(c)), client(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
