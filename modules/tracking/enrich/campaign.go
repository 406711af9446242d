package enrich

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lengths kept of campaign values, in characters.
const (
	maxUTM     = 256
	maxClickID = 512
)

// Campaign is what a landing URL says about the campaign that brought the visit.
type Campaign struct {
	// Source, Medium, Name, Term, Content and ID are utm_source, utm_medium,
	// utm_campaign, utm_term, utm_content and utm_id.
	Source, Medium, Name, Term, Content, ID string
	// ClickIDType names the click-id parameter found ("gclid", "fbclid"...) and
	// ClickID is its value; both are empty when there is none.
	ClickIDType, ClickID string
}

// ClickIDParams returns the click-id parameters in the order ParseCampaign looks for
// them: a URL that has several is credited to the first.
func ClickIDParams() []string {
	p := clickIDParams()
	return p[:]
}

func clickIDParams() [8]string {
	return [8]string{"gclid", "gbraid", "wbraid", "msclkid", "fbclid", "li_fat_id", "ttclid", "twclid"}
}

// ParseCampaign reads the utm_* parameters of a landing URL and its first click id
// (in the order of ClickIDParams) whose value is not blank. Parameter names are
// matched exactly, as the ad networks send them. Values are trimmed, cleaned of
// invalid UTF-8 and control characters (the database refuses some of them), and cut
// to 256 characters, a click id to 512. A nil URL gives an empty Campaign.
func ParseCampaign(u *url.URL) Campaign {
	if u == nil || u.RawQuery == "" {
		return Campaign{}
	}
	q := u.Query()
	c := Campaign{
		Source:  clean(q.Get("utm_source"), maxUTM),
		Medium:  clean(q.Get("utm_medium"), maxUTM),
		Name:    clean(q.Get("utm_campaign"), maxUTM),
		Term:    clean(q.Get("utm_term"), maxUTM),
		Content: clean(q.Get("utm_content"), maxUTM),
		ID:      clean(q.Get("utm_id"), maxUTM),
	}
	for _, name := range clickIDParams() {
		if v := clean(q.Get(name), maxClickID); v != "" {
			c.ClickIDType, c.ClickID = name, v
			break
		}
	}
	return c
}

// Empty reports whether the URL carried no campaign parameter and no click id.
func (c Campaign) Empty() bool {
	return c == Campaign{}
}

// clean trims s, drops invalid UTF-8 and control characters, and keeps at most n
// characters.
func clean(s string, n int) string {
	if s == "" {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > n {
		i, count := 0, 0
		for i = range s {
			if count == n {
				break
			}
			count++
		}
		s = strings.TrimSpace(s[:i])
	}
	return s
}
