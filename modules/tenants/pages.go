package tenants

import (
	"context"
	"net/http"

	"github.com/srgplatform/srg/app/jobs"
	"github.com/srgplatform/srg/app/web"
)

// Pages are the tenant settings pages: users and roles, and the audit log. They are
// apart from the module because the layout they are built with needs the module's
// service first (to resolve tenants and check permissions).
type Pages struct {
	m         *Module
	layout    *web.Layout
	passwords Passwords
}

// NewPages serves the module's pages with the layout (nil renders them bare, in
// tests); passwords resets members' passwords from the users page.
func NewPages(m *Module, layout *web.Layout, passwords Passwords) *Pages {
	return &Pages{m: m, layout: layout, passwords: passwords}
}

// Name implements module.Module.
func (p *Pages) Name() string { return "tenants.pages" }

// Routes implements module.Module.
func (p *Pages) Routes() []web.Route {
	read, write := web.Perm("settings.users", "read"), web.Perm("settings.users", "write")
	const users = "/t/:tenant/settings/users"
	return []web.Route{
		{Method: http.MethodGet, Path: users, Perm: read, Handler: p.usersPage},
		{Method: http.MethodPost, Path: users, Perm: write, Handler: p.addUser},
		{Method: http.MethodPost, Path: users + "/:user_id/role", Perm: write, Handler: p.setUserRole},
		{Method: http.MethodPost, Path: users + "/:user_id/phone", Perm: write, Handler: p.setUserPhone},
		{Method: http.MethodPost, Path: users + "/:user_id/remove", Perm: write, Handler: p.removeUser},
		{Method: http.MethodPost, Path: users + "/:user_id/password-reset", Perm: write, Handler: p.resetPassword},
		{Method: http.MethodGet, Path: "/t/:tenant/settings/audit", Perm: web.Perm("audit", "read"), Handler: p.auditPage},
	}
}

// Jobs implements module.Module: the pages have none.
func (p *Pages) Jobs() []jobs.Job { return nil }

// Start implements module.Module: nothing to start.
func (p *Pages) Start(context.Context) error { return nil }
