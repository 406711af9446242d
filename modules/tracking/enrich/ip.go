package enrich

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// AnonymizeIP drops the part of an address that identifies a host: the last octet of
// an IPv4 address, the last 80 bits of an IPv6 one (keeping the /48 a site usually
// gets). An IPv4-mapped IPv6 address is treated, and returned, as IPv4. The zone is
// dropped; the zero Addr stays zero.
func AnonymizeIP(a netip.Addr) netip.Addr {
	if !a.IsValid() {
		return netip.Addr{}
	}
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		b[3] = 0
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	clear(b[6:])
	return netip.AddrFrom16(b)
}

// ClientIP returns the address of the client behind the request.
//
// remoteAddr is the TCP peer (http.Request.RemoteAddr, "ip:port" or a bare ip);
// xForwardedFor is the X-Forwarded-For header, every occurrence joined with commas.
// The header is believed only when the peer is in trusted: then the list is walked
// from the right, skipping trusted proxies, and the first untrusted address is the
// client (entries left of it may be made up by the client and are never read). When
// every entry is trusted the left-most one is returned. A malformed entry met on the
// walk makes the header worthless, and the peer is returned; an unparsable peer gives
// the zero Addr. Addresses are returned without zone, IPv4-mapped ones as IPv4.
func ClientIP(remoteAddr, xForwardedFor string, trusted []netip.Prefix) netip.Addr {
	peer, ok := parseAddr(remoteAddr)
	if !ok {
		return netip.Addr{}
	}
	if strings.TrimSpace(xForwardedFor) == "" || !isTrusted(peer, trusted) {
		return peer
	}
	var last netip.Addr
	for rest := xForwardedFor; ; {
		i := strings.LastIndexByte(rest, ',')
		hop, ok := parseAddr(rest[i+1:])
		if !ok {
			return peer
		}
		if !isTrusted(hop, trusted) {
			return hop
		}
		last = hop
		if i < 0 {
			return last
		}
		rest = rest[:i]
	}
}

// parseAddr reads "ip", "ip:port" or "[ipv6]:port", with spaces around.
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParsePrefixes reads a list of trusted proxies from config: CIDR prefixes
// ("10.0.0.0/8", "2001:db8::/32") and bare addresses ("192.0.2.10", a /32 or /128).
// Prefixes are masked ("10.1.2.3/8" is 10.0.0.0/8) and IPv4-mapped addresses unmapped.
// It reports every bad entry at once, by index.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	var errs []error
	for i, s := range list {
		s = strings.TrimSpace(s)
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("enrich: trusted proxy %d: %w", i, err))
				continue
			}
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("enrich: trusted proxy %d: %w", i, err))
			continue
		}
		if a.Zone() != "" {
			errs = append(errs, fmt.Errorf("enrich: trusted proxy %d: %q has a zone", i, s))
			continue
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
