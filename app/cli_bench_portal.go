package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/bench"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/web"
)

// benchPortal generates and attributes a tenant, then times the portal's pages in
// this process.
func benchPortal(ctx context.Context, env *cliEnv, self, pg, es string, opportunities int) error {
	return bench.RunPortal(ctx, bench.PortalOptions{
		Binary: self, DatabaseURL: pg, ElasticsearchURL: es, Out: env.stdout, Log: env.stderr,
		Opportunities: opportunities, Seed: benchAttributionSeed, Portal: benchPortalHandler,
	})
}

// benchPortalHandler wires the platform against the benchmark's database and
// indices and serves the portal module's routes, with the platform's renderer and
// permission checks, to the given user (who owns the tenant).
func benchPortalHandler(ctx context.Context, databaseURL, elasticsearchURL, indexPrefix string, userID int64) (http.Handler, func(), error) {
	cfg := config.Default()
	cfg.Database.URL = databaseURL
	cfg.Elasticsearch.URL = elasticsearchURL
	cfg.Elasticsearch.IndexPrefix = indexPrefix
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg.Secrets.Key = base64.StdEncoding.EncodeToString(key)
	dir, err := os.MkdirTemp("", "srg-bench-portal-")
	if err != nil {
		return nil, nil, err
	}
	cfg.Tracking.SpoolDir = dir
	cfg.Jobs.Enabled = false
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := Build(ctx, cfg, log)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	if err := p.Search.Wait(ctx); err != nil {
		p.Close()
		os.RemoveAll(dir)
		return nil, nil, err
	}
	if err := p.Authz.Start(ctx); err != nil {
		p.Close()
		os.RemoveAll(dir)
		return nil, nil, err
	}
	e := web.NewEcho(log, nil, p.Echo.Renderer)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			web.SetPrincipal(c, &web.Principal{UserID: userID, Email: "bench@bench.example", SessionID: "bench"})
			return next(c)
		}
	})
	web.NewRouter(e, p.Authorizer, p.Tenants.Service()).Mount(p.Portal.Routes()...)
	return e, func() { p.Close(); os.RemoveAll(dir) }, nil
}
