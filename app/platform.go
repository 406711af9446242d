package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/authz"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/jobs"
	"github.com/srgplatform/srg/app/module"
	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/app/secrets"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/migrations"
	"github.com/srgplatform/srg/modules/attribution"
	"github.com/srgplatform/srg/modules/auth"
	"github.com/srgplatform/srg/modules/identity"
	"github.com/srgplatform/srg/modules/portal"
	"github.com/srgplatform/srg/modules/tenants"
	"github.com/srgplatform/srg/modules/tracking"
	"github.com/srgplatform/srg/modules/warehouse"

	"github.com/srgplatform/srg/modules/sync/csvimport"

	syncer "github.com/srgplatform/srg/modules/sync"
	"github.com/srgplatform/srg/static"
	"github.com/srgplatform/srg/templates"
)

// Platform is a wired srg process: its stores, scheduler, HTTP server and modules.
type Platform struct {
	Config    config.Config
	Log       *slog.Logger
	DB        *gorm.DB
	Migrator  *db.Migrator
	Search    *search.Client
	Secrets   *secrets.Box
	Scheduler *jobs.Scheduler
	Echo      *echo.Echo
	Router    *web.Router
	Authz     *authz.Enforcer
	// Authorizer checks the permission of every non-public route.
	Authorizer *authz.Authorizer
	Registry   *prometheus.Registry
	Modules    []module.Module
	// tls is the HTTPS configuration when srg terminates TLS.
	tls *tls.Config

	Tenants     *tenants.Module
	Auth        *auth.Module
	Identity    *identity.Module
	Tracking    *tracking.Module
	Sync        *syncer.Module
	Attribution *attribution.Module
	Portal      *portal.Module
	Warehouse   *warehouse.Module
	// Layout builds the layout part of every portal page (tenant switcher, nav).
	Layout *web.Layout
}

// Build connects to Postgres, applies migrations when configured, starts connecting
// to Elasticsearch, and wires every module. Close releases what it opened.
func Build(ctx context.Context, cfg config.Config, log *slog.Logger) (*Platform, error) {
	p := &Platform{Config: cfg, Log: log, Registry: prometheus.NewRegistry()}
	p.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	box, err := secrets.New(cfg.Secrets.Key)
	if err != nil {
		return nil, err
	}
	p.Secrets = box

	p.Migrator, err = db.NewMigrator(ctx, cfg.Database, migrations.SQL)
	if err != nil {
		return nil, err
	}
	if cfg.Database.MigrateOnStart {
		n, err := p.Migrator.Up(ctx)
		if err != nil {
			p.Close()
			return nil, err
		}
		if n > 0 {
			log.Info("migrations applied", "count", n)
		}
	}
	p.DB, err = db.Open(ctx, cfg.Database, log.With("component", "db"))
	if err != nil {
		p.Close()
		return nil, err
	}
	sqlDB := db.SQL(p.DB)
	p.Registry.MustRegister(collectors.NewDBStatsCollector(sqlDB, "srg"))

	p.Search = search.New(cfg.Elasticsearch, cfg.ElasticsearchURLs(), log.With("component", "elasticsearch"))
	p.Scheduler = jobs.New(sqlDB, log.With("component", "jobs"), cfg.Jobs.Schedules, p.Registry)

	assets, err := web.NewAssets(static.FS)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("app: static assets: %w", err)
	}
	funcs := web.Funcs()
	funcs["asset"] = assets.URL
	renderer, err := web.NewRenderer(templates.FS, funcs)
	if err != nil {
		p.Close()
		return nil, err
	}
	defs, err := authz.LoadDefinitions(cfg.Access)
	if err != nil {
		p.Close()
		return nil, err
	}
	p.Authz, err = authz.New(authz.Deps{DB: p.DB, DatabaseURL: cfg.Database.URL, Definitions: defs, Log: log.With("component", "authz")})
	if err != nil {
		p.Close()
		return nil, err
	}
	p.Tenants = tenants.New(tenants.Deps{DB: p.DB, Indices: p.Search, Log: log.With("module", "tenants"), Declarations: cfg.Tenants, Policy: p.Authz})

	p.Echo = web.NewEcho(log.With("component", "http"), p.Registry, renderer)
	if err := p.configureHTTP(); err != nil {
		p.Close()
		return nil, err
	}
	p.Authorizer = authz.NewAuthorizer(p.Authz, p.Tenants.Service())
	p.Router = web.NewRouter(p.Echo, p.Authorizer, p.Tenants.Service())
	p.Router.Mount(assets.Routes()...)
	p.Router.Mount(p.healthRoutes()...)
	// The layout shows only the sections the user may open.
	directory := layoutDirectory{p.Tenants.Service(), p.Tenants.Members()}
	p.Layout = web.NewLayout(directory, p.Authorizer)

	if p.Auth, err = p.buildAuth(); err != nil {
		p.Close()
		return nil, err
	}
	p.Echo.Use(p.Auth.Middleware()...)
	p.Identity = identity.New(identity.Deps{DB: p.DB, Updater: p.Search, Log: log.With("module", "identity")})
	p.Tracking, err = tracking.New(tracking.Deps{
		Config:     cfg.Tracking,
		DB:         p.DB,
		Sites:      trackingSites{p.Tenants.Service()},
		Indexer:    p.Search,
		Identities: trackingIdentities{p.Identity.Service()},
		Log:        log.With("module", "tracking"),
		Registry:   p.Registry,
		Script:     static.Tracker(),

		PublicURL:   cfg.Server.PublicURL,
		TenantSites: trackingSettings{p.Tenants.Service()},
		Recent:      p.Search,
		Layout:      p.Layout,
	})
	if err != nil {
		p.Close()
		return nil, err
	}
	p.Echo.Pre(p.Tracking.Shortcut)
	p.Sync = syncer.New(syncer.Deps{
		DB:              p.DB,
		Box:             p.Secrets,
		Tenants:         p.Tenants.Service(),
		Touchpoints:     syncTouchpoints{p.Search},
		Factories:       connectorFactories(),
		HTTP:            &http.Client{Timeout: cfg.Sync.HTTPTimeout},
		Log:             log.With("module", "sync"),
		Registry:        p.Registry,
		DefaultSchedule: cfg.Sync.DefaultSchedule,
		Writeback:       syncer.WritebackOptions{Settle: cfg.Sync.WritebackSettle, MaxPerRun: cfg.Sync.WritebackMaxPerRun},
		ImportLimits:    csvimport.Limits{MaxBytes: int64(cfg.Sync.ImportMaxMB) << 20},
		Layout:          p.Layout,
	})
	p.Attribution = attribution.New(attribution.Deps{DB: p.DB, Store: attributionStore{p.Search},
		Tenants: attributionTenants{p.Tenants.Service()}, Log: log.With("module", "attribution"), Layout: p.Layout})
	p.Portal = portal.New(portal.Deps{Version: Version, DB: p.DB, Search: p.Search, Campaigns: portalCampaigns{p.DB},
		Models: portalModels{p.Attribution.Service()}, Directory: directory, Layout: p.Layout, Log: log.With("module", "portal")})
	p.Warehouse = warehouse.New(warehouse.Deps{DB: p.DB, Box: p.Secrets, Index: p.Search,
		Tables:  warehouseTables{identity: p.Identity.Service(), sync: p.Sync.Service(), attribution: p.Attribution.Service()},
		Tenants: attributionTenants{p.Tenants.Service()}, Log: log.With("module", "warehouse"), Layout: p.Layout,
		Options: warehouse.Options{DefaultSchedule: cfg.Warehouse.DefaultSchedule, Settle: cfg.Warehouse.Settle,
			LocalRoot: cfg.Warehouse.LocalDir, FileRows: int64(cfg.Warehouse.FileRows)}})
	p.Modules = []module.Module{p.Tenants, tenants.NewPages(p.Tenants, p.Layout, p.Auth.Service()), p.Auth, p.Identity, p.Tracking, p.Sync, p.Attribution, p.Portal, p.Warehouse}
	for _, m := range p.Modules {
		p.Router.Mount(m.Routes()...)
		for _, j := range m.Jobs() {
			if err := p.Scheduler.Register(j); err != nil {
				p.Close()
				return nil, err
			}
		}
	}
	if err := p.Scheduler.Register(pruneJobRuns(p.DB)); err != nil {
		p.Close()
		return nil, err
	}
	if unknown := p.Scheduler.UnknownOverrides(); len(unknown) > 0 {
		p.Close()
		return nil, fmt.Errorf("config: jobs.schedules names unknown jobs: %v", unknown)
	}
	return p, nil
}

