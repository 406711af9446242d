package channel

import (
	"testing"
)

func TestClassifyDefault(t *testing.T) {
	c, err := Default().Compile()
	if err != nil {
		t.Fatalf("compile default: %v", err)
	}
	type utm struct{ src, med, camp string }
	cases := []struct {
		name    string
		utm     utm
		click   string
		ref     string
		inside  bool
		channel string
		rule    string
	}{
		// Click ids.
		{name: "gclid", click: "gclid", channel: PaidSearch, rule: "paid-search-click-id"},
		{name: "gbraid", click: "gbraid", channel: PaidSearch, rule: "paid-search-click-id"},
		{name: "wbraid", click: "wbraid", channel: PaidSearch, rule: "paid-search-click-id"},
		{name: "msclkid", click: "msclkid", channel: PaidSearch, rule: "paid-search-click-id"},
		{name: "gclid upper case", click: "GCLID", channel: PaidSearch, rule: "paid-search-click-id"},
		{name: "gclid beats google referrer", click: "gclid", ref: "www.google.com", channel: PaidSearch, rule: "paid-search-click-id"},
		{name: "gclid with cpc", utm: utm{"google", "cpc", "brand"}, click: "gclid", channel: PaidSearch, rule: "paid-search-click-id"},
		{name: "gclid with display medium", utm: utm{"google", "display", "gdn"}, click: "gclid", channel: Display, rule: "display-click-id"},
		{name: "msclkid with banner medium", utm: utm{"bing", "Banner", ""}, click: "msclkid", channel: Display, rule: "display-click-id"},
		{name: "fbclid alone", click: "fbclid", channel: OrganicSocial, rule: "organic-social-fbclid"},
		{name: "fbclid from facebook referrer", click: "fbclid", ref: "l.facebook.com", channel: OrganicSocial, rule: "organic-social-fbclid"},
		{name: "fbclid with source only", utm: utm{"facebook", "", "launch"}, click: "fbclid", channel: OrganicSocial, rule: "organic-social-fbclid"},
		{name: "fbclid paid_social", utm: utm{"facebook", "paid_social", ""}, click: "fbclid", channel: PaidSocial, rule: "paid-social-fbclid"},
		{name: "fbclid cpc", utm: utm{"fb", "cpc", ""}, click: "fbclid", channel: PaidSocial, rule: "paid-social-fbclid"},
		{name: "fbclid cpm padded", utm: utm{"ig", " CPM ", ""}, click: "fbclid", channel: PaidSocial, rule: "paid-social-fbclid"},
		{name: "fbclid paid", utm: utm{"", "paid", ""}, click: "fbclid", channel: PaidSocial, rule: "paid-social-fbclid"},
		{name: "fbclid email medium", utm: utm{"newsletter", "email", ""}, click: "fbclid", channel: Email, rule: "email-medium"},
		{name: "fbclid social medium", utm: utm{"facebook", "social", ""}, click: "fbclid", channel: OrganicSocial, rule: "organic-social-medium"},
		{name: "li_fat_id", click: "li_fat_id", channel: PaidSocial, rule: "paid-social-click-id"},
		{name: "ttclid", click: "ttclid", channel: PaidSocial, rule: "paid-social-click-id"},
		{name: "twclid", click: "twclid", channel: PaidSocial, rule: "paid-social-click-id"},
		{name: "li_fat_id with social medium", utm: utm{"linkedin", "social", ""}, click: "li_fat_id", channel: PaidSocial, rule: "paid-social-click-id"},

		// Email.
		{name: "email", utm: utm{"hubspot", "email", "q3"}, channel: Email, rule: "email-medium"},
		{name: "E-Mail", utm: utm{"", "E-Mail", ""}, channel: Email, rule: "email-medium"},
		{name: "e_mail", utm: utm{"", "e_mail", ""}, channel: Email, rule: "email-medium"},
		{name: "newsletter padded", utm: utm{"", "  Newsletter ", ""}, channel: Email, rule: "email-medium"},
		{name: "mail", utm: utm{"", "mail", ""}, channel: Email, rule: "email-medium"},
		{name: "source newsletter", utm: utm{"weekly-newsletter", "", ""}, channel: Email, rule: "email-source"},
		{name: "source hs_email", utm: utm{"hs_email", "", "nurture"}, channel: Email, rule: "email-source"},
		{name: "source Mailchimp odd medium", utm: utm{"Mailchimp", "blast", ""}, channel: Email, rule: "email-source"},

		// Affiliate.
		{name: "affiliate", utm: utm{"acme-partner", "affiliate", ""}, channel: Affiliate, rule: "affiliate-medium"},
		{name: "affiliates", utm: utm{"", "Affiliates", ""}, channel: Affiliate, rule: "affiliate-medium"},
		{name: "partner", utm: utm{"reseller", "partner", ""}, channel: Affiliate, rule: "affiliate-medium"},

		// Paid: the medium names the network, else the source decides.
		{name: "cpc google", utm: utm{"google", "cpc", "brand"}, channel: PaidSearch, rule: "paid-search-source"},
		{name: "CPC Bing", utm: utm{"Bing", "CPC", ""}, channel: PaidSearch, rule: "paid-search-source"},
		{name: "ppc google.com", utm: utm{"google.com", "ppc", ""}, channel: PaidSearch, rule: "paid-search-source"},
		{name: "remarketing google", utm: utm{"google", "remarketing", ""}, channel: PaidSearch, rule: "paid-search-source"},
		{name: "cpc unknown source", utm: utm{"capterra", "cpc", ""}, channel: PaidSearch, rule: "paid-search-cpc"},
		{name: "ppc no source", utm: utm{"", "ppc", ""}, channel: PaidSearch, rule: "paid-search-cpc"},
		{name: "cpc facebook", utm: utm{"facebook", "cpc", ""}, channel: PaidSocial, rule: "paid-social-source"},
		{name: "cpc m.facebook.com", utm: utm{"m.facebook.com", "cpc", ""}, channel: PaidSocial, rule: "paid-social-source"},
		{name: "paid linkedin", utm: utm{"LinkedIn", "paid", ""}, channel: PaidSocial, rule: "paid-social-source"},
		{name: "cpm facebook", utm: utm{"facebook", "cpm", ""}, channel: PaidSocial, rule: "paid-social-source"},
		{name: "cpv youtube", utm: utm{"youtube", "cpv", ""}, channel: PaidSocial, rule: "paid-social-source"},
		{name: "sponsored reddit", utm: utm{"reddit", "sponsored", ""}, channel: PaidSocial, rule: "paid-social-source"},
		{name: "paid unknown source", utm: utm{"g2", "paid", ""}, channel: Other, rule: "other"},
		{name: "paid-social", utm: utm{"", "paid-social", ""}, channel: PaidSocial, rule: "paid-social-medium"},
		{name: "PaidSocial", utm: utm{"", "PaidSocial", ""}, channel: PaidSocial, rule: "paid-social-medium"},
		{name: "social-paid", utm: utm{"", "social-paid", ""}, channel: PaidSocial, rule: "paid-social-medium"},
		{name: "paid_social beats google source", utm: utm{"google", "paid_social", ""}, channel: PaidSocial, rule: "paid-social-medium"},
		{name: "paid-search beats facebook source", utm: utm{"facebook", "paid-search", ""}, channel: PaidSearch, rule: "paid-search-medium"},
		{name: "paidsearch", utm: utm{"", "paidsearch", ""}, channel: PaidSearch, rule: "paid-search-medium"},
		{name: "paid_search", utm: utm{"", "paid_search", ""}, channel: PaidSearch, rule: "paid-search-medium"},
		{name: "SEM", utm: utm{"adwords", "SEM", ""}, channel: PaidSearch, rule: "paid-search-medium"},

		// Display.
		{name: "display", utm: utm{"dv360", "display", ""}, channel: Display, rule: "display-medium"},
		{name: "banner", utm: utm{"", "banner", ""}, channel: Display, rule: "display-medium"},
		{name: "cpm unknown source", utm: utm{"adroll", "cpm", ""}, channel: Display, rule: "display-medium"},
		{name: "programmatic", utm: utm{"", "programmatic", ""}, channel: Display, rule: "display-medium"},
		{name: "retargeting unknown source", utm: utm{"adroll", "retargeting", ""}, channel: Display, rule: "display-medium"},
		{name: "interstitial", utm: utm{"", "interstitial", ""}, channel: Display, rule: "display-medium"},
		{name: "expandable", utm: utm{"", "expandable", ""}, channel: Display, rule: "display-medium"},

		// Organic social and search by medium.
		{name: "social linkedin", utm: utm{"linkedin", "social", "post"}, channel: OrganicSocial, rule: "organic-social-medium"},
		{name: "social-network", utm: utm{"", "social-network", ""}, channel: OrganicSocial, rule: "organic-social-medium"},
		{name: "social-media", utm: utm{"", "social-media", ""}, channel: OrganicSocial, rule: "organic-social-medium"},
		{name: "SM", utm: utm{"", "SM", ""}, channel: OrganicSocial, rule: "organic-social-medium"},
		{name: "organic-social", utm: utm{"", "organic-social", ""}, channel: OrganicSocial, rule: "organic-social-medium"},
		{name: "social_organic", utm: utm{"", "social_organic", ""}, channel: OrganicSocial, rule: "organic-social-medium"},
		{name: "organic google", utm: utm{"google", "organic", ""}, channel: OrganicSearch, rule: "organic-search-medium"},
		{name: "organic linkedin", utm: utm{"linkedin", "organic", ""}, channel: OrganicSocial, rule: "social-source"},
		{name: "organic unknown source", utm: utm{"g2", "organic", ""}, channel: Other, rule: "other"},

		// Referral by medium.
		{name: "referral", utm: utm{"partner-blog", "referral", ""}, channel: Referral, rule: "referral-medium"},
		{name: "ref", utm: utm{"", "ref", ""}, channel: Referral, rule: "referral-medium"},
		{name: "link", utm: utm{"", "Link", ""}, channel: Referral, rule: "referral-medium"},

		// Source alone.
		{name: "source google", utm: utm{"google", "", ""}, channel: OrganicSearch, rule: "search-source"},
		{name: "source duckduckgo odd medium", utm: utm{"duckduckgo", "foo", ""}, channel: OrganicSearch, rule: "search-source"},
		{name: "source LinkedIn", utm: utm{"LinkedIn", "", "launch"}, channel: OrganicSocial, rule: "social-source"},
		{name: "source ig", utm: utm{"ig", "", ""}, channel: OrganicSocial, rule: "social-source"},
		{name: "source x.com", utm: utm{"x.com", "", ""}, channel: OrganicSocial, rule: "social-source"},

		// Campaigns nothing recognises.
		{name: "campaign only", utm: utm{"", "", "spring"}, channel: Other, rule: "other"},
		{name: "campaign beats google referrer", utm: utm{"", "", "spring"}, ref: "www.google.com", channel: Other, rule: "other"},
		{name: "unknown source and medium", utm: utm{"podcast", "audio", ""}, channel: Other, rule: "other"},

		// Referrers without campaign parameters.
		{name: "google.com", ref: "www.google.com", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "bare google.com", ref: "google.com", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "google.co.uk", ref: "www.google.co.uk", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "google.de", ref: "www.google.de", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "google.com.br", ref: "www.google.com.br", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "google.co.jp", ref: "google.co.jp", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "news.google.com", ref: "news.google.com", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "scholar.google.fr", ref: "scholar.google.fr", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "upper-case host", ref: "WWW.Google.COM", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "host with trailing dot", ref: "www.google.com.", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "mail.google.com is not search", ref: "mail.google.com", channel: Referral, rule: "referral"},
		{name: "docs.google.com is not search", ref: "docs.google.com", channel: Referral, rule: "referral"},
		{name: "google.evil.com", ref: "google.evil.com", channel: Referral, rule: "referral"},
		{name: "google.com.evil.io", ref: "google.com.evil.io", channel: Referral, rule: "referral"},
		{name: "notgoogle.com", ref: "notgoogle.com", channel: Referral, rule: "referral"},
		{name: "bing", ref: "www.bing.com", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "duckduckgo", ref: "duckduckgo.com", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "yahoo search country", ref: "uk.search.yahoo.com", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "yahoo mail", ref: "mail.yahoo.com", channel: Referral, rule: "referral"},
		{name: "yandex.ru", ref: "yandex.ru", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "ecosia", ref: "www.ecosia.org", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "brave search", ref: "search.brave.com", channel: OrganicSearch, rule: "organic-search-referrer"},
		{name: "m.facebook.com", ref: "m.facebook.com", channel: OrganicSocial, rule: "organic-social-referrer"},
		{name: "l.instagram.com", ref: "l.instagram.com", channel: OrganicSocial, rule: "organic-social-referrer"},
		{name: "linkedin", ref: "www.linkedin.com", channel: OrganicSocial, rule: "organic-social-referrer"},
		{name: "lnkd.in", ref: "lnkd.in", channel: OrganicSocial, rule: "organic-social-referrer"},
		{name: "t.co", ref: "t.co", channel: OrganicSocial, rule: "organic-social-referrer"},
		{name: "x.com", ref: "x.com", channel: OrganicSocial, rule: "organic-social-referrer"},
		{name: "box.com is not x.com", ref: "box.com", channel: Referral, rule: "referral"},
		{name: "pinterest.co.uk", ref: "uk.pinterest.co.uk", channel: OrganicSocial, rule: "organic-social-referrer"},
		{name: "old.reddit.com", ref: "old.reddit.com", channel: OrganicSocial, rule: "organic-social-referrer"},
		{name: "hacker news", ref: "news.ycombinator.com", channel: OrganicSocial, rule: "organic-social-referrer"},
		{name: "bluesky", ref: "bsky.app", channel: OrganicSocial, rule: "organic-social-referrer"},
		{name: "other site", ref: "github.com", channel: Referral, rule: "referral"},
		{name: "internal referrer", ref: "www.acme.example", inside: true, channel: Direct, rule: "direct"},
		{name: "internal google referrer", ref: "www.google.com", inside: true, channel: Direct, rule: "direct"},
		{name: "no referrer", channel: Direct, rule: "direct"},
		{name: "blank utm values", utm: utm{"  ", " ", "\t"}, channel: Direct, rule: "direct"},
	}
	if len(cases) < 60 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Source: tc.utm.src, Medium: tc.utm.med, Campaign: tc.utm.camp,
				ClickIDType: tc.click, ReferrerHost: tc.ref, Internal: tc.inside}
			ch, rule := c.Classify(in)
			if ch != tc.channel || rule != tc.rule {
				t.Errorf("Classify(%+v) = %q, %q; want %q, %q", in, ch, rule, tc.channel, tc.rule)
			}
		})
	}
}

