package app

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/web"
)

// Readiness is the body of /readyz: "ok" or the reason per part.
type Readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func (p *Platform) healthRoutes() []web.Route {
	metrics := promhttp.HandlerFor(p.Registry, promhttp.HandlerOpts{})
	return []web.Route{
		{Method: http.MethodGet, Path: "/healthz", Perm: web.Public, Handler: func(c echo.Context) error {
			return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
		}},
		{Method: http.MethodGet, Path: "/readyz", Perm: web.Public, Handler: p.readyz},
		{Method: http.MethodGet, Path: "/metrics", Perm: web.Public, Handler: echo.WrapHandler(metrics)},
	}
}

// Ready checks Postgres, the schema version and Elasticsearch.
func (p *Platform) Ready(ctx context.Context) Readiness {
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	r := Readiness{Status: "ok", Checks: map[string]string{}}
	fail := func(part, reason string) {
		r.Status = errNotReady.Error()
		r.Checks[part] = reason
	}
	if err := db.SQL(p.DB).PingContext(ctx); err != nil {
		fail("postgres", "unreachable: "+err.Error())
		fail("migrations", "unknown: postgres unreachable")
	} else {
		r.Checks["postgres"] = "ok"
		switch pending, err := p.Migrator.Pending(ctx); {
		case err != nil:
			fail("migrations", "unknown: "+err.Error())
		case pending:
			fail("migrations", "pending: run srg migrate up")
		default:
			r.Checks["migrations"] = "ok"
		}
	}
	if err := p.Search.Ping(ctx); err != nil {
		fail("elasticsearch", err.Error())
	} else {
		r.Checks["elasticsearch"] = "ok"
	}
	return r
}

func (p *Platform) readyz(c echo.Context) error {
	r := p.Ready(c.Request().Context())
	status := http.StatusOK
	if r.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(status, r)
}
