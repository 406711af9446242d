package auth

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// TokensPage is the view model of the API tokens page.
type TokensPage struct {
	web.Page
	Tokens []Token
	Roles  []string
	// Created is the token just made, its secret shown this once.
	Created *NewToken
	Notice  string
	Error   string
	Field   string
	// Form is the create form as submitted, shown again after an error.
	Form TokenRequest
}

func (m *Module) tokensView(c echo.Context, tid int64) (TokensPage, error) {
	page, err := m.layout.Page(c, "API tokens", "settings.tokens")
	if err != nil {
		return TokensPage{}, err
	}
	list, err := m.svc.Tokens(c.Request().Context(), tid)
	if err != nil {
		return TokensPage{}, err
	}
	v := TokensPage{Page: page, Tokens: list, Roles: config.Roles, Form: TokenRequest{Role: "viewer"}}
	if c.QueryParam("done") == "revoked" {
		v.Notice = "Token revoked: requests with it are refused from now on."
	}
	return v, nil
}

func (m *Module) tokensPage(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	v, err := m.tokensView(c, tid)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "auth/tokens", v)
}

// createTokenPage makes a token from the form and shows its secret once, on a page
// that is not cached; errors are shown on the page with their status.
func (m *Module) createTokenPage(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	p := web.PrincipalOf(c)
	if p == nil || p.TokenID != 0 {
		return errs.Forbidden("API tokens are created by a signed-in person, not by another token")
	}
	req := TokenRequest{Name: c.FormValue("name"), Role: c.FormValue("role")}
	ctx := c.Request().Context()
	role, err := m.tenants.RoleOf(ctx, tid, p.UserID)
	if err != nil {
		return err
	}
	tok, cerr := m.svc.CreateToken(ctx, tid, p.UserID, role, req.Name, req.Role, client(c))
	if cerr != nil && errs.KindOf(cerr) == errs.KindInternal {
		return cerr
	}
	v, err := m.tokensView(c, tid)
	if err != nil {
		return err
	}
	if cerr != nil {
		v.Error, v.Field, v.Form = errs.MessageOf(cerr), errs.FieldOf(cerr), req
		return c.Render(web.StatusOf(cerr), "auth/tokens", v)
	}
	v.Created = &tok
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Render(http.StatusCreated, "auth/tokens", v)
}

func (m *Module) revokeTokenPage(c echo.Context) error {
	if err := m.revokeNamedToken(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/t/"+url.PathEscape(c.Param("tenant"))+"/settings/tokens?done=revoked")
}

func tokenIDParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Invalid("id", "token id %q is not a positive integer", c.Param("id"))
	}
	return id, nil
}
