// Package enrich derives what the tracking endpoint stores about a request beyond
// what the tracker sent: the device and browser from the user agent (and whether it is
// a bot), the client's IP address behind trusted proxies and its anonymised form, the
// referrer's host, and the campaign parameters and click id of the landing URL.
//
// It holds no global state and does no I/O; everything here is safe for concurrent
// use.
package enrich

import (
	"strings"
	"unicode/utf8"

	"github.com/mileusna/useragent"
)

// Device types, as stored on events.
const (
	DeviceDesktop = "desktop"
	DeviceMobile  = "mobile"
	DeviceTablet  = "tablet"
	DeviceBot     = "bot"
	DeviceUnknown = "unknown"
)

// Device is what a user agent tells about the visitor's software and hardware.
type Device struct {
	// Browser is the browser or client name ("Chrome", "Googlebot", "curl"), empty
	// when the parser did not recognise it.
	Browser string
	// BrowserVersion is the browser's version as sent ("120.0.6099.109").
	BrowserVersion string
	// OS is the operating system ("Windows", "macOS", "iOS", "Android", "Linux"...).
	OS string
	// DeviceType is one of the Device constants: desktop, mobile, tablet, bot or
	// unknown. An Android device without "Mobile" in its user agent is a tablet, as
	// Google advises; iPads running iPadOS 13 and later send a desktop Safari user
	// agent and are counted as desktop.
	DeviceType string
	// Bot reports a crawler, link preview, monitor, headless browser or HTTP
	// library, including an empty user agent.
	Bot bool
}

const (
	// maxCachedUA is the longest user agent kept in the cache; real ones are far
	// shorter, and a client sending many huge ones must not fill memory.
	maxCachedUA = 512
	// maxName bounds Browser and BrowserVersion, which come from the client.
	maxName = 64
)

// UAParser parses user agents with mileusna/useragent, adds the bot signals it
// misses, and remembers recent answers: most requests repeat a user agent seen moments
// before. It is safe for concurrent use.
type UAParser struct {
	cache   *lru
	markers []string
}

// NewUAParser returns a parser that caches up to cacheSize user agents; zero or less
// turns caching off.
func NewUAParser(cacheSize int) *UAParser {
	p := &UAParser{markers: botMarkers()}
	if cacheSize > 0 {
		p.cache = newLRU(cacheSize)
	}
	return p
}

// Parse tells the device of a user agent.
func (p *UAParser) Parse(ua string) Device {
	if strings.TrimSpace(ua) == "" {
		return Device{DeviceType: DeviceBot, Bot: true}
	}
	cacheable := p.cache != nil && len(ua) <= maxCachedUA
	if cacheable {
		if d, ok := p.cache.get(ua); ok {
			return d
		}
	}
	d := p.parse(ua)
	if cacheable {
		p.cache.add(ua, d)
	}
	return d
}

func (p *UAParser) parse(s string) Device {
	ua := useragent.Parse(s)
	d := Device{
		BrowserVersion: truncate(ua.Version, maxName),
		OS:             ua.OS,
		Bot:            ua.Bot || p.isBot(s),
	}
	// The parser names an unrecognised client after the whole user agent.
	if ua.Name != s {
		d.Browser = truncate(ua.Name, maxName)
	}
	// For Facebook's in-app browser the parser reports the app's platform ("FBIOS")
	// as its version; the version is in FBAV.
	if ua.Name == useragent.FacebookApp {
		if _, v, ok := strings.Cut(s, "FBAV/"); ok {
			if i := strings.IndexAny(v, ";]"); i >= 0 {
				v = v[:i]
			}
			d.BrowserVersion = truncate(v, maxName)
		}
	}
	switch {
	case d.Bot:
		d.DeviceType = DeviceBot
	// Android phones send "Mobile"; Android tablets leave it out.
	case ua.Tablet || (ua.OS == useragent.Android && !strings.Contains(s, "Mobile")):
		d.DeviceType = DeviceTablet
	case ua.Mobile:
		d.DeviceType = DeviceMobile
	case ua.Desktop:
		d.DeviceType = DeviceDesktop
	default:
		d.DeviceType = DeviceUnknown
	}
	return d
}

// botMarkers are lower-case fragments that only automated clients send.
func botMarkers() []string {
	return []string{
		"spider", "crawl", "slurp", "preview", "monitor", "headless", "lighthouse", "phantomjs",
		"selenium", "puppeteer", "playwright", "webdriver", "prerender",
		"curl/", "wget/", "python-requests", "python-urllib", "python-httpx", "aiohttp",
		"go-http-client", "okhttp", "java/", "apache-httpclient", "jakarta commons-httpclient",
		"libwww-perl", "node-fetch", "axios/", "undici", "scrapy", "httpie", "postmanruntime",
		"facebookexternalhit", "facebookcatalog", "embedly", "iframely", "pingdom", "uptime",
		"statuscake", "site24x7", "gtmetrix", "feedfetcher", "ia_archiver", "archive.org",
	}
}

// isBot looks for the bot signals mileusna/useragent does not report.
func (p *UAParser) isBot(ua string) bool {
	s := strings.ToLower(ua)
	if strings.HasPrefix(s, "whatsapp/") { // WhatsApp's link preview fetcher
		return true
	}
	for _, m := range p.markers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return hasBotWord(s)
}

// hasBotWord finds "bot" ("Googlebot", "LinkedInBot", "bot.html") except inside the
// phone brand Cubot.
func hasBotWord(s string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], "bot")
		if j < 0 {
			return false
		}
		if j += i; j < 2 || s[j-2:j] != "cu" {
			return true
		}
		i = j + len("bot")
	}
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
