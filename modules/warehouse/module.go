// Package warehouse exports each tenant's processed data (touchpoints, attribution
// credits, opportunities, people, accounts, ad spend and daily rollups) to the
// destinations it configured: a PostgreSQL-compatible warehouse, or Parquet files
// in an S3-compatible bucket or a local directory. Runs are incremental from a
// per-(destination, dataset) watermark, committed only once the destination
// confirmed the data, and idempotent at the destination.
package warehouse

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/jobs"
	"github.com/srgplatform/srg/app/web"
)

// Tenants resolves the tenant in a request's path.
type Tenants interface {
	TenantID(ctx context.Context, slug string) (int64, error)
}

// Deps are what the module needs.
type Deps struct {
	DB      *gorm.DB
	Box     Box
	Index   Index
	Tables  Tables
	Tenants Tenants
	Log     *slog.Logger
	Options Options
	// Layout builds the settings page; nil renders it bare (tests).
	Layout *web.Layout
}

// Module is the warehouse module.
type Module struct {
	svc     *Service
	tenants Tenants
	log     *slog.Logger
	layout  *web.Layout

	// background holds runs started over HTTP; Close waits for them.
	background sync.WaitGroup
	ctx        context.Context
	cancel     context.CancelFunc
}

// New builds the module.
func New(d Deps) *Module {
	ctx, cancel := context.WithCancel(context.Background())
	svc := NewService(ServiceDeps{DB: d.DB, Box: d.Box, Index: d.Index, Tables: d.Tables, Log: d.Log, Options: d.Options})
	return &Module{svc: svc, tenants: d.Tenants, log: d.Log, layout: d.Layout, ctx: ctx, cancel: cancel}
}

// Service is the module's service, for the CLI and benchmarks.
func (m *Module) Service() *Service { return m.svc }

// Name implements module.Module.
func (m *Module) Name() string { return "warehouse" }

// Jobs implements module.Module.
func (m *Module) Jobs() []jobs.Job { return []jobs.Job{m.svc.dispatchJob()} }

// Start implements module.Module.
func (m *Module) Start(context.Context) error { return nil }

// Close stops runs started over HTTP and waits for them.
func (m *Module) Close() error {
	m.cancel()
	m.background.Wait()
	return nil
}

// Routes implements module.Module.
func (m *Module) Routes() []web.Route {
	read, write := web.Perm("settings.warehouse", "read"), web.Perm("settings.warehouse", "write")
	const base = "/api/tenants/:tenant/warehouse"
	return append([]web.Route{
		{Method: http.MethodGet, Path: base + "/datasets", Perm: read, Handler: m.listDatasets},
		{Method: http.MethodGet, Path: base + "/destinations", Perm: read, Handler: m.listDestinations},
		{Method: http.MethodPost, Path: base + "/destinations", Perm: write, Handler: m.createDestination},
		{Method: http.MethodGet, Path: base + "/destinations/:id", Perm: read, Handler: m.getDestination},
		{Method: http.MethodPut, Path: base + "/destinations/:id", Perm: write, Handler: m.updateDestination},
		{Method: http.MethodDelete, Path: base + "/destinations/:id", Perm: write, Handler: m.deleteDestination},
		{Method: http.MethodPost, Path: base + "/destinations/:id/check", Perm: write, Handler: m.checkDestination},
		{Method: http.MethodPost, Path: base + "/destinations/:id/export", Perm: write, Handler: m.exportNow},
		{Method: http.MethodGet, Path: base + "/destinations/:id/runs", Perm: read, Handler: m.listRuns},
	}, m.pageRoutes()...)
}

// startRun starts a run in the background once it holds the destination's lock;
// ErrBusy when another run holds it.
func (m *Module) startRun(d Destination, from *time.Time, actor string) error {
	trigger := TriggerManual
	if from != nil {
		trigger = TriggerBackfill
	}
	started := make(chan error, 1)
	m.background.Add(1)
	go func() {
		defer m.background.Done()
		_, err := m.svc.run(m.ctx, d, trigger, from, actor, started)
		if err != nil && !errors.Is(err, ErrBusy) {
			m.log.Error("manual export failed", "tenant_id", d.TenantID, "destination", d.Name, "err", err)
		}
	}()
	return <-started
}
