package tracking

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
)

// transparentGIF is a 1x1 transparent GIF.
var transparentGIF = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

func tooLarge() error {
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body over 64 KB")
}

func rateLimited(c echo.Context) error {
	c.Response().Header().Set("Retry-After", "1")
	return echo.NewHTTPError(http.StatusTooManyRequests, "rate limited: retry later")
}

// collectScratch is the memory of one collect request, reused by later ones (see
// Module.scratch): the body, the decoded batch, which only validation reads, and
// the spool record, which the spool has copied by the time Append returns.
type collectScratch struct {
	limited io.LimitedReader
	body    bytes.Buffer
	batch   typedBatch
	record  []byte
}

// collectContentType reports whether a collect request's Content-Type is accepted,
// without parsing the values browsers send (sendBeacon's and fetch's).
func collectContentType(ct string) bool {
	switch ct {
	case "text/plain;charset=UTF-8", "text/plain", "application/json":
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "text/plain" || mt == "application/json")
}

// collect handles POST /t/collect.
func (m *Module) collect(c echo.Context) error {
	r := c.Request()
	now := time.Now().UTC()
	ip := m.clientIP(r)
	if m.ipLimit.enabled() && !m.ipLimit.allow(ip.String(), 1, now) {
		m.metrics.rejected.WithLabelValues("rate_ip").Inc()
		return rateLimited(c)
	}
	if ct := r.Header.Get(echo.HeaderContentType); ct != "" && !collectContentType(ct) {
		m.metrics.rejected.WithLabelValues("content_type").Inc()
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "content type must be text/plain or application/json")
	}
	if r.ContentLength > MaxBodyBytes {
		m.metrics.rejected.WithLabelValues("too_large").Inc()
		return tooLarge()
	}
	sc, _ := m.scratch.Get().(*collectScratch)
	if sc == nil {
		sc = &collectScratch{}
	}
	defer m.scratch.Put(sc)
	sc.body.Reset()
	sc.limited = io.LimitedReader{R: r.Body, N: MaxBodyBytes + 1}
	_, err := sc.body.ReadFrom(&sc.limited)
	sc.limited.R = nil
	if err != nil {
		return errs.Invalid("", "could not read the request body")
	}
	body := sc.body.Bytes()
	if len(body) > MaxBodyBytes {
		m.metrics.rejected.WithLabelValues("too_large").Inc()
		return tooLarge()
	}
	siteKey, events, err := checkBatch(body, &sc.batch)
	if err != nil {
		m.metrics.rejected.WithLabelValues("invalid").Inc()
		return err
	}
	site, err := m.sites.get(r.Context(), siteKey)
	if err != nil {
		m.metrics.rejected.WithLabelValues("site").Inc()
		return err
	}
	origin := r.Header.Get(echo.HeaderOrigin)
	if origin == "" {
		origin = r.Referer()
	}
	if !site.AllowsURL(origin) {
		m.metrics.rejected.WithLabelValues("origin").Inc()
		// Let the page read the refusal, so the tracker drops the batch instead of
		// retrying it; the answer grants nothing else.
		if o := r.Header.Get(echo.HeaderOrigin); o != "" {
			c.Response().Header().Set(echo.HeaderAccessControlAllowOrigin, o)
			c.Response().Header().Add(echo.HeaderVary, echo.HeaderOrigin)
		}
		return errs.Forbidden("origin not allowed for site %s", site.Key)
	}
	if o := r.Header.Get(echo.HeaderOrigin); o != "" {
		h := c.Response().Header()
		h[echo.HeaderAccessControlAllowOrigin] = []string{o}
		h[echo.HeaderVary] = append(h[echo.HeaderVary], echo.HeaderOrigin)
	}
	if m.siteLimit.enabled() && !m.siteLimit.allow(site.Key, 1, now) {
		m.metrics.rejected.WithLabelValues("rate_site").Inc()
		return rateLimited(c)
	}
	sc.record = m.spoolRecord(site, r, ip, now, body).appendTo(sc.record[:0])
	if err := m.spool.Append(r.Context(), [][]byte{sc.record}); err != nil {
		if errors.Is(err, ErrSpoolFull) {
			m.metrics.rejected.WithLabelValues("spool_full").Inc()
			c.Response().Header().Set("Retry-After", "30")
			return errs.Unavailable(err, "the event spool is full: retry later")
		}
		return errs.Unavailable(err, "events could not be stored: retry later")
	}
	m.metrics.accepted.Add(float64(events))
	m.ingest.requests.Add(1)
	m.ingest.notify()
	return c.NoContent(http.StatusNoContent)
}

