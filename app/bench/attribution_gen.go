package bench

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// synthTenant generates the synthetic tenant of `srg bench attribution`. Each
// opportunity draws from its own seeded stream, so any opportunity can be made
// alone, in any order and by any worker, and the same seed and reference time
// always give the same rows.
type synthTenant struct {
	seed          uint64
	opportunities int
	// now is the reference time: opportunities are created in the year before it.
	now time.Time
}

// synthOpp is one opportunity with its contacts; the buffers are reused from one
// opportunity to the next.
type synthOpp struct {
	index      int
	externalID string
	amount     float64
	currency   string
	stage      string
	isWon      bool
	isClosed   bool
	created    time.Time
	closeDate  time.Time // zero while open
	contacts   []synthContact
}

// synthContact is a CRM contact and the tracked person with the same email.
type synthContact struct {
	externalID string
	personID   int64
	email      string
	first      string
	last       string
}

// synthChannel is how a session arrives: the channel the tracker's default rules
// would classify it as, under which rule, and what the visit carries.
type synthChannel struct {
	name, rule               string
	weight                   int
	source, medium, referrer string
	campaigns                []string
}

// synthChannels mirror the tracker's default channel table (modules/tracking/channel).
var synthChannels = []synthChannel{
	{name: "Direct", rule: "direct", weight: 20},
	{name: "Organic Search", rule: "organic-search-referrer", weight: 20, referrer: "www.google.com"},
	{name: "Paid Search", rule: "paid-search-source", weight: 12, source: "google", medium: "cpc",
		campaigns: []string{"brand-search", "competitor-terms", "category-attribution"}},
	{name: "Organic Social", rule: "organic-social-referrer", weight: 8, referrer: "www.linkedin.com"},
	{name: "Paid Social", rule: "paid-social-medium", weight: 8, source: "linkedin", medium: "paid_social",
		campaigns: []string{"abm-tier1", "webinar-promo", "retargeting-q3"}},
	{name: "Email", rule: "email-medium", weight: 12, source: "newsletter", medium: "email",
		campaigns: []string{"monthly-digest", "product-launch", "nurture-track-2"}},
	{name: "Referral", rule: "referral", weight: 10, referrer: "www.g2.com"},
	{name: "Display", rule: "display-medium", weight: 6, source: "dv360", medium: "display",
		campaigns: []string{"awareness-eu", "awareness-na"}},
	{name: "Affiliates", rule: "affiliate-medium", weight: 4, source: "partnerstack", medium: "affiliate",
		campaigns: []string{"partner-program"}},
}

var (
	synthPages      = []string{"/", "/pricing", "/product", "/blog/multi-touch-attribution", "/customers", "/demo", "/integrations/salesforce", "/docs/getting-started"}
	synthCurrencies = []string{"USD", "USD", "USD", "EUR", "EUR", "GBP"}
	synthFirst      = []string{"Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances"}
	synthLast       = []string{"Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen"}
	synthBrowsers   = []string{"Chrome", "Chrome", "Safari", "Firefox", "Edge"}
	synthOS         = []string{"Windows", "macOS", "macOS", "Linux", "iOS"}
	variants        = []string{"0", "1", "2"}
	synthCountries  = []string{"US", "US", "GB", "DE", "FR", "CA", "NL"}
)

const synthSource = "salesforce"

// rng returns opportunity i's stream: stream 0 for the opportunity, 1 for its
// touchpoints, so making the rows without the touchpoints draws the same values.
func (g *synthTenant) rng(i int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(g.seed, uint64(i)<<1|stream))
}

