package auth

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// TokenRequest is the body of POST /api/tenants/:tenant/tokens.
type TokenRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

func (m *Module) tenantID(c echo.Context) (int64, error) {
	return web.RequestTenant(c)
}

func (m *Module) listTokens(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	list, err := m.svc.Tokens(c.Request().Context(), tid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": list})
}

func (m *Module) createToken(c echo.Context) error {
	p := web.PrincipalOf(c)
	if p == nil || p.TokenID != 0 {
		return errs.Forbidden("API tokens are created by a signed-in person, not by another token")
	}
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	var req TokenRequest
	if err := web.DecodeJSON(c, &req, `a token object {"name": ..., "role": ...}`); err != nil {
		return err
	}
	role, err := m.tenants.RoleOf(c.Request().Context(), tid, p.UserID)
	if err != nil {
		return err
	}
	tok, err := m.svc.CreateToken(c.Request().Context(), tid, p.UserID, role, req.Name, req.Role, client(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, tok)
}

func (m *Module) revokeToken(c echo.Context) error {
	if err := m.revokeNamedToken(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// revokeNamedToken revokes the token the route's :id names, in the route's tenant.
func (m *Module) revokeNamedToken(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	id, err := tokenIDParam(c)
	if err != nil {
		return err
	}
	return m.svc.RevokeToken(c.Request().Context(), tid, id, actorOf(web.PrincipalOf(c)), client(c))
}

func actorOf(p *web.Principal) string {
	switch {
	case p == nil:
		return "anonymous"
	case p.TokenID != 0:
		return fmt.Sprintf("api-token:%d", p.TokenID)
	}
	return actorUser(p.UserID)
}
