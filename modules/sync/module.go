// Package syncer (directory modules/sync) pulls each tenant's CRM and ad platforms
// into the mirror tables on a schedule, writes touchpoints back to the CRM, and
// imports CSV files for teams whose CRM has no connector. One package per source
// sits below it; the package is not named sync so as not to shadow the standard
// library's.
package syncer

import (
	"context"
	"log/slog"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/jobs"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/csvimport"
)

// Tenants resolves the tenant in a request's path.
type Tenants interface {
	TenantID(ctx context.Context, slug string) (int64, error)
}

// Deps are what the module needs.
type Deps struct {
	DB          *gorm.DB
	Box         Box
	Tenants     Tenants
	Touchpoints Touchpoints
	Factories   map[connector.Kind]Factory
	HTTP        *http.Client
	Log         *slog.Logger
	Registry    prometheus.Registerer
	// DefaultSchedule is a new connector's schedule when none is given.
	DefaultSchedule string
	Writeback       WritebackOptions
	// ImportLimits bound CSV imports.
	ImportLimits csvimport.Limits
	// Layout builds the connectors pages; nil renders them bare (tests).
	Layout *web.Layout
}

// Module is the sync module.
type Module struct {
	svc          *Service
	tenants      Tenants
	log          *slog.Logger
	importLimits csvimport.Limits
	layout       *web.Layout

	// background holds manual runs started over HTTP; Close waits for them.
	background sync.WaitGroup
	ctx        context.Context
	cancel     context.CancelFunc
}

// New builds the module.
func New(d Deps) *Module {
	svc := NewService(ServiceDeps{DB: d.DB, Box: d.Box, Factories: d.Factories, HTTP: d.HTTP, Log: d.Log,
		Metrics: newMetrics(d.Registry), Touchpoints: d.Touchpoints, DefaultSchedule: d.DefaultSchedule, Writeback: d.Writeback})
	ctx, cancel := context.WithCancel(context.Background())
	limits := d.ImportLimits
	if limits.MaxBytes == 0 {
		limits.MaxBytes = csvimport.DefaultLimits.MaxBytes
	}
	return &Module{svc: svc, tenants: d.Tenants, log: d.Log, importLimits: limits, layout: d.Layout, ctx: ctx, cancel: cancel}
}

// Service is the module's service, for the CLI and benchmarks.
func (m *Module) Service() *Service { return m.svc }

// Name implements module.Module.
func (m *Module) Name() string { return "sync" }

// Jobs implements module.Module.
func (m *Module) Jobs() []jobs.Job { return []jobs.Job{m.svc.dispatchJob()} }

// Start implements module.Module.
func (m *Module) Start(context.Context) error { return nil }

// Close stops manual runs in progress and waits for them.
func (m *Module) Close() error {
	m.cancel()
	m.background.Wait()
	return nil
}

// Routes implements module.Module.
func (m *Module) Routes() []web.Route {
	read, write := web.Perm("settings.connectors", "read"), web.Perm("settings.connectors", "write")
	return append([]web.Route{
		{Method: http.MethodGet, Path: "/api/tenants/:tenant/connectors", Perm: read, Handler: m.listConnectors},
		{Method: http.MethodPut, Path: "/api/tenants/:tenant/connectors/:kind", Perm: write, Handler: m.connect},
		{Method: http.MethodDelete, Path: "/api/tenants/:tenant/connectors/:kind", Perm: write, Handler: m.disconnect},
		{Method: http.MethodPost, Path: "/api/tenants/:tenant/connectors/:kind/sync", Perm: write, Handler: m.syncNow},
		{Method: http.MethodGet, Path: "/api/tenants/:tenant/connectors/:kind/runs", Perm: read, Handler: m.listRuns},
		{Method: http.MethodPost, Path: "/api/tenants/:tenant/imports/:kind", Perm: write, Handler: m.importCSV},
		{Method: http.MethodGet, Path: "/api/tenants/:tenant/campaign-mappings", Perm: web.Perm("campaigns", "read"), Handler: m.listMappings},
		{Method: http.MethodPut, Path: "/api/tenants/:tenant/campaign-mappings", Perm: web.Perm("campaigns", "write"), Handler: m.setMapping},
		{Method: http.MethodDelete, Path: "/api/tenants/:tenant/campaign-mappings", Perm: web.Perm("campaigns", "write"), Handler: m.deleteMapping},
		{Method: http.MethodGet, Path: "/api/tenants/:tenant/campaign-match", Perm: web.Perm("campaigns", "read"), Handler: m.matchCampaign},
	}, m.pageRoutes()...)
}
