package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/currency"

	"github.com/srgplatform/srg/app/jobs"
)

// ReservedSlugs cannot name a tenant: the tracker's endpoints live at /t/<name>,
// beside the portal's /t/<tenant>/ pages.
var ReservedSlugs = []string{"collect", "config"}

// SlugPattern is what a tenant slug must match. It keeps every index name built from
// it (<prefix>-<slug>-touchpoints) valid for Elasticsearch: lower case, no separators
// or wildcards, not starting with '-', '_' or '+'.
var SlugPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,38}[a-z0-9]$`)

var (
	siteKeyPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$`)
	e164Pattern        = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	indexPrefixPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,19}$`)
	domainPattern      = regexp.MustCompile(`^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
)

// ValidPhone reports whether s is a phone number in E.164 form (+15555550100), the
// form sign-in codes are sent to.
func ValidPhone(s string) bool { return e164Pattern.MatchString(s) }

// Roles a declared user may be given.
var Roles = []string{"owner", "admin", "marketer", "analyst", "viewer"}

// Validate returns one problem per invalid or missing value, each naming its key.
func (c Config) Validate() Problems {
	var p Problems
	add := func(key, format string, args ...any) {
		p = append(p, key+": "+fmt.Sprintf(format, args...))
	}
	if c.Mode != "development" && c.Mode != "production" {
		add("mode", "must be development or production, got %q", c.Mode)
	}
	if _, _, err := net.SplitHostPort(c.Server.Listen); err != nil {
		add("server.listen", "must be host:port, got %q", c.Server.Listen)
	}
	if c.Server.PprofListen != "" {
		if _, _, err := net.SplitHostPort(c.Server.PprofListen); err != nil {
			add("server.pprof_listen", "must be host:port, got %q", c.Server.PprofListen)
		}
	}
	if u, err := url.Parse(c.Server.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("server.public_url", "must be an absolute http(s) URL, got %q", c.Server.PublicURL)
	}
	for key, d := range map[string]int64{
		"server.read_timeout":     int64(c.Server.ReadTimeout),
		"server.write_timeout":    int64(c.Server.WriteTimeout),
		"server.shutdown_timeout": int64(c.Server.ShutdownTimeout),
	} {
		if d <= 0 {
			add(key, "must be a positive duration")
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		add("log.format", "must be text or json, got %q", c.Log.Format)
	}
	if c.Database.URL == "" {
		add("database.url", "required (or set SRG_DATABASE_URL)")
	} else if u, err := url.Parse(c.Database.URL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		add("database.url", "must be a postgres:// URL")
	}
	if c.Database.MaxOpenConns < 1 {
		add("database.max_open_conns", "must be at least 1")
	}
	if c.Database.MaxIdleConns < 0 || c.Database.MaxIdleConns > c.Database.MaxOpenConns {
		add("database.max_idle_conns", "must be between 0 and database.max_open_conns")
	}
	if c.Elasticsearch.URL == "" {
		add("elasticsearch.url", "required (or set SRG_ELASTICSEARCH_URL)")
	}
	for _, raw := range c.ElasticsearchURLs() {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("elasticsearch.url", "%q is not an absolute http(s) URL", raw)
		}
	}
	if !indexPrefixPattern.MatchString(c.Elasticsearch.IndexPrefix) {
		add("elasticsearch.index_prefix", "must be 1-20 lower-case letters, digits or '_', starting with a letter")
	}
	if c.Elasticsearch.NumberOfShards < 1 {
		add("elasticsearch.number_of_shards", "must be at least 1")
	}
	if c.Elasticsearch.NumberOfReplicas < 0 {
		add("elasticsearch.number_of_replicas", "must not be negative")
	}
	if c.Elasticsearch.HealthcheckInterval <= 0 {
		add("elasticsearch.healthcheck_interval", "must be a positive duration")
	}
	if c.Secrets.Key == "" {
		add("secrets.key", "required: 32 random bytes, base64-encoded (or set SRG_SECRETS_KEY)")
	} else if k, err := base64.StdEncoding.DecodeString(c.Secrets.Key); err != nil || len(k) != 32 {
		add("secrets.key", "must be 32 bytes, base64-encoded")
	}
	if c.Tracking.SpoolDir == "" {
		add("tracking.spool_dir", "required")
	}
	if c.Tracking.SpoolMaxMB < 1 {
		add("tracking.spool_max_mb", "must be at least 1")
	}
	if c.Tracking.SpoolSyncInterval < 0 || c.Tracking.SpoolSyncInterval > 100*time.Millisecond {
		add("tracking.spool_sync_interval", "must be between 0 and 100ms, got %s", c.Tracking.SpoolSyncInterval)
	}
	for i, tp := range c.Tracking.TrustedProxies {
		if _, err := netip.ParsePrefix(tp); err != nil {
			if _, err := netip.ParseAddr(tp); err != nil {
				add(fmt.Sprintf("tracking.trusted_proxies[%d]", i), "%q is not an IP address or CIDR range", tp)
			}
		}
	}
	if c.Tracking.GeoIPDB != "" {
		if info, err := os.Stat(c.Tracking.GeoIPDB); err != nil || info.IsDir() {
			add("tracking.geoip_db", "%q is not a readable file", c.Tracking.GeoIPDB)
		}
	}
	if c.Tracking.RateLimitPerIP < 0 {
		add("tracking.rate_limit_per_ip", "must not be negative (0 turns the limit off)")
	}
	if c.Tracking.RateLimitPerSite < 0 {
		add("tracking.rate_limit_per_site", "must not be negative (0 turns the limit off)")
	}
	if c.Tracking.IndexRateDuringBursts < 0 {
		add("tracking.index_rate_during_bursts", "must not be negative (0 turns pacing off)")
	}
	if c.Tracking.BurstRequestsPerSecond < 1 {
		add("tracking.burst_requests_per_second", "must be at least 1")
	}
	if c.Tracking.BulkSize < 1 || c.Tracking.BulkSize > 10000 {
		add("tracking.bulk_size", "must be between 1 and 10000")
	}
	if _, err := jobs.ParseSchedule(c.Sync.DefaultSchedule); err != nil {
		add("sync.default_schedule", "%v", err)
	}
	if c.Sync.HTTPTimeout < time.Second {
		add("sync.http_timeout", "must be at least 1s")
	}
	if c.Sync.WritebackSettle < 0 {
		add("sync.writeback_settle", "must not be negative")
	}
	if c.Sync.WritebackMaxPerRun < 1 {
		add("sync.writeback_max_per_run", "must be at least 1")
	}
	if c.Sync.ImportMaxMB < 1 || c.Sync.ImportMaxMB > 1024 {
		add("sync.import_max_mb", "must be between 1 and 1024")
	}
	for key, path := range map[string]string{"access.model_file": c.Access.ModelFile, "access.policy_file": c.Access.PolicyFile} {
		if path == "" {
			continue
		}
		if info, err := os.Stat(path); err != nil || info.IsDir() {
			add(key, "%q is not a readable file", path)
		}
	}
	p = append(p, c.validateAuth()...)
	p = append(p, c.Warehouse.validate()...)
	p = append(p, c.validateTenants()...)
	return p
}

