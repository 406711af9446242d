// Package portal serves the marketers' pages.
package portal

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/jobs"
	"github.com/srgplatform/srg/app/web"
)

// Deps are what the module needs.
type Deps struct {
	Version string
}

// Module is the portal module.
type Module struct {
	version string
}

// New builds the module.
func New(d Deps) *Module { return &Module{version: d.Version} }

// Name implements module.Module.
func (m *Module) Name() string { return "portal" }

// Routes implements module.Module.
func (m *Module) Routes() []web.Route {
	return []web.Route{
		{Method: http.MethodGet, Path: "/", Perm: web.Public, Handler: m.home},
	}
}

// Jobs implements module.Module.
func (m *Module) Jobs() []jobs.Job { return nil }

// Start implements module.Module.
func (m *Module) Start(context.Context) error { return nil }

// HomePage is the view model of the start page.
type HomePage struct {
	web.Page
	Version string
}

func (m *Module) home(c echo.Context) error {
	return c.Render(http.StatusOK, "portal/home", HomePage{Page: web.Page{Title: "Welcome"}, Version: m.version})
}
