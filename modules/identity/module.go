// Package identity turns the email addresses seen in forms and identify calls into
// people, links the visitor ids of their browsers to them, links people to companies by
// email domain, and has their earlier touchpoints updated with who they are.
package identity

import (
	"context"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/jobs"
	"github.com/srgplatform/srg/app/web"
)

// TouchpointUpdater sets the person and account of every touchpoint of a visitor;
// app/search implements it.
type TouchpointUpdater interface {
	SetVisitorIdentity(ctx context.Context, tenant, visitorID, personID, accountID string) (int, error)
}

// Deps are what the module needs.
type Deps struct {
	DB      *gorm.DB
	Updater TouchpointUpdater
	Log     *slog.Logger
	// SecondPassDelay is how long after the first backfill pass the second runs.
	SecondPassDelay time.Duration
}

// Module is the identity module.
type Module struct {
	svc *Service
}

// New builds the module.
func New(d Deps) *Module {
	return &Module{svc: NewService(d)}
}

// Service exposes the module's service to the app.
func (m *Module) Service() *Service { return m.svc }

// Name implements module.Module.
func (m *Module) Name() string { return "identity" }

// Routes implements module.Module; people pages arrive with the portal's journeys.
func (m *Module) Routes() []web.Route { return nil }

// Jobs implements module.Module.
func (m *Module) Jobs() []jobs.Job {
	return []jobs.Job{{
		Name:     "identity.backfill",
		Schedule: "@every 10s",
		Timeout:  5 * time.Minute,
		Run:      func(ctx context.Context) error { _, err := m.svc.Backfill(ctx, 500); return err },
	}}
}

// Start implements module.Module.
func (m *Module) Start(context.Context) error { return nil }
