package tenants

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/authz"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

func (m *Module) tenantID(c echo.Context) (int64, error) {
	return web.RequestTenant(c)
}

// actor is the principal the authorizer let through.
func actor(c echo.Context) (Actor, error) {
	p := web.PrincipalOf(c)
	if p == nil {
		return Actor{}, errs.Forbidden("sign in first")
	}
	a := Actor{UserID: p.UserID, Name: authz.Actor(p), RemoteAddr: c.RealIP()}
	if p.TokenID != 0 {
		a.TokenRole = p.TokenRole
	}
	return a, nil
}

// memberChange is what a membership change request names: the tenant, who acts, and
// the member (on routes with :user_id).
type memberChange struct {
	tenantID, userID int64
	actor            Actor
}

func (m *Module) changeOf(c echo.Context, withUser bool) (memberChange, error) {
	var ch memberChange
	var err error
	if ch.tenantID, err = m.tenantID(c); err != nil {
		return ch, err
	}
	if withUser {
		if ch.userID, err = userIDParam(c); err != nil {
			return ch, err
		}
	}
	ch.actor, err = actor(c)
	return ch, err
}

func userIDParam(c echo.Context) (int64, error) {
	raw := c.Param("user_id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return 0, errs.Invalid("user_id", "a user id is a positive whole number, got %q", raw)
	}
	return id, nil
}

func (m *Module) listMembers(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	list, err := m.members.List(c.Request().Context(), tid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"members": list})
}

// addMember takes {"email": ..., "role": ..., "name": ...}.
func (m *Module) addMember(c echo.Context) error {
	ch, err := m.changeOf(c, false)
	if err != nil {
		return err
	}
	var in NewMember
	if err := web.DecodeJSON(c, &in, "a JSON object with email, role and optionally name"); err != nil {
		return err
	}
	out, err := m.members.Add(c.Request().Context(), ch.tenantID, ch.actor, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// setMemberRole takes {"role": ...}.
func (m *Module) setMemberRole(c echo.Context) error {
	ch, err := m.changeOf(c, true)
	if err != nil {
		return err
	}
	var in struct {
		Role string `json:"role"`
	}
	if err := web.DecodeJSON(c, &in, `a JSON object {"role": ...}`); err != nil {
		return err
	}
	out, err := m.members.SetRole(c.Request().Context(), ch.tenantID, ch.actor, ch.userID, in.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (m *Module) removeMember(c echo.Context) error {
	ch, err := m.changeOf(c, true)
	if err != nil {
		return err
	}
	if err := m.members.Remove(c.Request().Context(), ch.tenantID, ch.actor, ch.userID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// myTenants lists the tenants the principal may switch to; an API token sees only its
// own tenant, with the lesser of its role and its user's.
func (m *Module) myTenants(c echo.Context) error {
	p := web.PrincipalOf(c)
	if p == nil {
		return errs.Forbidden("sign in first")
	}
	ctx := c.Request().Context()
	list, err := m.members.TenantsOf(ctx, p.UserID)
	if err != nil {
		return err
	}
	if p.TokenID != 0 {
		list, err = m.tokenTenants(c, p, list)
		if err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"tenants": list})
}

func (m *Module) tokenTenants(c echo.Context, p *web.Principal, mine []Membership) ([]Membership, error) {
	t, err := m.svc.ByID(c.Request().Context(), p.TokenTenantID)
	if errs.KindOf(err) == errs.KindNotFound || !authz.ValidRole(p.TokenRole) {
		return []Membership{}, nil
	}
	if err != nil {
		return nil, err
	}
	if p.UserID == 0 {
		return []Membership{{Slug: t.Slug, Name: t.Name, Role: p.TokenRole}}, nil
	}
	for _, ms := range mine {
		if ms.Slug == t.Slug {
			ms.Role = authz.LesserRole(ms.Role, p.TokenRole)
			return []Membership{ms}, nil
		}
	}
	return []Membership{}, nil
}
