package auth

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// AccountPage is the view model of the account page.
type AccountPage struct {
	web.Page
	CSRF    string
	Account Account
	Notice  string
	Error   string
	Field   string
}

// sessionUser is the signed-in user of a browser session; API tokens have no account page.
func sessionUser(c echo.Context) (*web.Principal, error) {
	p := web.PrincipalOf(c)
	if p == nil || p.SessionID == "" {
		return nil, errs.Forbidden("sign in with a browser to see your account")
	}
	return p, nil
}

func (m *Module) accountPage(c echo.Context) error {
	return m.renderAccount(c, http.StatusOK, "", nil)
}

func (m *Module) renderAccount(c echo.Context, status int, notice string, shown error) error {
	p, err := sessionUser(c)
	if err != nil {
		return err
	}
	acct, err := m.svc.Account(c.Request().Context(), p.UserID)
	if err != nil {
		return err
	}
	if bound, _ := c.Get(ssoTenantKey).(int64); bound != 0 {
		// A tenant's identity provider vouched for this session: it does not get to
		// read the account's phone number.
		acct.Phone = MaskPhone(acct.Phone)
	}
	layout, err := m.layout.Page(c, "Your account", "account")
	if err != nil {
		return err
	}
	page := AccountPage{Page: layout, CSRF: CSRFToken(c), Account: acct, Notice: notice}
	if shown != nil {
		page.Error, page.Field = errs.MessageOf(shown), errs.FieldOf(shown)
	}
	return c.Render(status, "auth/account", page)
}

func (m *Module) changePassword(c echo.Context) error {
	p, err := sessionUser(c)
	if err != nil {
		return err
	}
	keep, _ := strconv.ParseInt(p.SessionID, 10, 64)
	err = m.svc.ChangePassword(c.Request().Context(), p.UserID, keep, c.FormValue("current"), c.FormValue("new"), c.FormValue("confirm"), client(c))
	if err != nil {
		return m.pageError(c, err, "/account", func(status int) error {
			return m.renderAccount(c, status, "", err)
		})
	}
	return m.renderAccount(c, http.StatusOK, "Your password was changed, and your other sessions were signed out.", nil)
}

func (m *Module) logoutEverywhere(c echo.Context) error {
	p, err := sessionUser(c)
	if err != nil {
		return err
	}
	if _, err := m.svc.SignOutEverywhere(c.Request().Context(), p.UserID, client(c)); err != nil {
		return err
	}
	m.clearCookie(c, SessionCookie, "/")
	m.clearCookie(c, csrfCookie, "/")
	return c.Redirect(http.StatusSeeOther, "/login")
}
