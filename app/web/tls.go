package web

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// TLSConfig loads a certificate and key (PEM) for serving HTTPS with TLS 1.2 at least.
func TLSConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("web: server.tls: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// RedirectToHTTPS answers every request with a permanent redirect to the same path and
// query under publicURL (an https:// URL); GET and HEAD get 301, other methods 308 so
// that they are repeated as they were.
func RedirectToHTTPS(publicURL string) (http.Handler, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("web: redirect target %q is not an https:// URL", publicURL)
	}
	base := "https://" + u.Host + strings.TrimRight(u.Path, "/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusPermanentRedirect
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			status = http.StatusMovedPermanently
		}
		http.Redirect(w, r, base+r.URL.RequestURI(), status)
	}), nil
}

// IPExtractor finds the client's address: the connection's peer, or, when the peer is
// one of trusted (addresses or CIDR ranges of reverse proxies), the X-Forwarded-For
// address that the nearest proxy saw. It never trusts a header from anyone else.
func IPExtractor(trusted []string) (echo.IPExtractor, error) {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect(), nil
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, t := range trusted {
		cidr := t
		if !strings.Contains(cidr, "/") {
			if strings.Contains(cidr, ":") {
				cidr += "/128"
			} else {
				cidr += "/32"
			}
		}
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			return nil, fmt.Errorf("web: trusted proxy %q: %w", t, err)
		}
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...), nil
}

// StripAPIVersion lets /api/v1/... reach the routes mounted under /api/...: v1 is the
// versioned name of the current API. Register it with echo's Pre so it runs before
// routing.
func StripAPIVersion(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if rest, ok := strings.CutPrefix(r.URL.Path, "/api/v1/"); ok {
			r.URL.Path = "/api/" + rest
			if r.URL.RawPath != "" {
				r.URL.RawPath = "/api/" + strings.TrimPrefix(r.URL.RawPath, "/api/v1/")
			}
		}
		return next(c)
	}
}