func (c Config) validateTenants() Problems {
	var p Problems
	add := func(key, format string, args ...any) {
		p = append(p, key+": "+fmt.Sprintf(format, args...))
	}
	slugs := map[string]bool{}
	siteKeys := map[string]bool{}
	for i, t := range c.Tenants {
		tk := fmt.Sprintf("tenants[%d]", i)
		if !SlugPattern.MatchString(t.Slug) {
			add(tk+".slug", "%q must be 2-40 lower-case letters, digits or '-', starting with a letter", t.Slug)
		} else if slices.Contains(ReservedSlugs, t.Slug) {
			add(tk+".slug", "%q is reserved: the portal's /t/%s/ would be the tracker's endpoint", t.Slug, t.Slug)
		} else if slugs[t.Slug] {
			add(tk+".slug", "%q is declared twice", t.Slug)
		}
		slugs[t.Slug] = true
		if strings.TrimSpace(t.Name) == "" {
			add(tk+".name", "required")
		}
		if t.Currency != "" {
			if _, err := currency.ParseISO(t.Currency); err != nil || strings.ToUpper(t.Currency) != t.Currency {
				add(tk+".currency", "%q is not an ISO 4217 currency code such as USD or EUR", t.Currency)
			}
		}
		for j, s := range t.Sites {
			sk := fmt.Sprintf("%s.sites[%d]", tk, j)
			if !siteKeyPattern.MatchString(s.Key) {
				add(sk+".key", "%q must be 3-64 letters, digits, '-' or '_'", s.Key)
			} else if siteKeys[s.Key] {
				add(sk+".key", "%q is declared twice", s.Key)
			}
			siteKeys[s.Key] = true
			if len(s.Domains) == 0 {
				add(sk+".domains", "required: the domains the tracker may send from")
			}
			for k, d := range s.Domains {
				if !domainPattern.MatchString(d) {
					add(fmt.Sprintf("%s.domains[%d]", sk, k), "%q is not a lower-case host name or IP address", d)
				}
			}
		}
		for j, a := range t.Admins {
			ak := fmt.Sprintf("%s.admins[%d]", tk, j)
			if strings.TrimSpace(a.Name) == "" {
				add(ak+".name", "required")
			}
			if addr, err := mail.ParseAddress(a.Email); err != nil || addr.Address != a.Email {
				add(ak+".email", "%q is not an email address", a.Email)
			}
			if !e164Pattern.MatchString(a.Phone) {
				add(ak+".phone", "must be in E.164 form such as +15555550100 (quote it in YAML)")
			}
			if a.Role != "" && !slices.Contains(Roles, a.Role) {
				add(ak+".role", "must be one of %s", strings.Join(Roles, ", "))
			}
			if a.PasswordEnv != "" {
				if msg := validPasswordEnv(a.PasswordEnv); msg != "" {
					add(ak+".password_env", "%s", msg)
				}
			}
		}
		p = append(p, validateSSO(tk+".sso", t.SSO)...)
	}
	return p
}

// ElasticsearchURLs splits elasticsearch.url, which may list several nodes separated
// by commas.
func (c Config) ElasticsearchURLs() []string {
	var out []string
	for _, u := range strings.Split(c.Elasticsearch.URL, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}