// opportunity fills o with opportunity i: created in the year before now; 60% of
// those older than a week are closed (40% of them won); 1 to 3 contacts.
func (g *synthTenant) opportunity(i int, o *synthOpp) {
	r := g.rng(i, 0)
	o.index = i
	o.externalID = "006" + pad8(i)
	o.created = g.now.Add(-time.Duration(1+r.Int64N(364*24*3600)) * time.Second).Truncate(time.Second)
	o.amount = float64(1000+r.IntN(99000)) + float64(r.IntN(100))/100
	o.currency = synthCurrencies[r.IntN(len(synthCurrencies))]
	o.isWon, o.isClosed, o.closeDate, o.stage = false, false, time.Time{}, "Qualification"
	if age := g.now.Sub(o.created); age > 7*24*time.Hour && r.Float64() < 0.6 {
		o.isClosed = true
		o.closeDate = o.created.Add(7*24*time.Hour + time.Duration(r.Int64N(int64(age-7*24*time.Hour)))).UTC().Truncate(24 * time.Hour)
		o.isWon = r.Float64() < 0.4
		o.stage = "Closed Lost"
		if o.isWon {
			o.stage = "Closed Won"
		}
	}
	n := 1 + r.IntN(3)
	o.contacts = o.contacts[:0]
	for k := range n {
		id := int64(i)*3 + int64(k) + 1
		o.contacts = append(o.contacts, synthContact{
			externalID: "003" + pad8(int(id)),
			personID:   id,
			email:      "p" + strconv.FormatInt(id, 10) + "@company" + strconv.Itoa(i%20000) + ".example",
			first:      synthFirst[r.IntN(len(synthFirst))],
			last:       synthLast[r.IntN(len(synthLast))],
		})
	}
}

// end is when the opportunity's touchpoints stop: its close date or now.
func (o *synthOpp) end(now time.Time) time.Time {
	if o.isClosed {
		return o.closeDate.Add(24 * time.Hour)
	}
	return now
}

// touchpoints appends opportunity o's touchpoints as JSON documents to buf and
// returns it with the end offset of each document in ends: 6 to 14 (10 on
// average) in sessions of one to three page views (the first marked
// session_start), some followed by a form fill or a download, 85% of them in the 90
// days before the opportunity's creation and the rest between creation and its end.
func (g *synthTenant) touchpoints(o *synthOpp, buf []byte, ends []int) ([]byte, []int) {
	r := g.rng(o.index, 1)
	n := 6 + r.IntN(9)
	end := o.end(g.now)
	if end.After(g.now) {
		end = g.now
	}
	total := 0
	for session := 0; total < n; session++ {
		var at time.Time
		if span := end.Sub(o.created); r.Float64() < 0.15 && span > time.Minute {
			at = o.created.Add(time.Duration(r.Int64N(int64(span - time.Minute))))
		} else {
			at = o.created.Add(-time.Duration(r.Int64N(int64(90 * 24 * time.Hour))))
		}
		c := &o.contacts[r.IntN(len(o.contacts))]
		ch := pickChannel(r)
		campaign := ""
		if len(ch.campaigns) > 0 {
			campaign = ch.campaigns[r.IntN(len(ch.campaigns))]
		}
		s := touchSession{o: o, c: c, ch: ch, campaign: campaign, session: session,
			landing: synthPages[r.IntN(len(synthPages))], browser: synthBrowsers[r.IntN(len(synthBrowsers))],
			os: synthOS[r.IntN(len(synthOS))], country: synthCountries[r.IntN(len(synthCountries))]}
		views := 1 + r.IntN(3)
		for v := 0; v < views && total < n; v++ {
			page := s.landing
			if v > 0 {
				page = synthPages[r.IntN(len(synthPages))]
			}
			buf = s.append(buf, r, "pageview", at, v == 0, page)
			ends = append(ends, len(buf))
			total++
			at = at.Add(time.Duration(10+r.IntN(300)) * time.Second)
		}
		if total < n && r.Float64() < 0.25 {
			kind := "form"
			if r.Float64() < 0.4 {
				kind = "download"
			}
			buf = s.append(buf, r, kind, at, false, "/demo")
			ends = append(ends, len(buf))
			total++
		}
	}
	return buf, ends
}

func pickChannel(r *rand.Rand) *synthChannel {
	sum := 0
	for i := range synthChannels {
		sum += synthChannels[i].weight
	}
	x := r.IntN(sum)
	for i := range synthChannels {
		if x -= synthChannels[i].weight; x < 0 {
			return &synthChannels[i]
		}
	}
	return &synthChannels[len(synthChannels)-1]
}

