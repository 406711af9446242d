package enrich

import (
	"net/netip"
	"strings"
	"testing"
)

func TestAnonymizeIP(t *testing.T) {
	cases := []struct{ in, want string }{
		{"203.0.113.77", "203.0.113.0"},
		{"10.1.2.3", "10.1.2.0"},
		{"198.51.100.0", "198.51.100.0"},
		{"2001:db8:abcd:1234:5678:9abc:def0:1234", "2001:db8:abcd::"},
		{"2001:db8:abcd:ffff:ffff:ffff:ffff:ffff", "2001:db8:abcd::"},
		{"::1", "::"},
		{"fe80::1%eth0", "fe80::"},
		{"::ffff:203.0.113.77", "203.0.113.0"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got := AnonymizeIP(netip.MustParseAddr(tc.in))
			if got.String() != tc.want {
				t.Errorf("AnonymizeIP(%s) = %s, want %s", tc.in, got, tc.want)
			}
			if again := AnonymizeIP(got); again != got {
				t.Errorf("anonymising twice changed %s to %s", got, again)
			}
		})
	}
	if got := AnonymizeIP(netip.Addr{}); got.IsValid() {
		t.Errorf("AnonymizeIP(zero) = %s, want the zero Addr", got)
	}
}

func TestClientIP(t *testing.T) {
	trusted, err := ParsePrefixes([]string{"10.0.0.0/8", "192.0.2.10", "2001:db8:ffff::/48"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, remote, xff string
		want              string // "" for the zero Addr
	}{
		{"no xff", "203.0.113.5:51000", "", "203.0.113.5"},
		{"bare remote", "203.0.113.5", "", "203.0.113.5"},
		{"ipv6 remote", "[2001:db8::5]:443", "", "2001:db8::5"},
		{"ipv6 remote with zone", "[fe80::1%eth0]:443", "", "fe80::1"},
		{"v4-mapped remote", "[::ffff:203.0.113.5]:443", "", "203.0.113.5"},
		{"xff from untrusted peer ignored", "203.0.113.5:51000", "198.51.100.1", "203.0.113.5"},
		{"one trusted proxy", "10.0.0.2:4000", "198.51.100.1", "198.51.100.1"},
		{"trusted chain", "10.0.0.2:4000", "198.51.100.1, 10.0.0.9, 192.0.2.10", "198.51.100.1"},
		{"spoofed left-most entries ignored", "10.0.0.2:4000", "1.2.3.4, 6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"},
		{"junk left of the client ignored", "10.0.0.2:4000", "not-an-ip, 198.51.100.1", "198.51.100.1"},
		{"entry with port", "10.0.0.2:4000", "198.51.100.1:1234", "198.51.100.1"},
		{"ipv6 entry", "10.0.0.2:4000", "2001:db8:1::7, 2001:db8:ffff::1", "2001:db8:1::7"},
		{"bracketed ipv6 entry with port", "10.0.0.2:4000", "[2001:db8:1::7]:5555", "2001:db8:1::7"},
		{"v4-mapped entry", "10.0.0.2:4000", "::ffff:198.51.100.1", "198.51.100.1"},
		{"v4-mapped trusted hop", "10.0.0.2:4000", "198.51.100.1, ::ffff:10.0.0.3", "198.51.100.1"},
		{"every hop trusted", "10.0.0.2:4000", "10.0.0.7, 10.0.0.8", "10.0.0.7"},
		{"malformed entry on the walk", "10.0.0.2:4000", "198.51.100.1, bogus", "10.0.0.2"},
		{"empty entry on the walk", "10.0.0.2:4000", "198.51.100.1, ", "10.0.0.2"},
		{"unknown entry", "10.0.0.2:4000", "unknown", "10.0.0.2"},
		{"blank xff", "10.0.0.2:4000", "  ", "10.0.0.2"},
		{"invalid remote", "garbage", "198.51.100.1", ""},
		{"empty remote", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ClientIP(tc.remote, tc.xff, trusted)
			if tc.want == "" {
				if got.IsValid() {
					t.Errorf("ClientIP = %s, want the zero Addr", got)
				}
				return
			}
			if got.String() != tc.want {
				t.Errorf("ClientIP(%q, %q) = %s, want %s", tc.remote, tc.xff, got, tc.want)
			}
		})
	}
	if got := ClientIP("10.0.0.2:1", "198.51.100.1", nil); got.String() != "10.0.0.2" {
		t.Errorf("with no trusted proxies ClientIP = %s, want the peer", got)
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := ParsePrefixes([]string{"10.0.0.0/8", " 192.0.2.10 ", "2001:db8::/32", "::1", "10.1.2.3/16", "::ffff:172.16.0.0/108"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.10/32", "2001:db8::/32", "::1/128", "10.1.0.0/16", "172.16.0.0/12"}
	if len(got) != len(want) {
		t.Fatalf("ParsePrefixes = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("prefix %d = %s, want %s", i, got[i], want[i])
		}
	}
	if got, err := ParsePrefixes(nil); err != nil || len(got) != 0 {
		t.Errorf("ParsePrefixes(nil) = %v, %v", got, err)
	}

	_, err = ParsePrefixes([]string{"10.0.0.0/8", "10.0.0.0/33", "", "example.com", "fe80::1%eth0"})
	if err == nil {
		t.Fatal("ParsePrefixes accepted bad entries")
	}
	for _, w := range []string{"trusted proxy 1", "trusted proxy 2", "trusted proxy 3", "trusted proxy 4"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %s", err, w)
		}
	}
	if strings.Contains(err.Error(), "trusted proxy 0") {
		t.Errorf("error %q names a good entry", err)
	}
}