// spoolRecord is an accepted request as the spool keeps it, with what enrichment
// needs from the request itself (the raw address is used for the country and then
// dropped).
func (m *Module) spoolRecord(site Site, r *http.Request, ip netip.Addr, now time.Time, body []byte) *spoolRecord {
	rec := &spoolRecord{TenantID: site.TenantID, Tenant: site.Tenant, SiteKey: site.Key, Received: now,
		Country: m.geo.Country(ip), UA: r.UserAgent(), Body: body}
	if stored := m.storedIP(ip); stored.IsValid() {
		rec.IP = stored.String()
	}
	return rec
}

// allowedFields keeps the form fields the site's settings allow; the tracker filters
// too, the server does not rely on it.
func allowedFields(fields map[string]string, allowed []string) map[string]any {
	var out map[string]any
	for _, name := range allowed {
		if v, ok := fields[name]; ok {
			if out == nil {
				out = map[string]any{}
			}
			out[name] = v
		}
	}
	return out
}

// pixel handles GET /t/p.gif: a page view without JavaScript, from the Referer. It
// always answers the image; what it cannot attribute to an allowed page it ignores.
func (m *Module) pixel(c echo.Context) error {
	r := c.Request()
	c.Response().Header().Set("Cache-Control", "no-store")
	respond := func() error { return c.Blob(http.StatusOK, "image/gif", transparentGIF) }
	now := time.Now().UTC()
	ip := m.clientIP(r)
	if m.ipLimit.enabled() && !m.ipLimit.allow(ip.String(), 1, now) {
		return respond()
	}
	site, err := m.sites.get(r.Context(), c.QueryParam("site"))
	ref := r.Referer()
	if err != nil || !site.AllowsURL(ref) || !m.siteLimit.allow(site.Key, 1, now) {
		m.metrics.rejected.WithLabelValues("pixel").Inc()
		return respond()
	}
	// No cookie without JavaScript: a visitor id that changes daily, from the site,
	// the day, the address and the browser.
	sum := sha256.Sum256([]byte(site.Key + "|" + now.Format("2006-01-02") + "|" + ip.String() + "|" + r.UserAgent()))
	vid := "n." + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:12]))
	ev := Event{ID: randomID(), Type: TypePageview, TS: now.UnixMilli(), VID: vid, SID: vid, URL: ref}
	if !ev.parsePage() {
		m.metrics.rejected.WithLabelValues("pixel").Inc()
		return respond()
	}
	body, err := json.Marshal(typedBatch{V: protocolVersion, Site: site.Key, Events: []Event{ev}})
	if err == nil {
		if err := m.spool.Append(r.Context(), [][]byte{m.spoolRecord(site, r, ip, now, body).encode()}); err == nil {
			m.metrics.accepted.Inc()
			m.ingest.notify()
		}
	}
	return respond()
}

func randomID() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// siteConfig handles GET /t/config/{key}: the tracker's settings for a site.
func (m *Module) siteConfig(c echo.Context) error {
	site, err := m.sites.get(c.Request().Context(), c.Param("key"))
	if err != nil {
		return err
	}
	if o := c.Request().Header.Get(echo.HeaderOrigin); o != "" && site.AllowsURL(o) {
		c.Response().Header().Set(echo.HeaderAccessControlAllowOrigin, o)
		c.Response().Header().Add(echo.HeaderVary, echo.HeaderOrigin)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, site.Settings)
}

// preflight answers CORS preflight requests for /t/collect (application/json bodies);
// the POST itself checks the origin against the site.
func (m *Module) preflight(c echo.Context) error {
	h := c.Response().Header()
	if o := c.Request().Header.Get(echo.HeaderOrigin); o != "" {
		h.Set(echo.HeaderAccessControlAllowOrigin, o)
		h.Add(echo.HeaderVary, echo.HeaderOrigin)
	}
	h.Set(echo.HeaderAccessControlAllowMethods, "POST")
	h.Set(echo.HeaderAccessControlAllowHeaders, "Content-Type")
	h.Set(echo.HeaderAccessControlMaxAge, "86400")
	return c.NoContent(http.StatusNoContent)
}

// tracker serves the tracker script at /sona.js.
func (m *Module) tracker(c echo.Context) error {
	if len(m.script) == 0 {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", m.scriptETag)
	if c.Request().Header.Get("If-None-Match") == m.scriptETag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, "application/javascript; charset=utf-8", m.script)
}
