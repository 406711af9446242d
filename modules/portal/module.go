// Package portal serves the marketers' pages: the dashboard, campaigns, journeys and
// touchpoints of a tenant, under /t/:tenant/. Its report queries are in reports/;
// settings pages live with the module whose settings they change.
package portal

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/jobs"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/portal/reports"
)

// Models tells which attribution models a tenant can report on; the attribution
// module implements it.
type Models interface {
	Models(ctx context.Context, tenantID int64) (reports.Models, error)
}

// Deps are what the module needs.
type Deps struct {
	Version string
	DB      *gorm.DB
	// Search runs the report queries on Elasticsearch (app/search).
	Search reports.Search
	// Campaigns ties tracked campaigns to ad campaigns (the sync module).
	Campaigns reports.CampaignMatcher
	Models    Models
	// Directory lists a signed-in user's tenants, for the start page's redirect.
	Directory web.Directory
	Layout    *web.Layout
	Log       *slog.Logger
	// Now is the clock of default date ranges; time.Now when nil.
	Now func() time.Time
}

// Module is the portal module.
type Module struct {
	version string
	db      *gorm.DB
	reports *reports.Service
	models  Models
	dir     web.Directory
	layout  *web.Layout
	log     *slog.Logger
	now     func() time.Time
}

// New builds the module.
func New(d Deps) *Module {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Module{version: d.Version, db: d.DB, reports: reports.New(d.DB, d.Search, d.Campaigns), models: d.Models,
		dir: d.Directory, layout: d.Layout, log: d.Log, now: d.Now}
}

// Reports is the module's report service, for benchmarks.
func (m *Module) Reports() *reports.Service { return m.reports }

// Name implements module.Module.
func (m *Module) Name() string { return "portal" }

// Routes implements module.Module: the portal's route table.
func (m *Module) Routes() []web.Route {
	dashboards := web.Perm("dashboards", "read")
	campaigns := web.Perm("campaigns", "read")
	journeys := web.Perm("journeys", "read")
	touchpoints := web.Perm("touchpoints", "read")
	return []web.Route{
		{Method: http.MethodGet, Path: "/", Perm: web.Public, Handler: m.home},
		{Method: http.MethodGet, Path: "/t/:tenant", Perm: dashboards, Handler: m.tenantHome},
		{Method: http.MethodGet, Path: "/t/:tenant/dashboard", Perm: dashboards, Handler: m.dashboard},
		{Method: http.MethodGet, Path: "/t/:tenant/dashboard/report", Perm: dashboards, Handler: m.dashboardReport},
		{Method: http.MethodGet, Path: "/t/:tenant/campaigns", Perm: campaigns, Handler: m.campaigns},
		{Method: http.MethodGet, Path: "/t/:tenant/campaigns/report", Perm: campaigns, Handler: m.campaignsReport},
		{Method: http.MethodGet, Path: "/t/:tenant/journeys", Perm: journeys, Handler: m.journeys},
		{Method: http.MethodGet, Path: "/t/:tenant/journeys/person/:id", Perm: journeys, Handler: m.personJourney},
		{Method: http.MethodGet, Path: "/t/:tenant/journeys/account/:id", Perm: journeys, Handler: m.accountJourney},
		{Method: http.MethodGet, Path: "/t/:tenant/journeys/opportunity/:id", Perm: journeys, Handler: m.opportunityJourney},
		{Method: http.MethodGet, Path: "/t/:tenant/touchpoints", Perm: touchpoints, Handler: m.touchpoints},
		{Method: http.MethodGet, Path: "/t/:tenant/touchpoints/export.csv", Perm: web.Perm("exports", "read"), Handler: m.exportTouchpoints},
	}
}

// Jobs implements module.Module.
func (m *Module) Jobs() []jobs.Job { return nil }

// Start implements module.Module.
func (m *Module) Start(context.Context) error { return nil }
