package channel

import (
	"math/bits"
	"slices"
	"strings"
)

// domainSet tells which of up to 64 domain lists a host (or a utm_source) belongs to,
// as a bit mask: Compile puts every named list a table uses into one set, so that a
// host is looked up once per visit rather than once per rule, and each rule's literal
// Referrers into a set of their own. It is only read after it is built, so lookups need
// no locking and, since map lookups with substrings of the host do not copy them, no
// allocation.
type domainSet struct {
	// exact holds domains matched by suffix on label boundaries: "facebook.com"
	// holds facebook.com and m.facebook.com, not notfacebook.com.
	exact map[string]uint64
	// minLabels and maxLabels bound the number of labels of the exact domains, so
	// that host tries only the suffixes that can be in exact.
	minLabels, maxLabels int
	// wildcard holds the labels of "label.*" domains, which match the label followed
	// by a public-suffix-like tail. They are few, so a slice beats a map.
	wildcard []wildcard
	// subdomains restricts the wildcard matches of each list; see list.subdomains.
	subdomains [64][]string
	// names holds the site names a utm_source without a dot is compared with.
	names map[string]uint64
}

func newDomainSet() *domainSet {
	return &domainSet{
		exact: map[string]uint64{},
		names: map[string]uint64{},
	}
}

// addList adds a maintained list's domains and site names as list number bit.
func (d *domainSet) addList(bit int, l *list) {
	for _, s := range l.sites {
		d.addDomain(bit, s.domain)
		for _, n := range s.names {
			d.names[n] |= 1 << bit
		}
	}
	d.subdomains[bit] = l.subdomains
}

// addDomain adds "example.com", "*.example.com" (the same thing) or "example.*" to
// list number bit.
func (d *domainSet) addDomain(bit int, domain string) {
	domain = strings.TrimPrefix(strings.TrimPrefix(normDomain(domain), "*"), ".")
	if label, ok := strings.CutSuffix(domain, ".*"); ok {
		for i := range d.wildcard {
			if d.wildcard[i].label == label {
				d.wildcard[i].lists |= 1 << bit
				return
			}
		}
		d.wildcard = append(d.wildcard, wildcard{label, 1 << bit})
		return
	}
	d.exact[domain] |= 1 << bit
	n := strings.Count(domain, ".") + 1
	if d.minLabels == 0 || n < d.minLabels {
		d.minLabels = n
	}
	d.maxLabels = max(d.maxLabels, n)
}

// source returns the lists a normalised utm_source names a site of: as a domain when
// it has a dot ("m.facebook.com"), else by the site's name ("facebook").
func (d *domainSet) source(src string) uint64 {
	if src == "" {
		return 0
	}
	if strings.IndexByte(src, '.') >= 0 {
		return d.host(strings.TrimSuffix(src, "."))
	}
	return d.names[src]
}

// host returns the lists a lower-case host is in.
func (d *domainSet) host(host string) uint64 {
	if host == "" {
		return 0
	}
	var in uint64
	for s, n := host, strings.Count(host, ".")+1; n >= d.minLabels && len(d.exact) > 0; n-- {
		if n <= d.maxLabels {
			in |= d.exact[s]
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	if len(d.wildcard) == 0 {
		return in
	}
	// The tail is one label (google.de, google.com) or two (google.co.uk,
	// google.com.br); try both readings.
	for labels := 1; labels <= 2; labels++ {
		rest, ok := cutPublicSuffix(host, labels)
		if !ok {
			continue
		}
		label, sub := rest, ""
		if i := strings.LastIndexByte(rest, '.'); i >= 0 {
			label, sub = rest[i+1:], rest[:i]
		}
		for lists := d.wildcardLists(label); lists != 0; lists &= lists - 1 {
			bit := bits.TrailingZeros64(lists)
			if subdomainAllowed(d.subdomains[bit], sub) {
				in |= 1 << bit
			}
		}
	}
	return in
}

// wildcard is a "label.*" domain and the lists it is in.
type wildcard struct {
	label string
	lists uint64
}

func (d *domainSet) wildcardLists(label string) uint64 {
	for _, w := range d.wildcard {
		if w.label == label {
			return w.lists
		}
	}
	return 0
}

func subdomainAllowed(allowed []string, sub string) bool {
	if sub == "" || allowed == nil {
		return true
	}
	return slices.Contains(allowed, sub[strings.LastIndexByte(sub, '.')+1:])
}

// cutPublicSuffix removes a public-suffix-like tail of one or two labels from host and
// returns what is left. One label must be "com", "cat" or a two-letter country code;
// two labels must be "co." or "com." followed by a country code. That is not the
// Public Suffix List, but it covers how Google, Yahoo, Yandex and Pinterest spell
// their country domains without letting google.evil.com through.
func cutPublicSuffix(host string, labels int) (string, bool) {
	i := strings.LastIndexByte(host, '.')
	if i <= 0 {
		return "", false
	}
	tld := host[i+1:]
	if labels == 1 {
		if tld == "com" || tld == "cat" || isCountryCode(tld) {
			return host[:i], true
		}
		return "", false
	}
	if !isCountryCode(tld) {
		return "", false
	}
	j := strings.LastIndexByte(host[:i], '.')
	if j <= 0 {
		return "", false
	}
	if sld := host[j+1 : i]; sld == "co" || sld == "com" {
		return host[:j], true
	}
	return "", false
}

func isCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z'
}