// Start runs each module's start-up work, then loads permissions (after the declared
// tenants' members are in place) and, when enabled, starts the scheduler.
func (p *Platform) Start(ctx context.Context) error {
	// A serving srg fills a credit index it creates at once; the CLI, which does not
	// start the platform, runs its own recompute (srg recompute) or leaves it to
	// the server's next tick.
	p.Search.OnIndexCreated(search.Credits, p.Attribution.CreditsIndexCreated)
	for _, m := range p.Modules {
		if err := m.Start(ctx); err != nil {
			return fmt.Errorf("app: start %s: %w", m.Name(), err)
		}
	}
	if err := p.Authz.Start(ctx); err != nil {
		return fmt.Errorf("app: start permissions: %w", err)
	}
	if p.Config.Jobs.Enabled {
		p.Scheduler.Start()
	}
	return nil
}

// Serve serves HTTP on ln until ctx ends, then drains in-flight requests and stops
// the scheduler.
func (p *Platform) Serve(ctx context.Context, ln net.Listener) error {
	err := web.Serve(ctx, p.Echo, ln, web.ServerConfig{
		ReadTimeout:     p.Config.Server.ReadTimeout,
		WriteTimeout:    p.Config.Server.WriteTimeout,
		ShutdownTimeout: p.Config.Server.ShutdownTimeout,
		TLS:             p.tls,
	})
	stopCtx, cancel := context.WithTimeout(context.Background(), p.Config.Server.ShutdownTimeout)
	defer cancel()
	p.Scheduler.Stop(stopCtx)
	return err
}

// Close releases connections and whatever the modules hold open.
func (p *Platform) Close() {
	for _, m := range p.Modules {
		if c, ok := m.(io.Closer); ok {
			if err := c.Close(); err != nil {
				p.Log.Error("module close failed", "module", m.Name(), "err", err)
			}
		}
	}
	if p.Authz != nil {
		p.Authz.Close()
	}
	if p.Search != nil {
		p.Search.Close()
	}
	if p.DB != nil {
		if sqlDB, err := p.DB.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}
	if p.Migrator != nil {
		_ = p.Migrator.Close()
	}
}

// errNotReady lists the parts that are not ready.
var errNotReady = errors.New("not ready")

func migrationsFS() fs.FS { return migrations.SQL }
