package web

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
)

// NewEcho makes the echo instance with SRG's middleware: panic recovery, request ids,
// access logs, HTTP metrics and security headers.
func NewEcho(log *slog.Logger, reg prometheus.Registerer, renderer echo.Renderer) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Renderer = renderer
	e.HTTPErrorHandler = ErrorHandler(log)
	e.Use(
		middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true}),
		middleware.RequestID(),
		httpMetrics(reg),
		accessLog(log),
		securityHeaders,
	)
	return e
}

// ContentSecurityPolicy is sent with every response: scripts only from srg's own
// files (no inline script or event handler, no eval), no plugins, no framing, forms
// posting only to srg. Inline style attributes stay allowed for chart libraries.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; " +
	"form-action 'self'; frame-ancestors 'none'"

// HSTS is the Strict-Transport-Security value sent over TLS.
const HSTS = "max-age=31536000; includeSubDomains"

// Header values shared by every response: net/http only reads them, and a later
// Add on a one-element slice copies it, so one slice serves every request.
var (
	nosniff        = []string{"nosniff"}
	denyFrames     = []string{"DENY"}
	referrerPolicy = []string{"strict-origin-when-cross-origin"}
	csp            = []string{ContentSecurityPolicy}
	hsts           = []string{HSTS}
)

// SecurityHeaders sets the headers every response carries; handlers served ahead
// of the middleware chain (the collect endpoint's shortcut) call it themselves.
func SecurityHeaders(h http.Header, tls bool) {
	h["X-Content-Type-Options"] = nosniff
	h["X-Frame-Options"] = denyFrames
	h["Referrer-Policy"] = referrerPolicy
	h["Content-Security-Policy"] = csp
	if tls {
		h["Strict-Transport-Security"] = hsts
	}
}

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		SecurityHeaders(c.Response().Header(), c.IsTLS())
		return next(c)
	}
}

func accessLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			log.Debug("request",
				"method", c.Request().Method,
				"route", c.Path(),
				"status", c.Response().Status,
				"duration", time.Since(start),
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
			return nil
		}
	}
}

func httpMetrics(reg prometheus.Registerer) echo.MiddlewareFunc {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "srg_http_requests_total",
		Help: "HTTP requests by method, route and status code.",
	}, []string{"method", "route", "code"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "srg_http_request_duration_seconds",
		Help:    "HTTP request duration by method and route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route"})
	inflight := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "srg_http_requests_in_flight",
		Help: "HTTP requests being served.",
	})
	if reg != nil {
		reg.MustRegister(requests, duration, inflight)
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			inflight.Inc()
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			inflight.Dec()
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(c.Response().Status)).Inc()
			duration.WithLabelValues(c.Request().Method, route).Observe(time.Since(start).Seconds())
			return nil
		}
	}
}

// ServerConfig holds the listener settings of Serve.
type ServerConfig struct {
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	ShutdownTimeout time.Duration
	// TLS, when set, makes Serve speak HTTPS on the listener.
	TLS *tls.Config
}

// Serve serves h on ln until ctx ends, then stops accepting connections and waits up
// to ShutdownTimeout for in-flight requests to finish.
func Serve(ctx context.Context, h http.Handler, ln net.Listener, cfg ServerConfig) error {
	srv := &http.Server{
		Handler:           h,
		ReadTimeout:       cfg.ReadTimeout,
		ReadHeaderTimeout: min(cfg.ReadTimeout, 10*time.Second),
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		TLSConfig:         cfg.TLS,
	}
	errc := make(chan error, 1)
	go func() {
		if cfg.TLS != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-errc; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	return err
}
