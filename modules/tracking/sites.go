package tracking

import (
	"context"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/modules/tracking/channel"
)

// SiteRecord is a tracked site as the tenants module knows it.
type SiteRecord struct {
	ID       int64
	TenantID int64
	Tenant   string
	Key      string
	Name     string
	Domains  []string
}

// SiteSource finds sites by key; the tenants module implements it. An unknown key is
// an errs.NotFound error.
type SiteSource interface {
	SiteByKey(ctx context.Context, key string) (SiteRecord, error)
}

// Site is a site with its tracker settings and its tenant's channel rules: all that
// collecting an event needs.
type Site struct {
	SiteRecord
	Settings Settings
	Rules    *channel.Classifier
}

// AllowsHost reports whether host (no port) is one of the site's domains: an exact
// match, or a subdomain of a "*.example.com" entry.
func (s Site) AllowsHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range s.Domains {
		if suffix, ok := strings.CutPrefix(d, "*."); ok {
			if host == suffix || strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == d {
			return true
		}
	}
	return false
}

// AllowsURL reports whether an Origin or Referer URL belongs to the site.
func (s Site) AllowsURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	host := u.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return s.AllowsHost(strings.Trim(host, "[]"))
}

// siteCache keeps sites for a short time so that the collect path does not query
// Postgres per request; unknown keys are remembered too.
type siteCache struct {
	load func(ctx context.Context, key string) (Site, error)
	ttl  time.Duration

	mu      sync.RWMutex
	entries map[string]siteEntry
}

type siteEntry struct {
	site    Site
	err     error
	expires time.Time
}

func newSiteCache(ttl time.Duration, load func(ctx context.Context, key string) (Site, error)) *siteCache {
	return &siteCache{load: load, ttl: ttl, entries: map[string]siteEntry{}}
}

func (c *siteCache) get(ctx context.Context, key string) (Site, error) {
	now := time.Now()
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.site, e.err
	}
	site, err := c.load(ctx, key)
	if err != nil && errs.KindOf(err) != errs.KindNotFound {
		return Site{}, err // do not cache outages
	}
	c.mu.Lock()
	if len(c.entries) > 100000 {
		c.entries = map[string]siteEntry{}
	}
	c.entries[key] = siteEntry{site: site, err: err, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return site, err
}

// forgetAll drops every site, so that a change of a tenant's rules applies at once.
func (c *siteCache) forgetAll() {
	c.mu.Lock()
	c.entries = map[string]siteEntry{}
	c.mu.Unlock()
}

// forget drops a key so that the next request reloads it (after a settings change).
func (c *siteCache) forget(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}
