package enrich

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestParseUA(t *testing.T) {
	cases := []struct {
		name, ua string
		want     Device
	}{
		{"chrome windows",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			Device{"Chrome", "120.0.0.0", "Windows", DeviceDesktop, false}},
		{"firefox windows",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
			Device{"Firefox", "121.0", "Windows", DeviceDesktop, false}},
		{"firefox linux",
			"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
			Device{"Firefox", "120.0", "Linux", DeviceDesktop, false}},
		{"safari macos",
			"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
			Device{"Safari", "17.1", "macOS", DeviceDesktop, false}},
		{"edge windows",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
			Device{"Edge", "120.0.2210.91", "Windows", DeviceDesktop, false}},
		{"iphone safari",
			"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
			Device{"Safari", "17.1", "iOS", DeviceMobile, false}},
		{"android chrome",
			"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
			Device{"Chrome", "120.0.0.0", "Android", DeviceMobile, false}},
		{"samsung browser",
			"Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
			Device{"Samsung Browser", "23.0", "Android", DeviceMobile, false}},
		{"ipad",
			"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
			Device{"Safari", "16.6", "iOS", DeviceTablet, false}},
		{"android tablet",
			"Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			Device{"Chrome", "120.0.0.0", "Android", DeviceTablet, false}},
		{"cubot phone is no bot",
			"Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36",
			Device{"Chrome", "119.0.0.0", "Android", DeviceMobile, false}},
		{"facebook in-app",
			"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0.0.31.105;FBBV/541745581;FBDV/iPhone14,2;FBMD/iPhone;FBSN/iOS;FBSV/17.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
			Device{"Facebook App", "440.0.0.31.105", "iOS", DeviceMobile, false}},
		{"googlebot",
			"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			Device{"Googlebot", "2.1", "", DeviceBot, true}},
		{"googlebot smartphone",
			"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			Device{"Googlebot", "2.1", "Android", DeviceBot, true}},
		{"bingbot",
			"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
			Device{"Bingbot", "2.0", "", DeviceBot, true}},
		{"linkedinbot",
			"LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
			Device{"LinkedInBot", "1.0", "", DeviceBot, true}},
		{"slackbot link preview",
			"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
			Device{"Slackbot-LinkExpanding 1.0", "", "", DeviceBot, true}},
		{"twitterbot", "Twitterbot/1.0", Device{"Twitterbot", "1.0", "", DeviceBot, true}},
		{"facebook crawler",
			"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
			Device{"facebookexternalhit", "1.1", "", DeviceBot, true}},
		{"whatsapp preview", "WhatsApp/2.23.20.0 A", Device{"WhatsApp", "2.23.20.0", "", DeviceBot, true}},
		{"curl", "curl/8.4.0", Device{"curl", "8.4.0", "", DeviceBot, true}},
		{"wget", "Wget/1.21.4", Device{"Wget", "1.21.4", "", DeviceBot, true}},
		{"python-requests", "python-requests/2.31.0", Device{"python-requests", "2.31.0", "", DeviceBot, true}},
		{"go http client", "Go-http-client/1.1", Device{"Go-http-client", "1.1", "", DeviceBot, true}},
		{"okhttp", "okhttp/4.12.0", Device{"okhttp", "4.12.0", "", DeviceBot, true}},
		{"java", "Java/17.0.2", Device{"Java", "17.0.2", "", DeviceBot, true}},
		{"headless chrome",
			"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
			Device{"Headless Chrome", "120.0.6099.109", "Linux", DeviceBot, true}},
		{"lighthouse",
			"Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
			Device{"Chrome", "120.0.0.0", "Android", DeviceBot, true}},
		{"phantomjs",
			"Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
			Device{"Safari", "538.1", "Linux", DeviceBot, true}}, // the parser's name; the bot flag is ours
		{"uptime monitor", "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
			Device{"UptimeRobot", "2.0", "", DeviceBot, true}},
		{"empty", "", Device{"", "", "", DeviceBot, true}},
		{"blank", "   ", Device{"", "", "", DeviceBot, true}},
	}
	p := NewUAParser(16)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for pass := range 2 { // the second answer comes from the cache
				if got := p.Parse(tc.ua); got != tc.want {
					t.Errorf("pass %d: Parse(%q)\n got %+v\nwant %+v", pass, tc.ua, got, tc.want)
				}
			}
		})
	}
}

func TestParseUALimits(t *testing.T) {
	p := NewUAParser(4)
	long := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) " + strings.Repeat("x", 1000) + " Chrome/120.0.0.0 Safari/537.36"
	d := p.Parse(long)
	if d.DeviceType != DeviceDesktop || p.cache.len() != 0 {
		t.Errorf("Parse(long) = %+v, cache len %d; want desktop and nothing cached", d, p.cache.len())
	}
	odd := strings.Repeat("é", 100)
	if d := p.Parse(odd); len(d.Browser) > maxName {
		t.Errorf("Browser %q is longer than %d bytes", d.Browser, maxName)
	}
	if got := truncate("aé", 2); got != "a" {
		t.Errorf("truncate cut a character: %q", got)
	}
}

func TestUACacheBounded(t *testing.T) {
	p := NewUAParser(3)
	for i := range 10 {
		p.Parse(fmt.Sprintf("curl/%d", i))
	}
	if n := p.cache.len(); n != 3 {
		t.Fatalf("cache holds %d entries, want 3", n)
	}
	// The three most recent stay; touching the oldest keeps it over the next add.
	for _, v := range []int{7, 8, 9} {
		if _, ok := p.cache.get(fmt.Sprintf("curl/%d", v)); !ok {
			t.Errorf("curl/%d was evicted", v)
		}
	}
	p.Parse("curl/7")
	p.Parse("curl/10")
	if _, ok := p.cache.get("curl/8"); ok {
		t.Error("curl/8, the least recently used, was kept")
	}
	if _, ok := p.cache.get("curl/7"); !ok {
		t.Error("curl/7, recently used, was evicted")
	}
	if q := NewUAParser(0); q.cache != nil || !q.Parse("curl/1").Bot {
		t.Error("a parser without cache misbehaves")
	}
}

func TestUAParserConcurrent(t *testing.T) {
	p := NewUAParser(8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				ua := fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/%d.0 Safari/537.36", (g*7+i)%20)
				if d := p.Parse(ua); d.DeviceType != DeviceDesktop {
					t.Errorf("Parse(%q) = %+v", ua, d)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkParseWarm(b *testing.B) {
	uas := []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	}
	p := NewUAParser(64)
	for _, ua := range uas {
		p.Parse(ua)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.Parse(uas[i%len(uas)])
	}
}

func BenchmarkParseCold(b *testing.B) {
	p := NewUAParser(0)
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	b.ReportAllocs()
	for b.Loop() {
		p.Parse(ua)
	}
}