// touchSession is what the touchpoints of one visit share.
type touchSession struct {
	o                    *synthOpp
	c                    *synthContact
	ch                   *synthChannel
	session              int
	campaign, landing    string
	browser, os, country string
}

// append writes one touchpoint document. It appends to buf field by field rather
// than marshalling a struct: a million of them are made per run, and every value is
// plain ASCII that needs no escaping.
func (s *touchSession) append(buf []byte, r *rand.Rand, kind string, at time.Time, start bool, page string) []byte {
	const site = "https://www.srg-bench.example"
	str := func(b []byte, key string, vs ...string) []byte {
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, '"', ':', '"')
		for _, v := range vs {
			b = append(b, v...)
		}
		return append(b, '"')
	}
	buf = append(buf, `{"event_id":"`...)
	buf = appendHex(buf, r.Uint64())
	buf = appendHex(buf, r.Uint64())
	buf = append(buf, '"')
	buf = str(buf, "tenant", "bench")
	buf = str(buf, "site_key", "bench-site")
	buf = str(buf, "type", kind)
	buf = append(buf, `,"occurred_at":"`...)
	buf = at.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","received_at":"`...)
	buf = at.Add(2*time.Second).UTC().AppendFormat(buf, time.RFC3339Nano)
	// The ingester stamps updated_at when it indexes a touchpoint.
	buf = append(buf, `","updated_at":"`...)
	buf = at.Add(3*time.Second).UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, '"')
	buf = append(buf, `,"visitor_id":"v`...)
	buf = strconv.AppendInt(buf, s.c.personID, 36)
	buf = append(buf, `","session_id":"`...)
	buf = strconv.AppendInt(buf, int64(s.o.index), 10)
	buf = append(buf, '-')
	buf = strconv.AppendInt(buf, int64(s.session), 10)
	buf = append(buf, '"')
	buf = append(buf, `,"session_start":`...)
	buf = strconv.AppendBool(buf, start)
	buf = append(buf, `,"person_id":"`...)
	buf = strconv.AppendInt(buf, s.c.personID, 10)
	buf = append(buf, '"')
	buf = str(buf, "url", site, page)
	buf = str(buf, "path", page)
	buf = str(buf, "landing_page", site, s.landing)
	if s.ch.referrer != "" {
		buf = str(buf, "referrer", "https://", s.ch.referrer, "/")
		buf = str(buf, "referrer_host", s.ch.referrer)
	}
	if s.ch.source != "" {
		buf = str(buf, "utm_source", s.ch.source)
		buf = str(buf, "utm_medium", s.ch.medium)
		buf = str(buf, "utm_campaign", s.campaign)
		buf = str(buf, "utm_content", "variant-", variants[r.IntN(len(variants))])
	}
	buf = str(buf, "channel", s.ch.name)
	buf = str(buf, "channel_rule", s.ch.rule)
	switch kind {
	case "form":
		buf = str(buf, "form_id", "demo-request")
		buf = str(buf, "form_name", "Request a demo")
	case "download":
		buf = str(buf, "link_url", site, "/assets/attribution-guide.pdf")
		buf = str(buf, "file_ext", "pdf")
	}
	buf = str(buf, "browser", s.browser)
	buf = str(buf, "os", s.os)
	buf = str(buf, "device_type", "desktop")
	buf = append(buf, `,"is_bot":false`...)
	buf = str(buf, "country", s.country)
	return append(buf, '}')
}

// eventID is the event id of a document made by touchSession.append, its first
// field: the 32 hex digits after `{"event_id":"`.
func eventID(doc []byte) string { return string(doc[13:45]) }

func appendHex(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[v>>uint(shift)&0xf])
	}
	return b
}

// pad8 writes i with leading zeros to 8 digits, so external ids sort as numbers do
// and the last two digits pick 1% of them.
func pad8(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 8 {
		s = "0" + s
	}
	return s
}
