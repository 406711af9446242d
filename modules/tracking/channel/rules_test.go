package channel

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestDefaultValidates(t *testing.T) {
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	last := d[len(d)-1]
	if !reflect.DeepEqual(last.When, Condition{}) || last.Channel != Other {
		t.Errorf("last default rule = %+v, want a catch-all to Other", last)
	}
}

func TestValidate(t *testing.T) {
	good := func() Rule { return Rule{Name: "r", Channel: Referral} }
	cases := []struct {
		name  string
		rules Rules
		want  []string // each must appear in the error
	}{
		{"empty table", Rules{}, []string{"empty"}},
		{"empty name", Rules{{Channel: Direct}}, []string{`rule 0 (""): name: is empty`}},
		{"padded name", Rules{{Name: " x", Channel: Direct}}, []string{`rule 0 (" x"): name:`}},
		{"duplicate name", Rules{good(), good()}, []string{`rule 1 ("r"): name: duplicates rule 0`}},
		{"unknown channel", Rules{good(), {Name: "s", Channel: "Paid Video"}}, []string{`rule 1 ("s"): channel: unknown channel "Paid Video"`}},
		{"lower-case channel", Rules{{Name: "s", Channel: "direct"}}, []string{`rule 0 ("s"): channel:`}},
		{"unknown click id", Rules{{Name: "s", Channel: PaidSearch, When: Condition{ClickIDs: []string{"gclid", "glcid"}}}},
			[]string{`rule 0 ("s"): when.click_ids[1]: unknown click id "glcid"`}},
		{"bad medium pattern", Rules{good(), good(), {Name: "m", Channel: Email, When: Condition{MediumPattern: "(email"}}},
			[]string{`rule 2 ("m"): when.medium_pattern: error parsing regexp`}},
		{"bad source pattern", Rules{{Name: "s", Channel: Email, When: Condition{SourcePattern: "a**"}}},
			[]string{`rule 0 ("s"): when.source_pattern:`}},
		{"unknown source list", Rules{{Name: "s", Channel: Email, When: Condition{SourceLists: []string{ListSearchEngines, "email_tools"}}}},
			[]string{`rule 0 ("s"): when.source_lists[1]: unknown list "email_tools"`}},
		{"unknown referrer list", Rules{{Name: "s", Channel: Email, When: Condition{ReferrerLists: []string{"news"}}}},
			[]string{`rule 0 ("s"): when.referrer_lists[0]: unknown list "news"`}},
		{"referrer not a domain", Rules{{Name: "s", Channel: Referral, When: Condition{Referrers: []string{"ok.example", "https://g2.com/x"}}}},
			[]string{`rule 0 ("s"): when.referrers[1]: "https://g2.com/x" is not a domain`}},
		{"empty referrer", Rules{{Name: "s", Channel: Referral, When: Condition{Referrers: []string{" "}}}},
			[]string{`when.referrers[0]`}},
		{"every problem at once", Rules{{Channel: "x", When: Condition{MediumPattern: "("}}, {Name: "b", Channel: Direct, When: Condition{ReferrerLists: []string{"y"}}}},
			[]string{`rule 0 (""): name`, `rule 0 (""): channel`, `rule 0 (""): when.medium_pattern`, `rule 1 ("b"): when.referrer_lists[0]`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rules.Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
			if _, cerr := tc.rules.Compile(); cerr == nil {
				t.Error("Compile() accepted a table Validate rejects")
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	rules := Rules{
		{Name: "upper-case click id", Channel: PaidSearch, When: Condition{ClickIDs: []string{"GCLID"}}},
		{Name: "referrer forms", Channel: Referral, When: Condition{Referrers: []string{"g2.com", "*.capterra.com", "trustradius.*", "Example.ORG."}}},
		{Name: "list names in any case", Channel: OrganicSearch, When: Condition{ReferrerLists: []string{"Search_Engines"}}},
	}
	if err := rules.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
}

func TestDefaultJSONRoundTrip(t *testing.T) {
	data, err := json.Marshal(Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"name":"paid-search-click-id"`, `"click_ids":["gclid"`, `"has_campaign":false`, `"referrer_lists":["search_engines"]`} {
		if !strings.Contains(string(data), field) {
			t.Errorf("JSON lacks %s", field)
		}
	}
	if strings.Contains(string(data), `"sources"`) {
		t.Error("JSON has an empty list: omitempty lost")
	}
	var back Rules
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, Default()) {
		t.Error("Default() changed in a JSON round trip")
	}
	if _, err := back.Compile(); err != nil {
		t.Errorf("compile the decoded table: %v", err)
	}
}

func TestDefaultReturnsACopy(t *testing.T) {
	a := Default()
	*a[len(a)-2].When.HasReferrer = true
	a[0].When.ClickIDs[0] = "fbclid"
	b := Default()
	if *b[len(b)-2].When.HasReferrer || b[0].When.ClickIDs[0] != "gclid" {
		t.Error("changing one Default() table changed the next")
	}
	for i := range a[:len(a)-1] {
		for j := range a[:len(a)-1] {
			if i != j && a[i].When.HasCampaign != nil && a[i].When.HasCampaign == a[j].When.HasCampaign {
				t.Fatalf("rules %d and %d share a flag", i, j)
			}
		}
	}
}

func TestTenantOverride(t *testing.T) {
	// A tenant counts paid listings on review sites as Referral, and a reseller's
	// site as Affiliate, ahead of the default table.
	rules := append(Rules{
		{Name: "review-sites", Channel: Referral, When: Condition{Sources: []string{"G2", "capterra"}, MediumPattern: `^(cpc|paid)$`}},
		{Name: "reseller", Channel: Affiliate, When: Condition{Referrers: []string{"acme-reseller.example"}, HasCampaign: ptr(false)}},
	}, Default()...)
	c, err := rules.Compile()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in            Input
		channel, rule string
	}{
		{Input{Source: "g2", Medium: "cpc"}, Referral, "review-sites"},
		{Input{Source: "Capterra", Medium: "Paid"}, Referral, "review-sites"},
		{Input{Source: "getapp", Medium: "cpc"}, PaidSearch, "paid-search-cpc"},
		{Input{Source: "g2", Medium: "email"}, Email, "email-medium"},
		{Input{ReferrerHost: "shop.acme-reseller.example"}, Affiliate, "reseller"},
		{Input{ReferrerHost: "acme-reseller.example", Source: "x"}, OrganicSocial, "social-source"},
		{Input{ReferrerHost: "www.google.com"}, OrganicSearch, "organic-search-referrer"},
	}
	for _, tc := range cases {
		if ch, rule := c.Classify(tc.in); ch != tc.channel || rule != tc.rule {
			t.Errorf("Classify(%+v) = %q, %q; want %q, %q", tc.in, ch, rule, tc.channel, tc.rule)
		}
	}
}

func TestNoCatchAll(t *testing.T) {
	c, err := Rules{{Name: "only-gclid", Channel: PaidSearch, When: Condition{ClickIDs: []string{"gclid"}}}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if ch, rule := c.Classify(Input{ReferrerHost: "example.com"}); ch != Other || rule != "" {
		t.Errorf("Classify = %q, %q; want Other and no rule", ch, rule)
	}
}

func TestConditionParts(t *testing.T) {
	// Rules beyond the default table's shapes: several lists in one rule, an empty
	// medium listed on purpose, both lists named in one condition.
	rules := Rules{
		{Name: "both-lists", Channel: Other, When: Condition{Sources: []string{"special"}, ReferrerLists: []string{ListSocialNetworks, ListSearchEngines}}},
		{Name: "no-medium-newsletter", Channel: Email, When: Condition{Sources: []string{"digest"}, Mediums: []string{"", "none"}}},
		{Name: "has-referrer", Channel: Referral, When: Condition{HasReferrer: ptr(true)}},
		{Name: "rest", Channel: Direct},
	}
	c, err := rules.Compile()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in   Input
		rule string
	}{
		{Input{Source: "special", ReferrerHost: "www.google.de"}, "both-lists"},
		{Input{Source: "special", ReferrerHost: "pinterest.de"}, "both-lists"},
		{Input{Source: "special", ReferrerHost: "example.de"}, "has-referrer"},
		{Input{Source: "digest"}, "no-medium-newsletter"},
		{Input{Source: "digest", Medium: "None"}, "no-medium-newsletter"},
		{Input{Source: "digest", Medium: "email"}, "rest"},
		{Input{ReferrerHost: "example.de", Internal: true}, "rest"},
	}
	for _, tc := range cases {
		if _, rule := c.Classify(tc.in); rule != tc.rule {
			t.Errorf("Classify(%+v) rule = %q, want %q", tc.in, rule, tc.rule)
		}
	}
}

func TestLists(t *testing.T) {
	search, social := SearchEngines(), SocialNetworks()
	for _, d := range []string{"google.*", "bing.com", "duckduckgo.com", "yahoo.*", "baidu.com", "yandex.*", "ecosia.org",
		"qwant.com", "search.naver.com", "seznam.cz", "startpage.com", "search.brave.com"} {
		if !slices.Contains(search, d) {
			t.Errorf("SearchEngines() lacks %s", d)
		}
	}
	for _, d := range []string{"facebook.com", "instagram.com", "linkedin.com", "lnkd.in", "twitter.com", "x.com", "t.co",
		"youtube.com", "tiktok.com", "reddit.com", "pinterest.*", "quora.com", "threads.net", "mastodon.social", "bsky.app",
		"xing.com", "vk.com", "weibo.com", "snapchat.com", "discord.com"} {
		if !slices.Contains(social, d) {
			t.Errorf("SocialNetworks() lacks %s", d)
		}
	}
	search[0] = "changed"
	if SearchEngines()[0] == "changed" {
		t.Error("SearchEngines() returned shared state")
	}
	for _, l := range [][]string{search[1:], social} {
		for _, d := range l {
			if d != normDomain(d) || strings.Count(d, "*") > 1 {
				t.Errorf("list entry %q is not a lower-case domain", d)
			}
		}
	}
}
