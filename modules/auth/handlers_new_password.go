package auth

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// NewPasswordPage is the view model of the form a person whose password an
// administrator reset fills right after signing in.
type NewPasswordPage struct {
	web.Page
	CSRF  string
	Email string
	Next  string
	Error string
	Field string
}

func (m *Module) newPasswordPage(c echo.Context) error {
	return m.renderNewPassword(c, http.StatusOK, nil)
}

func (m *Module) renderNewPassword(c echo.Context, status int, shown error) error {
	p, err := sessionUser(c)
	if err != nil {
		return err
	}
	v := NewPasswordPage{Page: web.Page{Title: "Choose a new password", User: p.Email}, CSRF: CSRFToken(c), Email: p.Email,
		Next: safeNext(c.FormValue("next"))}
	if shown != nil {
		v.Error, v.Field = errs.MessageOf(shown), errs.FieldOf(shown)
	}
	return c.Render(status, "auth/new_password", v)
}

func (m *Module) chooseNewPassword(c echo.Context) error {
	p, err := sessionUser(c)
	if err != nil {
		return err
	}
	keep, _ := strconv.ParseInt(p.SessionID, 10, 64)
	err = m.svc.ChooseNewPassword(c.Request().Context(), p.UserID, keep, c.FormValue("new"), c.FormValue("confirm"), client(c))
	if err != nil {
		if errs.KindOf(err) == errs.KindInternal {
			return err
		}
		return m.renderNewPassword(c, web.StatusOf(err), err)
	}
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}
