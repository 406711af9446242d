package trackertest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// The browser tests run one at a time (no t.Parallel): the machine has two cores.

func TestFirstVisitWithCampaign(t *testing.T) {
	e := setup(t, DefaultSettings())
	landing := e.site.URL + "/?utm_source=google&utm_campaign=spring&gclid=abc123"
	e.b.Navigate(landing)

	pv := e.c.WaitDelivered(t, "the landing page view", count("pageview", 1))[0]
	if pv.URL != landing || !pv.SS || pv.SPA || pv.Title != "Home" || pv.Ref != "" {
		t.Errorf("landing page view: want url %s, ss, no spa, title Home, no ref; got %+v", landing, pv)
	}
	if pv.SW <= 0 || pv.SH <= 0 || pv.Lang == "" || pv.TZ == "" {
		t.Errorf("landing page view lacks screen, lang or tz: %+v", pv)
	}
	if !strings.HasPrefix(pv.VID, "v.") || !strings.HasPrefix(pv.SID, "s.") {
		t.Errorf("want vid v.* and sid s.*, got %q and %q", pv.VID, pv.SID)
	}
	cookie := e.b.Cookie("sona_vid")
	if cookie == nil {
		t.Fatal("no sona_vid cookie")
	}
	if cookie.Value != pv.VID || cookie.Path != "/" || cookie.SameSite != "Lax" {
		t.Errorf("sona_vid cookie: want value %s, path /, SameSite Lax; got %+v", pv.VID, cookie)
	}
	// The tracker asks for two years; Chromium caps cookie lifetimes at 400 days.
	if left := time.Until(time.Unix(int64(cookie.Expires), 0)); left < 399*24*time.Hour || left > 731*24*time.Hour {
		t.Errorf("sona_vid cookie expires in %v, want two years or the browser's 400-day cap", left)
	}
	ls := e.b.LocalStorage()
	if ls["sona_vid"] != pv.VID || !strings.Contains(ls["sona_sid"], pv.SID) {
		t.Errorf("localStorage: want sona_vid %s and sona_sid with %s, got %v", pv.VID, pv.SID, ls)
	}

	// A link within the site continues the visit.
	e.b.Click("#pricing")
	e.b.WaitPage("pricing")
	next := ofType(e.c.WaitDelivered(t, "the pricing page view", count("pageview", 2)), "pageview")[1]
	want := Event{URL: e.site.URL + "/pricing", Ref: landing, VID: pv.VID, SID: pv.SID, Title: "Pricing"}
	got := Event{URL: next.URL, Ref: next.Ref, VID: next.VID, SID: next.SID, Title: next.Title, SS: next.SS}
	expectEqual(t, "pricing page view", want, got)

	// Landing again with another campaign starts a new session for the same visitor.
	e.b.Navigate(e.site.URL + "/?utm_source=newsletter")
	again := ofType(e.c.WaitDelivered(t, "the second landing", count("pageview", 3)), "pageview")[2]
	if again.VID != pv.VID || again.SID == pv.SID || !again.SS {
		t.Errorf("second campaign: want vid %s, a new sid and ss; got %+v", pv.VID, again)
	}

	if n := e.c.ConfigRequests(); n != 1 {
		t.Errorf("three pages fetched the config %d times, want once (cached for 10 minutes)", n)
	}
	for _, r := range e.c.Requests() {
		if r.ContentType != "text/plain" || r.Origin != e.site.URL {
			t.Errorf("collect request with Content-Type %q from origin %q, want text/plain from %s", r.ContentType, r.Origin, e.site.URL)
		}
	}
}

func TestCookieDomain(t *testing.T) {
	for _, tc := range []struct {
		host, domain string
	}{
		{"www.acme.co.uk", ".acme.co.uk"},      // co.uk is a public suffix: refused
		{"shop.example.test", ".example.test"}, // the registrable domain, first try
	} {
		t.Run(tc.host, func(t *testing.T) {
			c := NewFakeCollector(t)
			c.SetSite(siteKey, DefaultSettings())
			site := NewSite(t, c.URL, siteKey)
			b := NewBrowser(t, MapHost(tc.host))
			b.Navigate(site.At(tc.host) + "/")
			pv := c.WaitDelivered(t, "the page view", count("pageview", 1))[0]
			cookie := b.Cookie("sona_vid")
			if cookie == nil || cookie.Value != pv.VID || cookie.Domain != tc.domain || cookie.Secure {
				t.Errorf("want cookie sona_vid=%s on %s, not secure over http; got %+v", pv.VID, tc.domain, cookie)
			}
		})
	}
}

