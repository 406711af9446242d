package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"time"
)

// Shape of the event ids the generator sends: <run>-<tag>-<conn>-<seq>, 26 characters
// of [a-z0-9-], unique per run (run), load step (tag), connection and request.
const (
	runLen      = 6
	tagLen      = 2
	connLen     = 3
	seqLen      = 12
	idPrefixLen = runLen + 1 + tagLen + 1 + connLen + 1
	idLen       = idPrefixLen + seqLen
	ringSize    = 16       // distinct request templates per connection
	maxBody     = 64 << 10 // the protocol's body limit
	maxConns    = 36 * 36 * 36
	base36      = "0123456789abcdefghijklmnopqrstuvwxyz"
)

var tokenPattern = regexp.MustCompile(`^[a-z0-9]+$`)

// requestSpec describes the requests of one load step.
type requestSpec struct {
	Host   string // Host header: the target's 127.0.0.1:port
	Events int    // page views per request, 1-50
	Run    string // runLen characters [a-z0-9], the same for every step of a run
	Tag    string // tagLen characters [a-z0-9], different for every step of a run
}

// requestRing hands one connection its requests: ringSize complete HTTP/1.1 requests
// serialised once, whose event ids are rewritten in place before each use. A ring is
// owned by one goroutine, and a request's bytes are valid until the ring comes round
// to it again (one request in flight per connection, so always).
type requestRing struct {
	reqs [][]byte
	ids  [][]int // offsets of the event ids in each request
	next int
	seq  [seqLen]byte // base-36 counter, the last part of every id
	sent uint64       // ids handed out
}

// newRequestRing builds the ring of connection conn; seed makes the content
// reproducible.
func newRequestRing(spec requestSpec, conn int, seed uint64) (*requestRing, error) {
	switch {
	case spec.Events < 1 || spec.Events > 50:
		return nil, fmt.Errorf("bench: %d events per request (want 1-50)", spec.Events)
	case len(spec.Run) != runLen || !tokenPattern.MatchString(spec.Run):
		return nil, fmt.Errorf("bench: run token %q must be %d of [a-z0-9]", spec.Run, runLen)
	case len(spec.Tag) != tagLen || !tokenPattern.MatchString(spec.Tag):
		return nil, fmt.Errorf("bench: step tag %q must be %d of [a-z0-9]", spec.Tag, tagLen)
	case conn < 0 || conn >= maxConns:
		return nil, fmt.Errorf("bench: connection number %d out of range", conn)
	}
	prefix := spec.Run + "-" + spec.Tag + "-" + fixed36(uint64(conn), connLen) + "-"
	rng := rand.New(rand.NewPCG(seed, uint64(conn)))
	r := &requestRing{}
	for range ringSize {
		req, ids, err := buildRequest(spec, prefix, rng, time.Now())
		if err != nil {
			return nil, err
		}
		r.reqs = append(r.reqs, req)
		r.ids = append(r.ids, ids)
	}
	for i := range r.seq {
		r.seq[i] = '0'
	}
	return r, nil
}

// Next returns the next request with fresh event ids.
func (r *requestRing) Next() []byte {
	req := r.reqs[r.next]
	for _, off := range r.ids[r.next] {
		r.increment()
		copy(req[off+idPrefixLen:off+idLen], r.seq[:])
	}
	r.next = (r.next + 1) % len(r.reqs)
	return req
}

func (r *requestRing) increment() {
	r.sent++
	for i := seqLen - 1; i >= 0; i-- {
		if r.seq[i] != 'z' {
			if r.seq[i] == '9' {
				r.seq[i] = 'a'
			} else {
				r.seq[i]++
			}
			return
		}
		r.seq[i] = '0'
	}
}

func fixed36(v uint64, width int) string {
	b := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		b[i] = base36[v%36]
		v /= 36
	}
	return string(b)
}

// pageview is one event as the tracker sends it (docs/tracking-protocol.md).
type pageview struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	TS    int64  `json:"ts"`
	VID   string `json:"vid"`
	SID   string `json:"sid"`
	SS    bool   `json:"ss,omitempty"`
	SPA   bool   `json:"spa,omitempty"`
	URL   string `json:"url"`
	Ref   string `json:"ref,omitempty"`
	Title string `json:"title"`
	SW    int    `json:"sw"`
	SH    int    `json:"sh"`
	Lang  string `json:"lang"`
	TZ    string `json:"tz"`
}

type batch struct {
	V      int        `json:"v"`
	Site   string     `json:"site"`
	Events []pageview `json:"events"`
}

