// Package attribution credits pipeline and revenue to the touchpoints of each
// opportunity's journey with the tenant's models, and writes the credits to the
// tenant's credits index. The models themselves are pure functions in model/,
// markov/ and shapley/; paths/ reads the path files of `srg attribute`.
package attribution

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/jobs"
	"github.com/srgplatform/srg/app/web"
)

// Tenants lists tenants and resolves a request's tenant.
type Tenants interface {
	TenantID(ctx context.Context, slug string) (int64, error)
	All(ctx context.Context) (map[int64]string, error)
}

// Deps are what the module needs.
type Deps struct {
	DB      *gorm.DB
	Store   Store
	Tenants Tenants
	Log     *slog.Logger
	// Layout builds the settings page's layout; nil renders it bare (tests).
	Layout *web.Layout
}

// Module is the attribution module.
type Module struct {
	svc     *Service
	tenants Tenants
	log     *slog.Logger
	layout  *web.Layout

	// background holds recomputes started by a settings change or a new credit
	// index; Close waits. closed, under mu, stops new ones once Close began.
	background sync.WaitGroup
	mu         sync.Mutex
	closed     bool
	ctx        context.Context
	cancel     context.CancelFunc
}

// New builds the module.
func New(d Deps) *Module {
	ctx, cancel := context.WithCancel(context.Background())
	return &Module{svc: NewService(d.DB, d.Store, d.Log), tenants: d.Tenants, log: d.Log, layout: d.Layout, ctx: ctx, cancel: cancel}
}

// Close stops a recompute in progress and waits for it.
func (m *Module) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.cancel()
	m.background.Wait()
	return nil
}

// Service is the module's service, for the CLI.
func (m *Module) Service() *Service { return m.svc }

// Name implements module.Module.
func (m *Module) Name() string { return "attribution" }

// Start implements module.Module.
func (m *Module) Start(context.Context) error { return nil }

// Jobs implements module.Module: every tenant is recomputed incrementally a few
// minutes after syncs and tracking bring changes.
func (m *Module) Jobs() []jobs.Job {
	return []jobs.Job{{Name: "attribution.recompute", Schedule: "@every 5m", Timeout: time.Hour, Run: m.recomputeAll}}
}

func (m *Module) recomputeAll(ctx context.Context) error {
	all, err := m.tenants.All(ctx)
	if err != nil {
		return err
	}
	var failed []error
	for id, slug := range all {
		res, err := m.svc.Recompute(ctx, id, slug, false)
		if err != nil {
			failed = append(failed, err)
			continue
		}
		if res.Changed > 0 {
			m.log.Info("attribution recomputed", "tenant", slug, "opportunities", res.Opportunities, "changed", res.Changed, "credits", res.Credits)
		}
	}
	return errors.Join(failed...)
}

// Routes implements module.Module.
func (m *Module) Routes() []web.Route {
	return append([]web.Route{
		{Method: http.MethodGet, Path: "/api/tenants/:tenant/attribution/settings", Perm: web.Perm("settings.attribution", "read"), Handler: m.getSettings},
		{Method: http.MethodPut, Path: "/api/tenants/:tenant/attribution/settings", Perm: web.Perm("settings.attribution", "write"), Handler: m.putSettings},
		{Method: http.MethodGet, Path: "/api/tenants/:tenant/attribution/weights", Perm: web.Perm("settings.attribution", "read"), Handler: m.getWeights},
		{Method: http.MethodGet, Path: "/api/tenants/:tenant/attribution/scoreboard", Perm: web.Perm("settings.attribution", "read"), Handler: m.getScores},
		{Method: http.MethodPost, Path: "/api/tenants/:tenant/attribution/recompute", Perm: web.Perm("settings.attribution", "write"), Handler: m.recompute},
	}, m.pageRoutes()...)
}

func (m *Module) getSettings(c echo.Context) error {
	tid, err := web.RequestTenant(c)
	if err != nil {
		return err
	}
	st, _, err := m.svc.Settings(c.Request().Context(), tid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"settings": st, "hash": st.Hash()})
}

func (m *Module) putSettings(c echo.Context) error {
	tid, err := web.RequestTenant(c)
	if err != nil {
		return err
	}
	st := DefaultSettings()
	if err := web.DecodeJSON(c, &st, "a settings object"); err != nil {
		return err
	}
	if err := m.setSettings(c, tid, st, "api"); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"settings": st, "hash": st.Hash(), "recompute": "started"})
}

// setSettings stores new settings and, since they change every credit, starts a
// full recompute at once rather than at the next tick.
func (m *Module) setSettings(c echo.Context, tid int64, st Settings, actor string) error {
	if err := m.svc.SetSettings(c.Request().Context(), tid, st, actor); err != nil {
		return err
	}
	m.recomputeInBackground(tid, c.Param("tenant"), true, "a settings change")
	return nil
}

// CreditsIndexCreated fills a tenant's credit index that was just created (an
// upgrade rebuilt it empty, or it was deleted) at once, rather than at the next
// tick: the run finds the index newer than itself and writes every credit again.
func (m *Module) CreditsIndexCreated(slug string) {
	tid, err := m.tenants.TenantID(m.ctx, slug)
	if m.ctx.Err() != nil {
		return // closing: the next start's tick writes them
	}
	if err != nil {
		m.log.Error("no recompute for a created credit index", "tenant", slug, "err", err)
		return
	}
	m.recomputeInBackground(tid, slug, false, "the credit index was created")
}

// recomputeInBackground starts a recompute that Close stops and waits for; a
// recompute of the same tenant already running (here or in another instance)
// finishes first.
func (m *Module) recomputeInBackground(tid int64, slug string, full bool, after string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.background.Add(1)
	go func() {
		defer m.background.Done()
		if _, err := m.svc.Recompute(m.ctx, tid, slug, full); err != nil && m.ctx.Err() == nil {
			m.log.Error("recompute after "+after+" failed", "tenant", slug, "err", err)
		}
	}()
}

// getWeights shows what the data-driven models learnt: each channel's share with
// its bootstrap 95% interval.
func (m *Module) getWeights(c echo.Context) error {
	tid, err := web.RequestTenant(c)
	if err != nil {
		return err
	}
	ws, err := m.svc.Weights(c.Request().Context(), tid)
	if err != nil {
		return err
	}
	if ws == nil {
		ws = []ChannelWeight{}
	}
	return c.JSON(http.StatusOK, map[string]any{"weights": ws})
}

// getScores shows the model scoreboard: which model's channel weights best predict
// conversion on journeys held out from learning.
func (m *Module) getScores(c echo.Context) error {
	tid, err := web.RequestTenant(c)
	if err != nil {
		return err
	}
	scores, err := m.svc.Scores(c.Request().Context(), tid)
	if err != nil {
		return err
	}
	if scores == nil {
		scores = []Score{}
	}
	return c.JSON(http.StatusOK, map[string]any{"scores": scores})
}

// recompute runs a full recompute now and answers what it did.
func (m *Module) recompute(c echo.Context) error {
	slug := c.Param("tenant")
	tid, err := m.tenants.TenantID(c.Request().Context(), slug)
	if err != nil {
		return err
	}
	res, err := m.svc.Recompute(c.Request().Context(), tid, slug, c.QueryParam("full") == "true")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