func TestSPANavigation(t *testing.T) {
	e := setup(t, DefaultSettings())
	home := e.site.URL + "/"
	e.b.Navigate(home)
	e.c.WaitDelivered(t, "the first page view", count("pageview", 1))

	// Each click waits for its page view, as a person is slower than the tracker's
	// deferral to the next task (which merges a pushState directly followed by another).
	e.b.Click("#push")
	e.c.WaitDelivered(t, "the pushState page view", count("pageview", 2))
	e.b.Click("#replace-same") // the URL does not change: no page view
	e.b.Click("#hash")
	pvs := ofType(e.c.WaitDelivered(t, "the hash page view", func(evs []Event) bool {
		pvs := ofType(evs, "pageview")
		return len(pvs) > 0 && strings.HasSuffix(pvs[len(pvs)-1].URL, "#section")
	}), "pageview")

	type view struct {
		URL, Ref string
		SPA, SS  bool
	}
	var got []view
	for _, pv := range pvs {
		got = append(got, view{pv.URL, pv.Ref, pv.SPA, pv.SS})
		if pv.SID != pvs[0].SID {
			t.Errorf("page view %s changed the session", pv.URL)
		}
	}
	step2 := e.site.URL + "/app/step2"
	want := []view{
		{URL: home, SS: true},
		{URL: step2, Ref: home, SPA: true},
		{URL: step2 + "#section", Ref: step2, SPA: true},
	}
	expectEqual(t, "page views", want, got)
}

func TestOutboundClick(t *testing.T) {
	e := setup(t, DefaultSettings())
	e.b.Navigate(e.site.URL + "/")
	e.c.WaitDelivered(t, "the page view", count("pageview", 1))

	// The browser leaves the site (to an error page: outbound.example never resolves),
	// so the event goes out with sendBeacon on pagehide.
	e.b.Click("#outbound")
	out := ofType(e.c.WaitDelivered(t, "the outbound click", count("outbound", 1)), "outbound")[0]
	if out.Link != "https://outbound.example/x" || out.URL != e.site.URL+"/" {
		t.Errorf("outbound: want link https://outbound.example/x on %s/, got %+v", e.site.URL, out)
	}
}

func TestDownloadClick(t *testing.T) {
	for _, tc := range []struct {
		name   string
		middle bool
	}{
		{"left click", false},
		{"middle click", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, DefaultSettings())
			e.b.Navigate(e.site.URL + "/")
			e.c.WaitDelivered(t, "the page view", count("pageview", 1))
			if tc.middle {
				e.b.MiddleClick("#guide")
			} else {
				e.b.Click("#guide")
			}
			evs := e.c.WaitDelivered(t, "the download", count("download", 1))
			if d := ofType(evs, "download"); len(d) != 1 || d[0].Link != e.site.URL+"/files/guide.pdf" {
				t.Errorf("want one download of %s/files/guide.pdf, got:\n%s", e.site.URL, Describe(evs))
			}
			if o := ofType(evs, "outbound"); len(o) != 0 {
				t.Errorf("a same-site download counted as outbound:\n%s", Describe(o))
			}
		})
	}
}

func TestFormSubmit(t *testing.T) {
	const (
		password = "hunter2-Secret"
		card     = "4111111111111111"
		hidden   = "hidden-token-5f2a" // the value in the page
	)
	long := strings.Repeat("a", 300)
	for _, tc := range []struct {
		name       string
		formFields []string
		company    string
		want       map[string]string
	}{
		// Allowlisting never exposes password, hidden or card fields.
		{"company allowed", []string{"company", "password", "token", "card_number"}, "Acme", map[string]string{"company": "Acme"}},
		{"no field allowed", nil, "Acme", nil},
		{"long value cut", []string{"company"}, long, map[string]string{"company": long[:256]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := DefaultSettings()
			s.FormFields = tc.formFields
			e := setup(t, s)
			e.b.Navigate(e.site.URL + "/")
			e.c.WaitDelivered(t, "the page view", count("pageview", 1))

			e.b.Fill("#email", "ann@acme.example")
			e.b.Fill("#company", tc.company)
			e.b.Fill("#password", password)
			e.b.Fill("#card", card)
			e.b.Click("#submit")
			e.b.WaitPage("thanks")
			evs := e.c.WaitDelivered(t, "the form and the thanks page view", func(evs []Event) bool {
				return count("form", 1)(evs) && count("pageview", 2)(evs)
			})

			f := ofType(evs, "form")[0]
			want := Event{
				Form:   &Form{ID: "demo", Name: "demo-request", Action: "/thanks"},
				Email:  "ann@acme.example",
				Fields: tc.want,
			}
			got := Event{Form: f.Form, Email: f.Email, Fields: f.Fields}
			expectEqual(t, "form event", want, got)
			for _, r := range e.c.Requests() {
				for _, secret := range []string{password, card, hidden} {
					if strings.Contains(string(r.Body), secret) {
						t.Errorf("a collect request carries %q:\n%s", secret, r.Body)
					}
				}
			}
		})
	}
}

