package auth

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// phoneCookie holds the token of a pending phone change.
const phoneCookie = "srg_phone"

// Forms of the account page, to show an error next to the one it concerns.
const (
	FormPassword = "password"
	FormPhone    = "phone"
	FormCode     = "code"
)

// AccountPage is the view model of the account page.
type AccountPage struct {
	web.Page
	CSRF    string
	Account Account
	Notice  string
	// Error and Field say what was wrong with Form (one of the Form* names).
	Error string
	Field string
	Form  string
	// PhoneChange is the pending phone change (nil: none): the code form replaces the
	// new number form. NewPhone is the number as typed, shown again after an error.
	PhoneChange *Challenge
	NewPhone    string
}

// accountNotices are the messages a change redirects to the page with (?done=...).
var accountNotices = map[string]string{
	"phone-sent":      "We texted a code to the new number. Enter it below to make the change.",
	"phone-resent":    "We texted a new code to the new number.",
	"phone-cancelled": "Phone change cancelled: your sign-in codes still go to the same number.",
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
	return m.renderAccount(c, http.StatusOK, AccountPage{Notice: accountNotices[c.QueryParam("done")]}, nil)
}

// renderAccount shows the account page with what v says (Notice, Form, NewPhone) and
// shown, an error of v.Form.
func (m *Module) renderAccount(c echo.Context, status int, v AccountPage, shown error) error {
	p, err := sessionUser(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	acct, err := m.svc.Account(ctx, p.UserID)
	if err != nil {
		return err
	}
	if bound, _ := c.Get(ssoTenantKey).(int64); bound != 0 {
		// A tenant's identity provider vouched for this session: it does not get to
		// read the account's phone number.
		acct.Phone = MaskPhone(acct.Phone)
	}
	if v.Page, err = m.layout.Page(c, "Your account", "account"); err != nil {
		return err
	}
	v.CSRF, v.Account = CSRFToken(c), acct
	if token := cookieValue(c, phoneCookie); token != "" {
		pending, err := m.svc.PhoneChange(ctx, p.UserID, token)
		switch {
		case err == nil:
			v.PhoneChange = &pending
		case errors.Is(err, ErrPhoneChangeGone):
			m.clearCookie(c, phoneCookie, "/account")
		default:
			return err
		}
	}
	if shown != nil {
		v.Error, v.Field = errs.MessageOf(shown), errs.FieldOf(shown)
	}
	return c.Render(status, "auth/account", v)
}

// accountError shows a failed change of the account on the page, next to its form.
func (m *Module) accountError(c echo.Context, form string, err error) error {
	return m.pageError(c, err, "/account", func(status int) error {
		return m.renderAccount(c, status, AccountPage{Form: form, NewPhone: truncate(c.FormValue("phone"), 32)}, err)
	})
}

func (m *Module) changePassword(c echo.Context) error {
	p, err := sessionUser(c)
	if err != nil {
		return err
	}
	keep, _ := strconv.ParseInt(p.SessionID, 10, 64)
	err = m.svc.ChangePassword(c.Request().Context(), p.UserID, keep, c.FormValue("current"), c.FormValue("new"), c.FormValue("confirm"), client(c))
	if err != nil {
		return m.accountError(c, FormPassword, err)
	}
	return m.renderAccount(c, http.StatusOK, AccountPage{Notice: "Your password was changed, and your other sessions were signed out."}, nil)
}

// startPhoneChange texts a code to the new number and keeps the change's token in a
// cookie of the account pages.
func (m *Module) startPhoneChange(c echo.Context) error {
	p, err := sessionUser(c)
	if err != nil {
		return err
	}
	pending, err := m.svc.StartPhoneChange(c.Request().Context(), p.UserID, c.FormValue("current"), c.FormValue("phone"), client(c))
	if err != nil {
		return m.accountError(c, FormPhone, err)
	}
	m.setCookie(c, phoneCookie, pending.Token, "/account", m.limits.ChallengeMaxAge)
	return c.Redirect(http.StatusSeeOther, "/account?done=phone-sent")
}

// phoneChangeEnded shows why a phone change is over (expired, burnt) and forgets it.
func (m *Module) phoneChangeEnded(c echo.Context, err error) error {
	m.clearCookie(c, phoneCookie, "/account")
	return m.renderAccount(c, signInStatus(err), AccountPage{Form: FormPhone}, err)
}

func (m *Module) confirmPhone(c echo.Context) error {
	p, err := sessionUser(c)
	if err != nil {
		return err
	}
	masked, err := m.svc.ConfirmPhone(c.Request().Context(), p.UserID, cookieValue(c, phoneCookie), c.FormValue("code"), client(c))
	if errors.Is(err, ErrPhoneChangeGone) || errors.Is(err, ErrPhoneChangeBurnt) {
		return m.phoneChangeEnded(c, err)
	}
	if err != nil {
		return m.accountError(c, FormCode, err)
	}
	m.clearCookie(c, phoneCookie, "/account")
	return m.renderAccount(c, http.StatusOK, AccountPage{Notice: "Your sign-in codes now go to " + masked + ". Your sessions stay signed in."}, nil)
}

func (m *Module) resendPhoneCode(c echo.Context) error {
	p, err := sessionUser(c)
	if err != nil {
		return err
	}
	err = m.svc.ResendPhoneCode(c.Request().Context(), p.UserID, cookieValue(c, phoneCookie), client(c))
	if errors.Is(err, ErrPhoneChangeGone) {
		return m.phoneChangeEnded(c, err)
	}
	if err != nil {
		return m.accountError(c, FormCode, err)
	}
	return c.Redirect(http.StatusSeeOther, "/account?done=phone-resent")
}

func (m *Module) cancelPhoneChange(c echo.Context) error {
	p, err := sessionUser(c)
	if err != nil {
		return err
	}
	if err := m.svc.CancelPhoneChange(c.Request().Context(), p.UserID, cookieValue(c, phoneCookie)); err != nil {
		return err
	}
	m.clearCookie(c, phoneCookie, "/account")
	return c.Redirect(http.StatusSeeOther, "/account?done=phone-cancelled")
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

func cookieValue(c echo.Context, name string) string {
	ck, err := c.Cookie(name)
	if err != nil {
		return ""
	}
	return ck.Value
}