func BenchmarkClassify(b *testing.B) {
	c, err := Default().Compile()
	if err != nil {
		b.Fatal(err)
	}
	inputs := []Input{
		{ClickIDType: "gclid"},
		{Source: "linkedin", Medium: "paid", Campaign: "abm-q3"},
		{Source: "newsletter", Medium: "email"},
		{ReferrerHost: "www.google.co.uk"},
		{ReferrerHost: "m.facebook.com"},
		{ReferrerHost: "news.example.org"},
		{},
		{Source: "podcast", Medium: "audio", Campaign: "ep12"},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Classify(inputs[i%len(inputs)])
	}
}

func BenchmarkClassifyEach(b *testing.B) {
	c, err := Default().Compile()
	if err != nil {
		b.Fatal(err)
	}
	for name, in := range map[string]Input{
		"gclid":         {ClickIDType: "gclid"},
		"paid-linkedin": {Source: "linkedin", Medium: "paid", Campaign: "abm-q3"},
		"email":         {Source: "newsletter", Medium: "email"},
		"google-ref":    {ReferrerHost: "www.google.co.uk"},
		"facebook-ref":  {ReferrerHost: "m.facebook.com"},
		"other-ref":     {ReferrerHost: "news.example.org"},
		"direct":        {},
		"unknown":       {Source: "podcast", Medium: "audio", Campaign: "ep12"},
		"upper":         {Source: "LinkedIn", Medium: "Paid", Campaign: "ABM"},
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Classify(in)
			}
		})
	}
}
