package enrich

import (
	"net/url"
	"strings"
)

// maxHost is the longest DNS name.
const maxHost = 253

// ReferrerHost returns the host of a referrer URL, lower-cased and without port or
// trailing dot, or "" when the referrer is empty, unparsable or not http(s) (an
// android-app:// referrer from an app, about:blank, a file). The host is kept whole,
// "www." included: domain lists match subdomains anyway, and reports show the host
// that sent the visit.
func ReferrerHost(ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if len(host) > maxHost {
		return ""
	}
	return host
}
