// Package campaigns ties tracked touchpoints to the ad and CRM campaigns that brought
// them: by the tenant's explicit mappings first, then by utm_id against campaign ids,
// then by utm_campaign against campaign names, using the click id and utm_source to
// choose between platforms that share a name.
package campaigns

import (
	"strings"

	"github.com/srgplatform/srg/modules/sync/connector"
)

// Platforms that ad clicks can be traced to by their click id or utm_source but that
// have no connector (yet): their campaigns can still be mapped by hand.
const (
	MicrosoftAds = "microsoft_ads"
	TikTokAds    = "tiktok_ads"
	XAds         = "x_ads"
)

// The utm keys a mapping can be made for.
const (
	KeyUTMCampaign = "utm_campaign"
	KeyUTMID       = "utm_id"
)

// How a match was made, in Match.By.
const (
	ByMapping     = "mapping"
	ByUTMID       = "utm_id"
	ByUTMCampaign = "utm_campaign"
)

// Campaign is an ad or CRM campaign: Platform is the ad platform (google_ads,
// meta_ads, ...) or the CRM (salesforce, hubspot, csv) it comes from.
type Campaign struct {
	Platform string
	ID       string
	Name     string
}

// Mapping sends a tracked utm_campaign or utm_id value to a campaign whose name or id
// differs from it.
type Mapping struct {
	UTMKey     string `json:"utm_key"`
	UTMValue   string `json:"utm_value"`
	Platform   string `json:"platform"`
	CampaignID string `json:"campaign_id"`
}

// Touch is what a touchpoint says about its campaign.
type Touch struct {
	UTMCampaign string
	UTMID       string
	UTMSource   string
	// ClickIDType names the landing URL's click-id parameter ("gclid", "fbclid"...).
	ClickIDType string
}

// Match is the campaign a touch belongs to and how it was found.
type Match struct {
	Platform     string `json:"platform"`
	CampaignID   string `json:"campaign_id"`
	CampaignName string `json:"campaign_name"`
	// By is ByMapping, ByUTMID or ByUTMCampaign.
	By string `json:"by"`
}

type ref struct{ platform, id string }

type mapKey struct{ key, value string }

// Matcher matches touches against one tenant's campaigns and mappings. It is
// read-only once built and safe for concurrent use.
type Matcher struct {
	names    map[ref]string
	byID     map[string][]ref
	byName   map[string][]ref
	mappings map[mapKey]ref
}

// NewMatcher indexes campaigns and mappings. A campaign listed several times under
// different names (it was renamed) matches by each of them, and the first listing
// gives its CampaignName.
func NewMatcher(campaigns []Campaign, mappings []Mapping) *Matcher {
	m := &Matcher{
		names:    map[ref]string{},
		byID:     map[string][]ref{},
		byName:   map[string][]ref{},
		mappings: map[mapKey]ref{},
	}
	for _, c := range campaigns {
		r := ref{c.Platform, strings.TrimSpace(c.ID)}
		if r.id == "" {
			continue
		}
		if _, seen := m.names[r]; !seen {
			m.names[r] = c.Name
			addRef(m.byID, r.id, r)
			// Salesforce ids come as 18 characters from the API, but people copy the
			// 15-character form from the address bar; the first 15 are the same id.
			if r.platform == string(connector.Salesforce) && len(r.id) == 18 {
				addRef(m.byID, r.id[:15], r)
			}
		}
		if n := normName(c.Name); n != "" {
			addRef(m.byName, n, r)
		}
	}
	for _, mp := range mappings {
		k, ok := mappingKey(mp.UTMKey, mp.UTMValue)
		if ok {
			m.mappings[k] = ref{mp.Platform, mp.CampaignID}
		}
	}
	return m
}

func addRef(index map[string][]ref, key string, r ref) {
	for _, x := range index[key] {
		if x == r {
			return
		}
	}
	index[key] = append(index[key], r)
}

