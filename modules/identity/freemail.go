package identity

import (
	_ "embed"
	"strings"
)

//go:embed freemail.txt
var freemailList string

// freeMail holds the free and disposable email domains.
type freeMail map[string]struct{}

func loadFreeMail() freeMail {
	m := make(freeMail, 16384)
	for _, line := range strings.Split(freemailList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[line] = struct{}{}
		}
	}
	return m
}

// has reports whether domain, or a parent domain of it, is a free-mail domain.
func (f freeMail) has(domain string) bool {
	for {
		if _, ok := f[domain]; ok {
			return true
		}
		i := strings.IndexByte(domain, '.')
		if i < 0 || !strings.Contains(domain[i+1:], ".") {
			return false
		}
		domain = domain[i+1:]
	}
}
