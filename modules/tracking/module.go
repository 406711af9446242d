// Package tracking is SRG's front door: it serves the tracker sona.js, accepts its
// events at /t/collect, stores each valid request durably in a local spool before
// answering, and drains the spool into each tenant's Elasticsearch touchpoints index,
// enriching the events on the way (device, campaign, channel, identity).
package tracking

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/jobs"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/tracking/channel"
	"github.com/srgplatform/srg/modules/tracking/enrich"
)

// Deps are what the module needs.
type Deps struct {
	Config     config.Tracking
	DB         *gorm.DB
	Sites      SiteSource
	Indexer    Indexer
	Identities Identities
	Log        *slog.Logger
	Registry   prometheus.Registerer
	// Script is the built tracker, served at /sona.js.
	Script []byte
	// PublicURL is where browsers reach srg, for the install snippet.
	PublicURL string
	// TenantSites and Recent serve the settings pages; Layout builds them.
	TenantSites TenantSites
	Recent      RecentVisits
	Layout      *web.Layout
}

// Module is the tracking module.
type Module struct {
	cfg        config.Tracking
	log        *slog.Logger
	store      store
	sources    SiteSource
	sites      *siteCache
	spool      *Spool
	ingest     *ingester
	ua         *enrich.UAParser
	geo        *enrich.GeoIP
	trusted    []netip.Prefix
	ipLimit    *keyedLimiter
	siteLimit  *keyedLimiter
	metrics    *metrics
	script     []byte
	scriptETag string
	scratch    sync.Pool // of *collectScratch

	publicURL      string
	tenantSitesSrc TenantSites
	recent         RecentVisits
	layout         *web.Layout
}

// New builds the module and opens its spool.
func New(d Deps) (*Module, error) {
	trusted, err := enrich.ParsePrefixes(d.Config.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("tracking: trusted proxies: %w", err)
	}
	var geo *enrich.GeoIP
	if d.Config.GeoIPDB != "" {
		if geo, err = enrich.OpenGeoIP(d.Config.GeoIPDB); err != nil {
			return nil, fmt.Errorf("tracking.geoip_db: %w", err)
		}
	}
	met := newMetrics(d.Registry)
	spool, err := OpenSpool(d.Config.SpoolDir, SpoolOptions{
		MaxBytes:     int64(d.Config.SpoolMaxMB) << 20,
		SyncInterval: d.Config.SpoolSyncInterval,
		Observe:      func(d time.Duration) { met.spoolWrite.Observe(d.Seconds()) },
	})
	if err != nil {
		geo.Close()
		return nil, err
	}
	sum := sha256.Sum256(d.Script)
	m := &Module{
		cfg:        d.Config,
		log:        d.Log,
		store:      store{db: d.DB},
		sources:    d.Sites,
		spool:      spool,
		ua:         enrich.NewUAParser(4096),
		geo:        geo,
		trusted:    trusted,
		ipLimit:    newKeyedLimiter(float64(d.Config.RateLimitPerIP), 2*d.Config.RateLimitPerIP),
		siteLimit:  newKeyedLimiter(float64(d.Config.RateLimitPerSite), 2*d.Config.RateLimitPerSite),
		metrics:    met,
		script:     d.Script,
		scriptETag: `"` + hex.EncodeToString(sum[:8]) + `"`,

		publicURL:      d.PublicURL,
		tenantSitesSrc: d.TenantSites,
		recent:         d.Recent,
		layout:         d.Layout,
	}
	m.sites = newSiteCache(30*time.Second, m.loadSite)
	m.ingest = &ingester{spool: spool, index: d.Indexer, ids: d.Identities, store: m.store, log: d.Log,
		bulkSize: d.Config.BulkSize, metrics: m.metrics, wake: make(chan struct{}, 1), sites: m.sites, ua: m.ua,
		burstRate: d.Config.IndexRateDuringBursts, burstRequests: d.Config.BurstRequestsPerSecond}
	return m, nil
}

// collectPath is where the tracker sends its events.
const collectPath = "/t/collect"

// Name implements module.Module.
func (m *Module) Name() string { return "tracking" }

// Routes implements module.Module.
func (m *Module) Routes() []web.Route {
	// Customers' pages call the collect routes: CrossOrigin exempts them from CSRF
	// tokens (they are checked against the site's allowed domains instead).
	return append([]web.Route{
		{Method: http.MethodGet, Path: "/sona.js", Perm: web.Public, CrossOrigin: true, Handler: m.tracker},
		{Method: http.MethodPost, Path: collectPath, Perm: web.Public, CrossOrigin: true, Handler: m.collect},
		{Method: http.MethodOptions, Path: "/t/collect", Perm: web.Public, CrossOrigin: true, Handler: m.preflight},
		{Method: http.MethodGet, Path: "/t/p.gif", Perm: web.Public, CrossOrigin: true, Handler: m.pixel},
		{Method: http.MethodGet, Path: "/t/config/:key", Perm: web.Public, CrossOrigin: true, Handler: m.siteConfig},
	}, m.settingsRoutes()...)
}