// Match finds the campaign of a touch, in this order: a mapping of its utm_id, a
// mapping of its utm_campaign, a campaign whose id is its utm_id, a campaign whose name
// is its utm_campaign (ignoring case and surrounding or repeated spaces).
//
// When several campaigns fit an id or a name, the platform implied by the click id
// decides, then the one implied by utm_source. If neither narrows the choice to one
// campaign there is no match: crediting a guess would move revenue between platforms
// in the reports, and a mapping fixes it for good.
func (m *Matcher) Match(t Touch) (Match, bool) {
	id := strings.TrimSpace(t.UTMID)
	if k, ok := mappingKey(KeyUTMID, id); ok {
		if r, ok := m.mappings[k]; ok {
			return m.match(r, ByMapping), true
		}
	}
	if k, ok := mappingKey(KeyUTMCampaign, t.UTMCampaign); ok {
		if r, ok := m.mappings[k]; ok {
			return m.match(r, ByMapping), true
		}
	}
	hints := []string{clickPlatform(t.ClickIDType), sourcePlatform(t.UTMSource)}
	if id != "" {
		if r, ok := pick(m.byID[id], hints); ok {
			return m.match(r, ByUTMID), true
		}
	}
	if n := normName(t.UTMCampaign); n != "" {
		if r, ok := pick(m.byName[n], hints); ok {
			return m.match(r, ByUTMCampaign), true
		}
	}
	return Match{}, false
}

func (m *Matcher) match(r ref, by string) Match {
	// A mapped campaign may not be loaded (its spend not synced yet): it still
	// matches, without a name.
	return Match{Platform: r.platform, CampaignID: r.id, CampaignName: m.names[r], By: by}
}

// pick returns the only candidate, or the only one on the first hinted platform that
// has any.
func pick(cands []ref, hints []string) (ref, bool) {
	if len(cands) == 1 {
		return cands[0], true
	}
	for _, h := range hints {
		if h == "" {
			continue
		}
		var found []ref
		for _, c := range cands {
			if c.platform == h {
				found = append(found, c)
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], true
		}
		// Two campaigns of that name on the hinted platform itself: nothing decides.
		return ref{}, false
	}
	return ref{}, false
}

// mappingKey is how a mapping's value is looked up: utm_campaign values as names are
// (see normName), utm_id values trimmed only, since ids may be case-sensitive.
func mappingKey(key, value string) (mapKey, bool) {
	switch key {
	case KeyUTMCampaign:
		value = normName(value)
	case KeyUTMID:
		value = strings.TrimSpace(value)
	default:
		return mapKey{}, false
	}
	return mapKey{key, value}, value != ""
}

// normName folds case and spacing, which tagging by hand gets wrong more often than
// the words.
func normName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// clickPlatform is the ad platform a click-id parameter belongs to.
func clickPlatform(clickIDType string) string {
	switch clickIDType {
	case "gclid", "gbraid", "wbraid":
		return string(connector.GoogleAds)
	case "fbclid":
		return string(connector.Meta)
	case "li_fat_id":
		return string(connector.LinkedIn)
	case "msclkid":
		return MicrosoftAds
	case "ttclid":
		return TikTokAds
	case "twclid":
		return XAds
	}
	return ""
}

// sourcePlatform is the ad platform a utm_source value usually names.
func sourcePlatform(utmSource string) string {
	switch strings.ToLower(strings.TrimSpace(utmSource)) {
	case "google", "adwords", "googleads", "google_ads", "google-ads":
		return string(connector.GoogleAds)
	case "facebook", "fb", "instagram", "ig", "meta":
		return string(connector.Meta)
	case "linkedin", "linkedin_ads", "linkedin-ads":
		return string(connector.LinkedIn)
	case "bing", "microsoft", "microsoft_ads":
		return MicrosoftAds
	case "tiktok":
		return TikTokAds
	case "twitter", "x":
		return XAds
	}
	return ""
}