// Realistic content: the pages of a B2B site, how visitors arrive, who they are.
var (
	pages = []struct{ path, title string }{
		{"/", "Acme Analytics: revenue attribution for B2B teams"},
		{"/pricing", "Pricing | Acme Analytics"},
		{"/features/multi-touch-attribution", "Multi-touch attribution | Acme Analytics"},
		{"/blog/first-touch-vs-last-touch", "First touch vs. last touch: which model should you trust?"},
		{"/docs/getting-started", "Getting started | Acme Docs"},
		{"/customers/globex", "How Globex tied 38% more pipeline to paid search"},
		{"/contact-sales", "Talk to sales | Acme Analytics"},
		{"/signup", "Start your free trial | Acme Analytics"},
	}
	campaigns = []string{
		"",
		"",
		"?utm_source=google&utm_medium=cpc&utm_campaign=brand_q4&utm_term=attribution+software&gclid=Cj0KCQiAn4SeBhCwARIsANeF9DJ",
		"?utm_source=newsletter&utm_medium=email&utm_campaign=2024-11-digest&utm_content=hero",
		"?utm_source=linkedin&utm_medium=paid_social&utm_campaign=abm_fintech&li_fat_id=9f1c2b7e-44aa-4f0e-b1d2",
		"?fbclid=IwAR2xq8ZkVhN3u7Tq0pLr5sWm",
	}
	referrers = []string{"https://www.google.com/", "https://www.bing.com/", "https://news.ycombinator.com/", "https://www.linkedin.com/", ""}
	screens   = [][2]int{{1920, 1080}, {1440, 900}, {1536, 864}, {2560, 1440}, {1366, 768}, {390, 844}, {412, 915}}
	languages = []string{"en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "nl-NL"}
	timezones = []string{"America/New_York", "Europe/London", "Europe/Berlin", "America/Los_Angeles", "Europe/Paris", "Australia/Sydney"}
	userAgent = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
		"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
	}
)

const siteOrigin = "http://localhost"

func pick[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

func randomToken(rng *rand.Rand, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// buildRequest serialises one request: a visitor's batch of page views in one
// session, with placeholder ids whose offsets it returns.
func buildRequest(spec requestSpec, prefix string, rng *rand.Rand, now time.Time) ([]byte, []int, error) {
	b := batch{V: 1, Site: "bench-site"}
	vid, sid := "v."+randomToken(rng, 20), "s."+randomToken(rng, 16)
	screen, lang, tz := pick(rng, screens), pick(rng, languages), pick(rng, timezones)
	ts := now.Add(-time.Duration(rng.IntN(600)) * time.Second).UnixMilli()
	newSession := spec.Events > 1 || rng.IntN(3) == 0
	prev := pick(rng, referrers)
	if !newSession {
		prev = siteOrigin + pick(rng, pages).path
	}
	for i := range spec.Events {
		p := pick(rng, pages)
		u := siteOrigin + p.path
		if i == 0 && newSession {
			u += pick(rng, campaigns)
		}
		b.Events = append(b.Events, pageview{
			ID: prefix + fixed36(uint64(i), seqLen), Type: "pageview", TS: ts,
			VID: vid, SID: sid, SS: i == 0 && newSession, SPA: i > 0 && rng.IntN(2) == 0,
			URL: u, Ref: prev, Title: p.title, SW: screen[0], SH: screen[1], Lang: lang, TZ: tz,
		})
		prev = u
		ts += int64(5000 + rng.IntN(60000))
	}
	body, err := json.Marshal(b)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: encode batch: %w", err)
	}
	if len(body) > maxBody {
		return nil, nil, fmt.Errorf("bench: a %d-event body is %d bytes, over the 64 KB limit", spec.Events, len(body))
	}
	head := "POST /t/collect HTTP/1.1\r\n" +
		"Host: " + spec.Host + "\r\n" +
		"User-Agent: " + pick(rng, userAgent) + "\r\n" +
		"Accept: */*\r\n" +
		"Accept-Language: " + lang + "," + lang[:2] + ";q=0.9\r\n" +
		"Content-Type: text/plain\r\n" +
		"Origin: " + siteOrigin + "\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	req := append([]byte(head), body...)
	ids := make([]int, 0, spec.Events)
	for i := range b.Events {
		off := bytes.Index(req, []byte(`"id":"`+b.Events[i].ID+`"`))
		if off < 0 {
			return nil, nil, fmt.Errorf("bench: id placeholder %d not found", i)
		}
		ids = append(ids, off+len(`"id":"`))
	}
	return req, ids, nil
}