func TestQueueStubBeforeLoad(t *testing.T) {
	e := setup(t, DefaultSettings())
	// An identify without an email is dropped, as srg would reject its whole batch;
	// props keep only flat values, strings cut to 512 characters.
	e.site.SetInline(`sona('identify', 'not an email', {plan: 'pro'});
sona('identify', 'ann@acme.example', {plan: 'pro', nested: {x: 1}, long: 'x'.repeat(600)});
sona('track', 'signup', {plan: 'pro', seats: 3, trial: true});`)
	e.b.Navigate(e.site.URL + "/")
	evs := e.c.WaitDelivered(t, "page view, identify and track", tracked("signup"))

	type ev struct {
		Type, Email, Name string
		SS                bool
		Props             map[string]any
	}
	var got []ev
	for _, x := range evs {
		got = append(got, ev{x.Type, x.Email, x.Name, x.SS, x.Props})
		if x.SID != evs[0].SID || x.VID != evs[0].VID {
			t.Errorf("%s has another visitor or session", x.Type)
		}
	}
	want := []ev{
		{Type: "pageview", SS: true},
		{Type: "identify", Email: "ann@acme.example", Props: map[string]any{"plan": "pro", "long": strings.Repeat("x", 512)}},
		{Type: "track", Name: "signup", Props: map[string]any{"plan": "pro", "seats": 3.0, "trial": true}},
	}
	expectEqual(t, "events", want, got)
	if e.b.EvalString(`typeof sona.q`) != "undefined" {
		t.Error("window.sona is still the queue stub")
	}
}

func TestConsentRequired(t *testing.T) {
	s := DefaultSettings()
	s.ConsentRequired = true

	t.Run("granted", func(t *testing.T) {
		e := setup(t, s)
		e.b.Navigate(e.site.URL + "/")
		e.c.WaitConfigRequests(t, 1)
		expectSilence(t, e.c, 0)
		// Leaving the page must not send either.
		e.b.Click("#pricing")
		e.b.WaitPage("pricing")
		e.c.WaitConfigRequests(t, 2)
		expectSilence(t, e.c, 0)
		expectNoIdentity(t, e.b)

		e.b.Eval(`sona('consent', 'granted')`)
		pv := e.c.WaitDelivered(t, "the held page view", count("pageview", 1))[0]
		if pv.URL != e.site.URL+"/pricing" || !pv.SS {
			t.Errorf("want the held pricing page view starting a session, got %+v", pv)
		}
		if c := e.b.Cookie("sona_vid"); c == nil || c.Value != pv.VID {
			t.Errorf("after consent: want cookie sona_vid=%s, got %+v", pv.VID, c)
		}
		if got := e.b.LocalStorage()["sona_consent"]; got != "1" {
			t.Errorf("sona_consent = %q, want 1", got)
		}

		// The grant is remembered.
		e.b.Navigate(e.site.URL + "/")
		e.c.WaitDelivered(t, "the next page view", count("pageview", 2))
	})

	t.Run("denied", func(t *testing.T) {
		e := setup(t, s)
		e.b.Navigate(e.site.URL + "/")
		e.c.WaitConfigRequests(t, 1)
		e.b.Eval(`sona('consent', 'denied'); sona('track', 'while-denied')`)
		e.b.Eval(`sona('consent', 'granted'); sona('track', 'after-grant')`)
		evs := e.c.WaitDelivered(t, "the event after the grant", tracked("after-grant"))
		if len(evs) != 1 {
			t.Errorf("want only the event after the grant; the page view held before the denial or the event while denied was sent:\n%s", Describe(evs))
		}
	})
}

func TestDoNotTrack(t *testing.T) {
	for _, tc := range []struct {
		name     string
		honor    bool
		signal   func(*Browser)
		check    string // what the page must see
		wantSent bool
	}{
		{"dnt honoured", true, (*Browser).DoNotTrack, "navigator.doNotTrack", false},
		{"gpc honoured", true, (*Browser).GlobalPrivacyControl, "String(navigator.globalPrivacyControl)", false},
		{"dnt ignored without honor_dnt", false, (*Browser).DoNotTrack, "navigator.doNotTrack", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := DefaultSettings()
			s.HonorDNT = tc.honor
			e := setup(t, s)
			tc.signal(e.b)
			e.b.Navigate(e.site.URL + "/")
			if got := e.b.EvalString(tc.check); got != "1" && got != "true" {
				t.Fatalf("%s = %q: the signal is not set", tc.check, got)
			}
			if tc.wantSent {
				e.c.WaitDelivered(t, "the page view", count("pageview", 1))
				return
			}
			e.c.WaitConfigRequests(t, 1)
			e.b.Eval(`sona('track', 'ignored')`)
			expectSilence(t, e.c, 0)
			expectNoIdentity(t, e.b)
		})
	}
}

