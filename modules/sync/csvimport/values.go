package csvimport

import (
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/currency"
)

// validEmail accepts a bare address (no display name, no angle brackets) whose domain
// has a dot: an address without one cannot be a business contact's.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	domain := s[strings.LastIndexByte(s, '@')+1:]
	return validHost(domain)
}

// normaliseDomain turns a domain or website URL into the lower-case host without
// scheme, "www.", port or path: "https://www.Example.com/about" → "example.com".
func normaliseDomain(s string) (string, bool) {
	s = strings.ToLower(s)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return "", false
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	host = strings.TrimPrefix(host, "www.")
	if !validHost(host) {
		return "", false
	}
	return host, true
}

// validHost accepts a dotted DNS name of letters (any script), digits and hyphens
// whose last label is not a number, which rules out IP addresses: neither is a
// company's domain.
func validHost(h string) bool {
	if len(h) > 253 || !utf8.ValidString(h) {
		return false
	}
	labels := 0
	for l := range strings.SplitSeq(h, ".") {
		labels++
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			ok := r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r >= 0x80
			if !ok {
				return false
			}
		}
	}
	return labels >= 2 && !allDigits(h[strings.LastIndexByte(h, '.')+1:])
}

// Amounts fit the mirror's numeric(20, 4).
const (
	maxAmountIntDigits  = 16
	maxAmountFracDigits = 4
)

// checkAmount accepts an optional '-', digits, and an optional '.' with digits. Thousand
// separators, currency symbols and decimal commas are refused rather than guessed:
// "1,234" is a thousand in the US and 1.234 in much of Europe, and a wrong guess would
// silently change revenue by a factor of a thousand.
func checkAmount(v string) string {
	const help = "not a plain number: use digits with an optional '.' and decimals, no thousand separators or currency symbols (e.g. 1234.50)"
	s := strings.TrimPrefix(v, "-")
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if !allDigits(intPart) || (hasPoint && !allDigits(frac)) {
		return help
	}
	if len(intPart) > maxAmountIntDigits {
		return "too large: at most 16 digits before the decimal point"
	}
	if len(frac) > maxAmountFracDigits {
		return "too precise: at most 4 decimals"
	}
	return ""
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseCurrency accepts a recognised ISO 4217 code in any case and returns it upper
// case.
func parseCurrency(v string) (string, bool) {
	if len(v) != 3 {
		return "", false
	}
	u, err := currency.ParseISO(v)
	if err != nil {
		return "", false
	}
	return u.String(), true
}

// parseTime reads YYYY-MM-DD as midnight UTC, or an RFC 3339 timestamp.
func parseTime(v string) (time.Time, bool) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
