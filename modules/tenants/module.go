// Package tenants owns customer workspaces: tenants, their tracking sites and their
// members. It applies the tenants declared in the config file and keeps every tenant's
// Elasticsearch indices in place.
package tenants

import (
	"context"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/jobs"
	"github.com/srgplatform/srg/app/web"
)

// Indices creates a tenant's Elasticsearch indices; app/search implements it.
type Indices interface {
	EnsureTenant(ctx context.Context, slug string) error
	Wait(ctx context.Context) error
}

// Deps are what the module needs.
type Deps struct {
	DB           *gorm.DB
	Indices      Indices
	Log          *slog.Logger
	Declarations []config.Tenant
}

// Module is the tenants module.
type Module struct {
	svc  *Service
	log  *slog.Logger
	decl []config.Tenant
}

// New builds the module.
func New(d Deps) *Module {
	return &Module{svc: NewService(d.DB, d.Indices, d.Log), log: d.Log, decl: d.Declarations}
}

// Service exposes the module's service to the app (for other modules' interfaces).
func (m *Module) Service() *Service { return m.svc }

// Name implements module.Module.
func (m *Module) Name() string { return "tenants" }

// Routes implements module.Module; tenant pages arrive with the portal's settings.
func (m *Module) Routes() []web.Route { return nil }

// Jobs implements module.Module.
func (m *Module) Jobs() []jobs.Job {
	return []jobs.Job{{
		Name:     "tenants.ensure-indices",
		Schedule: "@every 10m",
		Timeout:  5 * time.Minute,
		Run:      m.svc.EnsureAllIndices,
	}}
}

// Start applies the config file's declarations, then creates the indices of every
// tenant as soon as Elasticsearch answers.
func (m *Module) Start(ctx context.Context) error {
	res, err := m.svc.Apply(ctx, m.decl)
	if err != nil {
		return err
	}
	m.log.Info("config declarations applied", "tenants_created", res.TenantsCreated, "sites_created", res.SitesCreated,
		"users_created", res.UsersCreated, "changed", res.Changed)
	go func() {
		if err := m.svc.indices.Wait(ctx); err != nil {
			return
		}
		if err := m.svc.EnsureAllIndices(ctx); err != nil {
			m.log.Error("tenant indices not created", "err", err)
		}
	}()
	return nil
}
