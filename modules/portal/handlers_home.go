package portal

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/web"
)

// HomePage is the view model of the start page.
type HomePage struct {
	web.Page
	Version string
	// NoTenant is set for a signed-in user who belongs to no tenant yet.
	NoTenant bool
}

// home sends a signed-in user to their first tenant's dashboard and anyone not signed
// in to the sign-in page: the start page of a private deployment has nothing to show
// them.
func (m *Module) home(c echo.Context) error {
	page := HomePage{Page: web.Page{Title: "Welcome"}, Version: m.version}
	p := web.PrincipalOf(c)
	if p == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	if p.UserID != 0 && m.dir != nil {
		list, err := m.dir.Memberships(c.Request().Context(), p.UserID)
		if err != nil {
			return err
		}
		if len(list) > 0 {
			return c.Redirect(http.StatusSeeOther, "/t/"+url.PathEscape(list[0].Slug)+"/dashboard")
		}
		page.User, page.NoTenant = p.Email, true
	}
	return c.Render(http.StatusOK, "portal/home", page)
}

func (m *Module) tenantHome(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/t/"+url.PathEscape(c.Param("tenant"))+"/dashboard")
}

// page builds the layout part of a portal page.
func (m *Module) page(c echo.Context, title, section string) (web.Page, error) {
	return m.layout.Page(c, title, section)
}
