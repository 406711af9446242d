// Package tenants owns customer workspaces: tenants, their tracking sites and their
// members with their roles. It applies the tenants declared in the config file, keeps
// every tenant's Elasticsearch indices in place, and serves the members, audit log and
// tenant-switching API.
package tenants

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/authz"
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
	// Policy is reloaded after a membership change.
	Policy Policy
}

// Module is the tenants module.
type Module struct {
	svc     *Service
	members *Members
	log     *slog.Logger
	decl    []config.Tenant
}

// New builds the module.
func New(d Deps) *Module {
	svc := NewService(d.DB, d.Indices, d.Log)
	svc.policy = d.Policy
	return &Module{svc: svc, members: NewMembers(d.DB, d.Policy, d.Log), log: d.Log, decl: d.Declarations}
}

// Members exposes the membership service.
func (m *Module) Members() *Members { return m.members }

// Service exposes the module's service to the app (for other modules' interfaces).
func (m *Module) Service() *Service { return m.svc }

// Name implements module.Module.
func (m *Module) Name() string { return "tenants" }

// Routes implements module.Module.
func (m *Module) Routes() []web.Route {
	read, write := web.Perm("settings.users", "read"), web.Perm("settings.users", "write")
	return []web.Route{
		{Method: http.MethodGet, Path: "/api/tenants/:tenant/members", Perm: read, Handler: m.listMembers},
		{Method: http.MethodPost, Path: "/api/tenants/:tenant/members", Perm: write, Handler: m.addMember},
		{Method: http.MethodPut, Path: "/api/tenants/:tenant/members/:user_id", Perm: write, Handler: m.setMemberRole},
		{Method: http.MethodDelete, Path: "/api/tenants/:tenant/members/:user_id", Perm: write, Handler: m.removeMember},
		{Method: http.MethodGet, Path: "/api/tenants/:tenant/audit", Perm: web.Perm("audit", "read"), Handler: m.listAudit},
		{Method: http.MethodGet, Path: "/api/me/tenants", Perm: web.Perm(authz.Self, "read"), Handler: m.myTenants},
	}
}

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
