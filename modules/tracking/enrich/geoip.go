package enrich

import (
	"fmt"
	"net/netip"

	"github.com/oschwald/geoip2-golang/v2"
)

// GeoIP finds the country of an IP address in a MaxMind GeoIP2 or GeoLite2 database
// (Country or City edition).
type GeoIP struct {
	db *geoip2.Reader
}

// OpenGeoIP opens the database file at path.
func OpenGeoIP(path string) (*GeoIP, error) {
	db, err := geoip2.Open(path)
	if err != nil {
		return nil, fmt.Errorf("enrich: open GeoIP database %s: %w", path, err)
	}
	return &GeoIP{db: db}, nil
}

// Country returns the ISO 3166-1 alpha-2 code of the address's country, or "" when the
// database does not know it. A nil GeoIP knows nothing.
func (g *GeoIP) Country(ip netip.Addr) string {
	if g == nil || !ip.IsValid() {
		return ""
	}
	rec, err := g.db.Country(ip.Unmap())
	if err != nil {
		return ""
	}
	return rec.Country.ISOCode
}

// Close releases the database.
func (g *GeoIP) Close() error {
	if g == nil {
		return nil
	}
	return g.db.Close()
}
