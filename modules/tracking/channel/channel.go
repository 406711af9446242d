// Package channel sorts a visit into a marketing channel (Direct, Organic Search, Paid
// Search, ...) from its campaign parameters, click id and referrer.
//
// Classification is a table of rules, evaluated in order; the first rule whose
// condition holds names the channel, and its name is recorded on the touchpoint so a
// report can say why a visit landed where it did. Default returns the built-in table,
// close to GA4's default channel grouping and adapted to B2B. Tenants may store their
// own table (it is plain JSON); Compile turns a table into a Classifier for the hot
// path.
package channel

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The channels a rule may name. They are stored as these exact strings.
const (
	Direct        = "Direct"
	OrganicSearch = "Organic Search"
	PaidSearch    = "Paid Search"
	OrganicSocial = "Organic Social"
	PaidSocial    = "Paid Social"
	Email         = "Email"
	Referral      = "Referral"
	Display       = "Display"
	Affiliate     = "Affiliate"
	Other         = "Other"
)

// Names of the maintained domain lists that Condition.SourceLists and
// Condition.ReferrerLists may refer to.
const (
	ListSearchEngines  = "search_engines"
	ListSocialNetworks = "social_networks"
)

// Channels returns every channel, in the order reports show them.
func Channels() []string {
	return []string{Direct, OrganicSearch, PaidSearch, OrganicSocial, PaidSocial,
		Email, Referral, Display, Affiliate, Other}
}

// ClickIDTypes returns the click-id parameters a Condition may name, in the order the
// tracker looks for them in a landing URL.
func ClickIDTypes() []string {
	return []string{"gclid", "gbraid", "wbraid", "msclkid", "fbclid", "li_fat_id", "ttclid", "twclid"}
}

// Input is what classification looks at, already parsed from the landing page URL and
// the referrer.
type Input struct {
	// Source, Medium and Campaign are utm_source, utm_medium and utm_campaign as sent,
	// in any case and possibly padded with spaces.
	Source, Medium, Campaign string
	// ClickIDType names the click-id parameter found on the landing URL ("gclid",
	// "fbclid", ...), or is empty.
	ClickIDType string
	// ReferrerHost is the lower-case host of the referrer, empty when there is none.
	ReferrerHost string
	// Internal reports that the referrer is the site's own domain; it is then treated
	// as no referrer at all.
	Internal bool
}

// Rule names the channel of the visits its condition matches. Rules are stored as
// JSON (tenants override the default table), so field names are part of the format.
type Rule struct {
	// Name is a stable id such as "paid-search-click-id"; it is recorded on each
	// touchpoint classified by this rule.
	Name string `json:"name"`
	// Channel is one of the channel constants.
	Channel string `json:"channel"`
	// When must hold for the rule to apply. An empty condition matches everything.
	When Condition `json:"when"`
}

// Condition is the test of a Rule. Every part that is set must hold; a list holds when
// any of its entries does. Matching ignores case, and utm values are trimmed.
type Condition struct {
	// ClickIDs holds when the input's click-id type is one of these.
	ClickIDs []string `json:"click_ids,omitempty"`
	// Mediums holds when utm_medium equals one of these exactly.
	Mediums []string `json:"mediums,omitempty"`
	// MediumPattern is an RE2 regexp searched for in the lower-cased utm_medium
	// (anchor it with ^ and $ for a whole match); "^$" matches a missing medium.
	MediumPattern string `json:"medium_pattern,omitempty"`
	// Sources holds when utm_source equals one of these exactly.
	Sources []string `json:"sources,omitempty"`
	// SourcePattern is an RE2 regexp searched for in the lower-cased utm_source.
	SourcePattern string `json:"source_pattern,omitempty"`
	// SourceLists names domain lists ("search_engines", "social_networks") that
	// utm_source is looked up in, either as a domain ("m.facebook.com") or as a
	// site's usual name ("facebook", "fb", "google").
	SourceLists []string `json:"source_lists,omitempty"`
	// ReferrerLists names domain lists that the referrer host is looked up in; a host
	// is in a list when it is a listed domain or a subdomain of one.
	ReferrerLists []string `json:"referrer_lists,omitempty"`
	// Referrers are literal domains the referrer host must be, or be a subdomain of;
	// "example.*" stands for example followed by a country tail, as in the lists.
	Referrers []string `json:"referrers,omitempty"`
	// HasReferrer, when set, requires an external referrer to be present (true) or
	// absent (false).
	HasReferrer *bool `json:"has_referrer,omitempty"`
	// HasCampaign, when set, requires any of utm_source, utm_medium and utm_campaign
	// to be non-empty (true) or all of them to be empty (false).
	HasCampaign *bool `json:"has_campaign,omitempty"`
}

// Rules is a classification table: the first rule that matches wins.
type Rules []Rule

// Validate reports every problem with the table at once: empty or duplicate names,
// unknown channels, click ids or list names, and patterns that do not compile. Each
// problem names the rule's index and the field, as in
// `rule 3 ("email-medium"): when.medium_pattern: ...`.
func (r Rules) Validate() error {
	if len(r) == 0 {
		return errors.New("channel: rules: the table is empty")
	}
	var errs []error
	bad := func(i int, field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("channel: rule %d (%q): %s: %s", i, r[i].Name, field, fmt.Sprintf(format, args...)))
	}
	seen := make(map[string]int, len(r))
	channels := Channels()
	clickIDs := ClickIDTypes()
	for i, rule := range r {
		switch name := strings.TrimSpace(rule.Name); {
		case name == "":
			bad(i, "name", "is empty")
		case name != rule.Name:
			bad(i, "name", "has leading or trailing spaces")
		default:
			if j, dup := seen[name]; dup {
				bad(i, "name", "duplicates rule %d", j)
			} else {
				seen[name] = i
			}
		}
		if !slices.Contains(channels, rule.Channel) {
			bad(i, "channel", "unknown channel %q (want one of %s)", rule.Channel, strings.Join(channels, ", "))
		}
		w := rule.When
		for k, id := range w.ClickIDs {
			if !slices.Contains(clickIDs, norm(id)) {
				bad(i, fmt.Sprintf("when.click_ids[%d]", k), "unknown click id %q", id)
			}
		}
		if _, err := compilePattern(w.MediumPattern); err != nil {
			bad(i, "when.medium_pattern", "%v", err)
		}
		if _, err := compilePattern(w.SourcePattern); err != nil {
			bad(i, "when.source_pattern", "%v", err)
		}
		for k, l := range w.SourceLists {
			if listByName(l) == nil {
				bad(i, fmt.Sprintf("when.source_lists[%d]", k), "unknown list %q", l)
			}
		}
		for k, l := range w.ReferrerLists {
			if listByName(l) == nil {
				bad(i, fmt.Sprintf("when.referrer_lists[%d]", k), "unknown list %q", l)
			}
		}
		for k, d := range w.Referrers {
			nd := strings.TrimSuffix(strings.TrimPrefix(normDomain(d), "*."), ".*")
			if nd == "" || strings.ContainsAny(nd, "/:@* ") {
				bad(i, fmt.Sprintf("when.referrers[%d]", k), "%q is not a domain", d)
			}
		}
	}
	return errors.Join(errs...)
}

// norm is how utm values and list entries are compared: trimmed and lower-cased.
// strings.ToLower returns its argument unchanged, without allocating, when it is
// already lower case, which is the common case on the hot path.
func norm(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// normDomain lower-cases a domain and drops a trailing dot.
func normDomain(s string) string {
	return strings.TrimSuffix(norm(s), ".")
}
