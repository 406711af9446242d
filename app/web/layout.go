package web

import (
	"context"
	"strings"

	"github.com/labstack/echo/v4"
)

// TenantRef is a tenant as pages show it: the layout's switcher, and the currency
// their amounts are formatted in.
type TenantRef struct {
	ID       int64
	Slug     string
	Name     string
	Currency string
}

// NavItem is one entry of the portal's navigation.
type NavItem struct {
	Label   string
	Section string
	URL     string
}

// Directory finds tenants for the layout; app implements it with the tenants module.
type Directory interface {
	// Tenant returns the tenant with this slug; an unknown slug is errs.NotFound.
	Tenant(ctx context.Context, slug string) (TenantRef, error)
	// Memberships lists the tenants a user belongs to, in the order they are shown.
	Memberships(ctx context.Context, userID int64) ([]TenantRef, error)
}

// navEntry is a navigation entry and the permission that shows it.
type navEntry struct {
	label, section, path string
	perm                 Permission
}

// nav lists the portal's sections; each appears to users allowed to read it.
var nav = []navEntry{
	{"Dashboard", "dashboard", "dashboard", Perm("dashboards", "read")},
	{"Campaigns", "campaigns", "campaigns", Perm("campaigns", "read")},
	{"Journeys", "journeys", "journeys", Perm("journeys", "read")},
	{"Touchpoints", "touchpoints", "touchpoints", Perm("touchpoints", "read")},
	{"Tracking", "settings.tracking", "settings/tracking", Perm("settings.tracking", "read")},
	{"Channels", "settings.channels", "settings/channels", Perm("settings.channels", "read")},
	{"Attribution", "settings.attribution", "settings/attribution", Perm("settings.attribution", "read")},
	{"Connectors", "settings.connectors", "settings/connectors", Perm("settings.connectors", "read")},
	{"Warehouse", "settings.warehouse", "settings/warehouse", Perm("settings.warehouse", "read")},
	{"Users", "settings.users", "settings/users", Perm("settings.users", "read")},
	{"API tokens", "settings.tokens", "settings/tokens", Perm("settings.users", "read")},
	{"Single sign-on", "settings.sso", "settings/sso", Perm("settings.users", "read")},
	{"Audit log", "settings.audit", "settings/audit", Perm("audit", "read")},
}

// Layout builds the part of every portal page that the layout shows around it: the
// tenant in the URL and the switcher to the user's other tenants, the navigation the
// user may follow, who is signed in and the CSRF token of forms.
type Layout struct {
	dir   Directory
	authz Authorizer
}

// NewLayout builds pages with dir. authz hides the navigation entries the user may
// not open; nil shows them all.
func NewLayout(dir Directory, authz Authorizer) *Layout {
	return &Layout{dir: dir, authz: authz}
}

// Page returns the layout part of a page for this request. Under /t/:tenant an
// unknown tenant is a not-found error.
func (l *Layout) Page(c echo.Context, title, section string) (Page, error) {
	p := Page{Title: title, Section: section}
	p.CSRF, _ = c.Get("csrf").(string)
	ctx := c.Request().Context()
	principal := PrincipalOf(c)
	if principal != nil {
		p.User = principal.Email
		if l != nil && l.dir != nil && principal.UserID != 0 {
			list, err := l.dir.Memberships(ctx, principal.UserID)
			if err != nil {
				return Page{}, err
			}
			p.Tenants = list
		}
	}
	slug := c.Param("tenant")
	if slug == "" {
		return p, nil
	}
	found := false
	for _, t := range p.Tenants {
		if t.Slug == slug {
			p.Tenant, found = t, true
		}
	}
	if !found {
		if l == nil || l.dir == nil {
			p.Tenant = TenantRef{Slug: slug, Name: slug, Currency: "USD"}
		} else {
			t, err := l.dir.Tenant(ctx, slug)
			if err != nil {
				return Page{}, err
			}
			p.Tenant = t
		}
	}
	checked := l != nil && l.authz != nil
	if checked && principal == nil {
		// Only a signed-in user gets navigation, and asking the authorizer about
		// nobody would answer the request with a sign-in redirect.
		return p, nil
	}
	for _, n := range nav {
		if checked && l.authz.Authorize(c, n.perm) != nil {
			continue
		}
		p.Nav = append(p.Nav, NavItem{Label: n.label, Section: n.section, URL: "/t/" + slug + "/" + n.path})
	}
	return p, nil
}

// Can reports whether the request's principal holds permission p, so that a page shows
// only the forms its user may send (the routes check again). Without an authorizer
// everything is allowed.
func (l *Layout) Can(c echo.Context, p Permission) bool {
	if l == nil || l.authz == nil {
		return true
	}
	return PrincipalOf(c) != nil && l.authz.Authorize(c, p) == nil
}

// IsSettings reports whether a nav item belongs to the settings group.
func (n NavItem) IsSettings() bool { return strings.HasPrefix(n.Section, "settings.") }

// HasSettings reports whether the navigation holds a settings section.
func (p Page) HasSettings() bool {
	for _, n := range p.Nav {
		if n.IsSettings() {
			return true
		}
	}
	return false
}
