package channel

// Spellings of utm_medium. They are exact lists rather than patterns so that a tenant
// reading the table as JSON sees every spelling, and so that Classify compares strings
// instead of running regexps.

// spell returns a two-word medium joined by nothing, "-", "_" and " ".
func spell(a, b string) []string {
	return []string{a + b, a + "-" + b, a + "_" + b, a + " " + b}
}

func join(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// paidSearchMediums say "search" themselves, so they win over the source.
func paidSearchMediums() []string {
	return join(spell("paid", "search"), spell("search", "paid"), spell("search", "ads"),
		spell("search", "cpc"), spell("search", "ppc"), []string{"sem", "sea"})
}

// paidSocialMediums say "social" themselves, so they win over the source.
func paidSocialMediums() []string {
	return join(spell("paid", "social"), spell("social", "paid"), spell("social", "ads"),
		spell("social", "cpc"), spell("social", "ppc"), spell("paid", "social-media"),
		spell("paid", "social_media"))
}

// paidMediums say "paid" but not where: the source decides.
func paidMediums() []string {
	return join([]string{"cpc", "ppc", "cpm", "cpv", "cpa", "cpl", "paid", "ads", "ad", "sponsored",
		"retargeting", "remarketing"}, spell("paid", "media"), spell("paid", "ads"))
}

// displayMediums are banner, video and programmatic buys.
func displayMediums() []string {
	return join([]string{"display", "banner", "banners", "cpm", "cpv", "interstitial", "expandable",
		"programmatic", "native", "retargeting", "remarketing"}, spell("display", "ads"),
		spell("rich", "media"))
}

// organicSocialMediums are unpaid posts.
func organicSocialMediums() []string {
	return join([]string{"social", "sm"}, spell("social", "network"), spell("social", "media"),
		spell("social", "organic"), spell("organic", "social"))
}

// emailSources are utm_source values that only email tools send; the pattern is
// searched for anywhere in the source ("weekly-newsletter").
const emailSources = `e-?mail|e_mail|newsletter|hs_email|hs_automation|mailchimp|mailerlite|mailjet|sendgrid|sendinblue|brevo|klaviyo|campaign[-_ ]?monitor|constant[-_ ]?contact|activecampaign|convertkit|substack|beehiiv|customer\.io|marketo|pardot|lemlist|gmail|outlook`

// ptr gives each rule its own flag, so that changing one rule of a table leaves the
// others alone.
func ptr(b bool) *bool { return &b }

// Default returns the built-in table, close to GA4's default channel grouping and
// adapted to B2B. The first matching rule wins; the last one catches everything as
// Other. Each call returns a new table that the caller may change.
//
// In order: click ids (an explicit display medium beats gclid; fbclid alone is Organic
// Social because Facebook adds it to organic shares too, fbclid with a paid medium is
// Paid Social), then utm_medium (email, affiliate, paid search/social spellings, a
// generic paid medium decided by the source, display, cpc/ppc from an unknown source as
// Paid Search, organic social, organic from a search engine, referral), then utm_source
// alone (email tools, search engines, social networks), then, without any campaign
// parameter, the referrer (search engine, social network, other site, none), and
// finally Other for campaigns nothing above recognised.
func Default() Rules {
	paidClickIDs := []string{"gclid", "gbraid", "wbraid", "msclkid"}
	return Rules{
		{Name: "display-click-id", Channel: Display, When: Condition{
			ClickIDs: paidClickIDs, Mediums: displayMediums()}},
		{Name: "paid-search-click-id", Channel: PaidSearch, When: Condition{
			ClickIDs: paidClickIDs}},
		{Name: "paid-social-fbclid", Channel: PaidSocial, When: Condition{
			ClickIDs: []string{"fbclid"},
			Mediums:  join(paidMediums(), paidSocialMediums(), paidSearchMediums(), displayMediums())}},
		{Name: "organic-social-fbclid", Channel: OrganicSocial, When: Condition{
			ClickIDs: []string{"fbclid"}, MediumPattern: "^$"}},
		{Name: "paid-social-click-id", Channel: PaidSocial, When: Condition{
			ClickIDs: []string{"li_fat_id", "ttclid", "twclid"}}},

		{Name: "email-medium", Channel: Email, When: Condition{
			Mediums: []string{"email", "e-mail", "e_mail", "e mail", "emails", "newsletter", "newsletters", "mail", "mailing"}}},
		{Name: "affiliate-medium", Channel: Affiliate, When: Condition{
			Mediums: []string{"affiliate", "affiliates", "aff", "partner", "partners"}}},
		{Name: "paid-social-medium", Channel: PaidSocial, When: Condition{
			Mediums: paidSocialMediums()}},
		{Name: "paid-search-medium", Channel: PaidSearch, When: Condition{
			Mediums: paidSearchMediums()}},
		{Name: "paid-social-source", Channel: PaidSocial, When: Condition{
			Mediums: paidMediums(), SourceLists: []string{ListSocialNetworks}}},
		{Name: "paid-search-source", Channel: PaidSearch, When: Condition{
			Mediums: paidMediums(), SourceLists: []string{ListSearchEngines}}},
		{Name: "display-medium", Channel: Display, When: Condition{
			Mediums: displayMediums()}},
		{Name: "paid-search-cpc", Channel: PaidSearch, When: Condition{
			Mediums: []string{"cpc", "ppc"}}},
		{Name: "organic-social-medium", Channel: OrganicSocial, When: Condition{
			Mediums: organicSocialMediums()}},
		{Name: "organic-search-medium", Channel: OrganicSearch, When: Condition{
			Mediums: []string{"organic"}, SourceLists: []string{ListSearchEngines}}},
		{Name: "referral-medium", Channel: Referral, When: Condition{
			Mediums: []string{"referral", "referrals", "ref", "link", "links", "referrer", "referer"}}},

		{Name: "email-source", Channel: Email, When: Condition{
			SourcePattern: emailSources}},
		{Name: "search-source", Channel: OrganicSearch, When: Condition{
			SourceLists: []string{ListSearchEngines}}},
		{Name: "social-source", Channel: OrganicSocial, When: Condition{
			SourceLists: []string{ListSocialNetworks}}},

		{Name: "organic-search-referrer", Channel: OrganicSearch, When: Condition{
			HasCampaign: ptr(false), ReferrerLists: []string{ListSearchEngines}}},
		{Name: "organic-social-referrer", Channel: OrganicSocial, When: Condition{
			HasCampaign: ptr(false), ReferrerLists: []string{ListSocialNetworks}}},
		{Name: "referral", Channel: Referral, When: Condition{
			HasCampaign: ptr(false), HasReferrer: ptr(true)}},
		{Name: "direct", Channel: Direct, When: Condition{
			HasCampaign: ptr(false), HasReferrer: ptr(false)}},
		{Name: "other", Channel: Other},
	}
}