// Shortcut is an echo Pre middleware that serves POST /t/collect ahead of routing
// and of the middleware chain, whose per-request work (request id, access log, HTTP
// metrics, session lookup, CSRF, permission check) cost more than the collect
// handler's own: the route is public and cross-origin, answers a third-party page,
// and counts its own requests (srg_tracking_*). Errors still go to echo's error
// handler, panics are recovered, and the security headers are set as for every
// response. The route stays declared in Routes, with the same handler.
func (m *Module) Shortcut(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		r := c.Request()
		if r.Method != http.MethodPost || r.URL.Path != collectPath {
			return next(c)
		}
		defer func() {
			if p := recover(); p != nil {
				m.log.Error("collect handler panicked", "panic", p)
				err = echo.NewHTTPError(http.StatusInternalServerError)
			}
		}()
		web.SecurityHeaders(c.Response().Header(), c.IsTLS())
		return m.collect(c)
	}
}

// Jobs implements module.Module.
func (m *Module) Jobs() []jobs.Job { return nil }

// Start runs the ingester until ctx ends.
func (m *Module) Start(ctx context.Context) error {
	go m.ingest.run(ctx)
	return nil
}

// Close closes the spool and the GeoIP database; call it after the server stopped
// accepting requests.
func (m *Module) Close() error {
	m.geo.Close()
	return m.spool.Close()
}

func (m *Module) loadSite(ctx context.Context, key string) (Site, error) {
	rec, err := m.sources.SiteByKey(ctx, key)
	if err != nil {
		return Site{}, err
	}
	ctx = db.WithTenant(ctx, rec.TenantID)
	settings, err := m.store.settings(ctx, rec.ID)
	if err != nil {
		return Site{}, err
	}
	rules, err := m.store.rules(ctx, rec.TenantID)
	if err != nil {
		return Site{}, err
	}
	classifier, err := rules.Compile()
	if err != nil {
		return Site{}, fmt.Errorf("tracking: channel rules of tenant %s: %w", rec.Tenant, err)
	}
	return Site{SiteRecord: rec, Settings: settings, Rules: classifier}, nil
}

// SetSiteSettings changes a site's tracker settings, under the scope of the site's
// tenant (a request scoped to another tenant cannot change them).
func (m *Module) SetSiteSettings(ctx context.Context, siteKey string, st Settings) error {
	rec, err := m.sources.SiteByKey(ctx, siteKey)
	if err != nil {
		return err
	}
	ctx = db.WithTenant(ctx, rec.TenantID)
	if err := m.store.saveSettings(ctx, rec, st); err != nil {
		return err
	}
	m.sites.forget(siteKey)
	return nil
}

// SetChannelRules replaces a tenant's channel rules; they apply to events received
// from then on by this instance, and within the site cache's 30 seconds by others.
func (m *Module) SetChannelRules(ctx context.Context, tenantID int64, rules channel.Rules) error {
	ctx = db.WithTenant(ctx, tenantID)
	if err := rules.Validate(); err != nil {
		return errs.Invalid("rules", "%v", err)
	}
	if err := m.store.saveRules(ctx, tenantID, rules); err != nil {
		return err
	}
	m.sites.forgetAll()
	return nil
}

// Drain indexes everything in the spool now; for tests and shutdown.
func (m *Module) Drain(ctx context.Context) error {
	for {
		n, err := m.ingest.drainOnce(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// Pending is the number of accepted collect requests whose events are not yet indexed.
func (m *Module) Pending() uint64 {
	n, _ := m.spool.Len()
	return n
}

func (m *Module) clientIP(r *http.Request) netip.Addr {
	return enrich.ClientIP(r.RemoteAddr, strings.Join(r.Header.Values("X-Forwarded-For"), ","), m.trusted)
}

func (m *Module) storedIP(ip netip.Addr) netip.Addr {
	if m.cfg.AnonymizeIP {
		return enrich.AnonymizeIP(ip)
	}
	return ip
}

// spoolWriteBuckets bound the spool write times of srg_tracking_spool_write_seconds.
var spoolWriteBuckets = []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

type metrics struct {
	accepted       prometheus.Counter
	rejected       *prometheus.CounterVec
	indexed        prometheus.Counter
	ingestErrors   prometheus.Counter
	ingestRejected prometheus.Counter
	spoolRecords   prometheus.Gauge
	spoolBytes     prometheus.Gauge
	spoolWrite     prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		accepted:       prometheus.NewCounter(prometheus.CounterOpts{Name: "srg_tracking_events_accepted_total", Help: "Events stored in the spool and acknowledged."}),
		rejected:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "srg_tracking_requests_rejected_total", Help: "Collect requests refused, by reason."}, []string{"reason"}),
		indexed:        prometheus.NewCounter(prometheus.CounterOpts{Name: "srg_tracking_events_indexed_total", Help: "Events indexed into Elasticsearch."}),
		ingestErrors:   prometheus.NewCounter(prometheus.CounterOpts{Name: "srg_tracking_ingest_errors_total", Help: "Failed indexing attempts (retried)."}),
		ingestRejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "srg_tracking_events_rejected_total", Help: "Events Elasticsearch refused, kept in tracking_rejects."}),
		spoolRecords:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "srg_tracking_spool_records", Help: "Accepted collect requests in the spool, not yet indexed."}),
		spoolBytes:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "srg_tracking_spool_bytes", Help: "Approximate size of the spool."}),
		spoolWrite: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "srg_tracking_spool_write_seconds",
			Help:    "Time of each spool write with its fsync, which the collect requests that arrived meanwhile wait for before their 204.",
			Buckets: spoolWriteBuckets}),
	}
	if reg != nil {
		reg.MustRegister(m.accepted, m.rejected, m.indexed, m.ingestErrors, m.ingestRejected, m.spoolRecords, m.spoolBytes, m.spoolWrite)
	}
	return m
}
