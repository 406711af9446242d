package tenants

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// UsersPage is the view model of the users and roles page.
type UsersPage struct {
	web.Page
	Members []Member
	Roles   []string
	// Notice says what the last change did; Error and Field what was wrong with a form,
	// ErrorUser which member's form (0: the add form).
	Notice    string
	Error     string
	Field     string
	ErrorUser int64
	// Form is the add form as submitted, shown again after an error.
	Form NewMember
	// Reset is the password reset just made, its temporary password shown this once.
	Reset *Reset
}

// notices are the messages a change redirects to the page with (?done=...).
var notices = map[string]string{
	"added":   "Member added. They sign in with their email, a password and a code sent to their phone.",
	"role":    "Role changed.",
	"phone":   "Phone changed. Their next sign-in code goes to the new number.",
	"removed": "Member removed.",
}

func (p *Pages) usersView(c echo.Context) (UsersPage, error) {
	tid, err := p.m.tenantID(c)
	if err != nil {
		return UsersPage{}, err
	}
	page, err := p.layout.Page(c, "Users and roles", "settings.users")
	if err != nil {
		return UsersPage{}, err
	}
	list, err := p.m.members.List(c.Request().Context(), tid)
	if err != nil {
		return UsersPage{}, err
	}
	return UsersPage{Page: page, Members: list, Roles: config.Roles, Notice: notices[c.QueryParam("done")]}, nil
}

func (p *Pages) usersPage(c echo.Context) error {
	v, err := p.usersView(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "tenants/users", v)
}

// showError renders the page again with a change's error, in the status its kind
// maps to; internal errors go to the error handler.
func (p *Pages) showError(c echo.Context, changeErr error, userID int64, form NewMember) error {
	if errs.KindOf(changeErr) == errs.KindInternal {
		return changeErr
	}
	v, err := p.usersView(c)
	if err != nil {
		return err
	}
	v.Error, v.Field, v.ErrorUser, v.Form = errs.MessageOf(changeErr), errs.FieldOf(changeErr), userID, form
	return c.Render(web.StatusOf(changeErr), "tenants/users", v)
}

func (p *Pages) done(c echo.Context, what string) error {
	return c.Redirect(http.StatusSeeOther, "/t/"+url.PathEscape(c.Param("tenant"))+"/settings/users?done="+what)
}

func (p *Pages) addUser(c echo.Context) error {
	ch, err := p.m.changeOf(c, false)
	if err != nil {
		return err
	}
	in := NewMember{Email: c.FormValue("email"), Name: c.FormValue("name"), Role: c.FormValue("role"), Phone: c.FormValue("phone")}
	if _, err := p.m.members.Add(c.Request().Context(), ch.tenantID, ch.actor, in); err != nil {
		return p.showError(c, err, 0, in)
	}
	return p.done(c, "added")
}

// memberForm runs a change of one member from its form; a malformed or foreign user
// id is answered by the error handler (400, 404), the change's own errors on the page.
func (p *Pages) memberForm(c echo.Context, done string, change func(memberChange) error) error {
	ch, err := p.m.changeOf(c, true)
	if err != nil {
		return err
	}
	if err := change(ch); err != nil {
		if errs.KindOf(err) == errs.KindNotFound {
			return err
		}
		return p.showError(c, err, ch.userID, NewMember{})
	}
	return p.done(c, done)
}

func (p *Pages) setUserRole(c echo.Context) error {
	return p.memberForm(c, "role", func(ch memberChange) error {
		_, err := p.m.members.SetRole(c.Request().Context(), ch.tenantID, ch.actor, ch.userID, c.FormValue("role"))
		return err
	})
}

func (p *Pages) setUserPhone(c echo.Context) error {
	return p.memberForm(c, "phone", func(ch memberChange) error {
		_, err := p.m.members.SetPhone(c.Request().Context(), ch.tenantID, ch.actor, ch.userID, c.FormValue("phone"))
		return err
	})
}

// resetPassword gives the member a temporary password and shows it on the page, once
// and not cached; refusals are shown on the page like those of the other forms.
func (p *Pages) resetPassword(c echo.Context) error {
	ch, err := p.m.changeOf(c, true)
	if err != nil {
		return err
	}
	reset, rerr := p.m.members.ResetPassword(c.Request().Context(), ch.tenantID, ch.actor, ch.userID, p.passwords)
	if rerr != nil {
		if errs.KindOf(rerr) == errs.KindNotFound {
			return rerr
		}
		return p.showError(c, rerr, ch.userID, NewMember{})
	}
	v, err := p.usersView(c)
	if err != nil {
		return err
	}
	v.Reset = &reset
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Render(http.StatusOK, "tenants/users", v)
}

func (p *Pages) removeUser(c echo.Context) error {
	return p.memberForm(c, "removed", func(ch memberChange) error {
		return p.m.members.Remove(c.Request().Context(), ch.tenantID, ch.actor, ch.userID)
	})
}