func TestOptOut(t *testing.T) {
	e := setup(t, DefaultSettings())
	e.b.Navigate(e.site.URL + "/")
	first := e.c.WaitDelivered(t, "the page view", count("pageview", 1))[0]

	e.b.Eval(`sona('optout')`)
	if c := e.b.Cookie("sona_vid"); c != nil {
		t.Errorf("opted out, the cookie is still there: %+v", c)
	}
	ls := e.b.LocalStorage()
	if ls["sona_optout"] != "1" || ls["sona_vid"] != "" || ls["sona_sid"] != "" {
		t.Errorf("opted out, localStorage is %v", ls)
	}
	n := len(e.c.Requests())
	e.b.Eval(`sona('track', 'while-out')`)
	e.b.Click("#pricing")
	e.b.WaitPage("pricing")
	e.b.WaitLoaded()
	e.b.Eval(`sona('identify', 'ann@acme.example')`)
	expectSilence(t, e.c, n)
	if c := e.b.Cookie("sona_vid"); c != nil {
		t.Errorf("opted out, a new page set the cookie: %+v", c)
	}

	e.b.Eval(`sona('optin'); sona('track', 'back')`)
	evs := e.c.WaitDelivered(t, "the event after optin", tracked("back"))
	back := evs[len(evs)-1]
	if len(evs) != n+1 || back.VID == first.VID {
		t.Errorf("after optin: want only the new event, from a new visitor id; got:\n%s", Describe(evs))
	}
}

func TestRetry(t *testing.T) {
	t.Run("503 then delivered once", func(t *testing.T) {
		e := setup(t, DefaultSettings())
		e.c.FailNext(2)
		e.b.Navigate(e.site.URL + "/")
		e.b.Eval(`sona('track', 'a'); sona('track', 'b')`)
		e.c.WaitDelivered(t, "the events after two 503s", func(evs []Event) bool {
			return count("pageview", 1)(evs) && tracked("a")(evs) && tracked("b")(evs)
		})
		// A later event goes out after any duplicate of the earlier ones would have.
		e.b.Eval(`sona('track', 'z')`)
		e.c.WaitDelivered(t, "the last event", tracked("z"))
		failed := 0
		for _, r := range e.c.Requests() {
			if r.Status == http.StatusServiceUnavailable {
				failed++
			}
		}
		if failed != 2 {
			t.Errorf("want 2 answers 503, got %d", failed)
		}
		expectOnce(t, e.c)
	})

	t.Run("kept in storage across pages", func(t *testing.T) {
		e := setup(t, DefaultSettings())
		e.c.SetFailing(true)
		e.b.Navigate(e.site.URL + "/")
		e.c.WaitRequests(t, 1)
		// Leave while the batch waits for its retry: it must survive in sona_q.
		e.b.Click("#pricing")
		e.b.WaitPage("pricing")
		e.b.WaitLoaded()
		if q := e.b.LocalStorage()["sona_q"]; !strings.Contains(q, "pageview") {
			t.Errorf("sona_q = %q, want the unsent page views", q)
		}
		e.c.SetFailing(false)
		e.c.WaitDelivered(t, "both page views", count("pageview", 2))
		e.b.Eval(`sona('track', 'z')`)
		evs := e.c.WaitDelivered(t, "the last event", tracked("z"))
		if pvs := ofType(evs, "pageview"); pvs[0].URL != e.site.URL+"/" || pvs[1].URL != e.site.URL+"/pricing" {
			t.Errorf("want the home then the pricing page view, got:\n%s", Describe(pvs))
		}
		expectOnce(t, e.c)
	})
}

func TestManyEvents(t *testing.T) {
	e := setup(t, DefaultSettings())
	e.b.Navigate(e.site.URL + "/")
	e.b.Eval(`for (let i = 0; i < 120; i++) sona('track', 'burst', {i})`)
	evs := e.c.WaitDelivered(t, "121 events", func(evs []Event) bool { return len(evs) >= 121 })
	// The collector rejects batches over 50 events; order is kept.
	for i, x := range ofType(evs, "track") {
		if x.Props["i"] != float64(i) {
			t.Fatalf("track event %d carries i=%v", i, x.Props["i"])
		}
	}
	if n := len(e.c.Requests()); n < 3 {
		t.Errorf("121 events in %d requests, want batches of at most 50", n)
	}
	expectOnce(t, e.c)
}

func TestUnknownSite(t *testing.T) {
	c := NewFakeCollector(t)
	site := NewSite(t, c.URL, "no-such-site")
	b := NewBrowser(t)
	b.Navigate(site.URL + "/")
	c.WaitConfigRequests(t, 1)
	b.Eval(`sona('track', 'ignored')`)
	expectSilence(t, c, 0)
	expectNoIdentity(t, b)
}
