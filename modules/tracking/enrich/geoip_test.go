package enrich_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/srgplatform/srg/modules/tracking/enrich"
	"github.com/srgplatform/srg/modules/tracking/enrich/geoiptest"
)

func TestGeoIPCountry(t *testing.T) {
	g, err := enrich.OpenGeoIP(geoiptest.WriteCountryDB(t, map[string]string{"203.0.113.0/24": "DE", "2001:db8::/32": "JP"}))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	tests := []struct {
		ip, want string
	}{
		{"203.0.113.7", "DE"},
		{"203.0.113.0", "DE"}, // an anonymised address still resolves
		{"::ffff:203.0.113.7", "DE"},
		{"2001:db8::1", "JP"},
		{"198.51.100.1", ""},
	}
	for _, tt := range tests {
		if got := g.Country(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Country(%s) = %q, want %q", tt.ip, got, tt.want)
		}
	}
	if got := g.Country(netip.Addr{}); got != "" {
		t.Errorf("zero address gave %q", got)
	}
	var none *enrich.GeoIP
	if none.Country(netip.MustParseAddr("203.0.113.7")) != "" || none.Close() != nil {
		t.Error("a nil GeoIP must know nothing and close cleanly")
	}
}

func TestOpenGeoIPErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.mmdb")
	os.WriteFile(bad, []byte("not a database"), 0o600)
	for _, path := range []string{filepath.Join(t.TempDir(), "missing.mmdb"), bad} {
		if _, err := enrich.OpenGeoIP(path); err == nil {
			t.Errorf("enrich.OpenGeoIP(%s) succeeded", path)
		}
	}
}
