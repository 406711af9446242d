package enrich

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/srgplatform/srg/modules/tracking/channel"
)

func TestReferrerHost(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://www.google.com/", "www.google.com"},
		{"https://WWW.Google.CO.UK/search?q=x", "www.google.co.uk"},
		{"http://example.com:8080/path", "example.com"},
		{"https://m.facebook.com.", "m.facebook.com"},
		{"  https://lnkd.in/abc  ", "lnkd.in"},
		{"https://user:pw@news.ycombinator.com/item?id=1", "news.ycombinator.com"},
		{"http://[2001:db8::1]:8080/", "2001:db8::1"},
		{"HTTPS://t.co/xyz", "t.co"},
		{"https://bücher.example/", "bücher.example"},
		{"", ""},
		{"   ", ""},
		{"android-app://com.google.android.gm/", ""},
		{"about:blank", ""},
		{"file:///etc/passwd", ""},
		{"ftp://example.com/", ""},
		{"www.google.com", ""},
		{"/relative/path", ""},
		{"https://", ""},
		{"https://exa mple.com/", ""},
		{"http://%zz/", ""},
		{"https://" + strings.Repeat("a", 300) + ".com/", ""},
	}
	for _, tc := range cases {
		if got := ReferrerHost(tc.in); got != tc.want {
			t.Errorf("ReferrerHost(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseCampaign(t *testing.T) {
	long := strings.Repeat("é", 300)
	cases := []struct {
		name, url string
		want      Campaign
	}{
		{"none", "https://acme.example/pricing", Campaign{}},
		{"other parameters", "https://acme.example/?page=2&ref=x", Campaign{}},
		{"every utm", "https://acme.example/?utm_source=Google&utm_medium=cpc&utm_campaign=Brand+EU&utm_term=crm%20tool&utm_content=ad-1&utm_id=123",
			Campaign{Source: "Google", Medium: "cpc", Name: "Brand EU", Term: "crm tool", Content: "ad-1", ID: "123"}},
		{"trimmed", "https://acme.example/?utm_source=%20linkedin%20&utm_medium=+social+", Campaign{Source: "linkedin", Medium: "social"}},
		{"first value wins", "https://acme.example/?utm_source=a&utm_source=b", Campaign{Source: "a"}},
		{"names are case-sensitive", "https://acme.example/?UTM_SOURCE=a&GCLID=b", Campaign{}},
		{"gclid", "https://acme.example/?gclid=Cj0KCQ", Campaign{ClickIDType: "gclid", ClickID: "Cj0KCQ"}},
		{"gbraid", "https://acme.example/?gbraid=0AAAAA", Campaign{ClickIDType: "gbraid", ClickID: "0AAAAA"}},
		{"wbraid", "https://acme.example/?wbraid=CkAB", Campaign{ClickIDType: "wbraid", ClickID: "CkAB"}},
		{"msclkid", "https://acme.example/?msclkid=abc123", Campaign{ClickIDType: "msclkid", ClickID: "abc123"}},
		{"fbclid", "https://acme.example/?fbclid=IwAR0", Campaign{ClickIDType: "fbclid", ClickID: "IwAR0"}},
		{"li_fat_id", "https://acme.example/?li_fat_id=5f1c", Campaign{ClickIDType: "li_fat_id", ClickID: "5f1c"}},
		{"ttclid", "https://acme.example/?ttclid=E.C.P", Campaign{ClickIDType: "ttclid", ClickID: "E.C.P"}},
		{"twclid", "https://acme.example/?twclid=2-abc", Campaign{ClickIDType: "twclid", ClickID: "2-abc"}},
		{"precedence by list, not by position", "https://acme.example/?fbclid=F&msclkid=M&gclid=G", Campaign{ClickIDType: "gclid", ClickID: "G"}},
		{"gbraid before fbclid", "https://acme.example/?fbclid=F&gbraid=B", Campaign{ClickIDType: "gbraid", ClickID: "B"}},
		{"blank click id skipped", "https://acme.example/?gclid=&fbclid=F", Campaign{ClickIDType: "fbclid", ClickID: "F"}},
		{"click id with utm", "https://acme.example/?utm_source=facebook&utm_medium=paid_social&fbclid=F",
			Campaign{Source: "facebook", Medium: "paid_social", ClickIDType: "fbclid", ClickID: "F"}},
		{"control and invalid bytes dropped", "https://acme.example/?utm_source=news%00letter%FF%0A", Campaign{Source: "newsletter"}},
		{"utm truncated to 256 characters", "https://acme.example/?utm_campaign=" + url.QueryEscape(long),
			Campaign{Name: strings.Repeat("é", 256)}},
		{"click id truncated to 512", "https://acme.example/?gclid=" + strings.Repeat("x", 600),
			Campaign{ClickIDType: "gclid", ClickID: strings.Repeat("x", 512)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			got := ParseCampaign(u)
			if got != tc.want {
				t.Errorf("ParseCampaign(%s)\n got %+v\nwant %+v", tc.url, got, tc.want)
			}
			if got.Empty() != (tc.want == Campaign{}) {
				t.Errorf("Empty() = %v", got.Empty())
			}
		})
	}
	if c := ParseCampaign(nil); !c.Empty() {
		t.Errorf("ParseCampaign(nil) = %+v", c)
	}
	if (Campaign{ClickIDType: "gclid", ClickID: "x"}).Empty() {
		t.Error("a click id alone is not empty")
	}
}

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"  abc  ", 10, "abc"},
		{"abcdef", 3, "abc"},
		{"ab  cd", 3, "ab"},
		{"日本語テキスト", 3, "日本語"},
		{"a\x00b\tc", 10, "abc"},
		{"\xffok", 10, "ok"},
	} {
		got := clean(tc.in, tc.n)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("clean(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// The click ids ParseCampaign reports must be the ones channel rules may name, in the
// same order.
func TestClickIDsAgreeWithChannel(t *testing.T) {
	if got, want := ClickIDParams(), channel.ClickIDTypes(); !slices.Equal(got, want) {
		t.Errorf("ClickIDParams() = %v, channel.ClickIDTypes() = %v", got, want)
	}
}
