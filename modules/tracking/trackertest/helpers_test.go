package trackertest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

const siteKey = "demo-site"

type env struct {
	c    *FakeCollector
	site *Site
	b    *Browser
}

func setup(t *testing.T, s Settings) env {
	t.Helper()
	c := NewFakeCollector(t)
	c.SetSite(siteKey, s)
	return env{c: c, site: NewSite(t, c.URL, siteKey), b: NewBrowser(t)}
}

// expectEqual compares with reflect.DeepEqual and shows both sides as JSON.
func expectEqual(t *testing.T, what string, want, got any) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		w, _ := json.Marshal(want)
		g, _ := json.Marshal(got)
		t.Errorf("%s:\nwant %s\n got %s", what, w, g)
	}
}

func ofType(evs []Event, typ string) []Event {
	var out []Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func count(typ string, n int) func([]Event) bool {
	return func(evs []Event) bool { return len(ofType(evs, typ)) >= n }
}

func tracked(name string) func([]Event) bool {
	return func(evs []Event) bool {
		for _, e := range ofType(evs, "track") {
			if e.Name == name {
				return true
			}
		}
		return false
	}
}

// expectSilence gives the tracker well over its 1 s batching delay and fails if any
// collect request arrived beyond the first n.
func expectSilence(t *testing.T, c *FakeCollector, n int) {
	t.Helper()
	time.Sleep(2500 * time.Millisecond)
	if rs := c.Requests(); len(rs) != n {
		t.Fatalf("want %d collect requests, got %d; the last:\n%s", n, len(rs), rs[len(rs)-1].Body)
	}
}

// expectNoIdentity fails if the tracker left a cookie or anything in storage.
func expectNoIdentity(t *testing.T, b *Browser) {
	t.Helper()
	if cs := b.Cookies(); len(cs) != 0 {
		t.Errorf("want no cookies, got %d, the first %s=%s", len(cs), cs[0].Name, cs[0].Value)
	}
	if ls := b.LocalStorage(); len(ls) != 0 {
		t.Errorf("want empty localStorage, got %v", ls)
	}
	if ss := b.SessionStorage(); len(ss) != 0 {
		t.Errorf("want empty sessionStorage, got %v", ss)
	}
}

// expectOnce fails unless every event of a 503 or 204 request was delivered exactly once.
func expectOnce(t *testing.T, c *FakeCollector) {
	t.Helper()
	delivered := map[string]int{}
	for _, e := range c.Delivered() {
		delivered[e.ID]++
	}
	for id, n := range delivered {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	for _, r := range c.Requests() {
		for _, e := range r.Batch.Events {
			if delivered[e.ID] == 0 {
				t.Errorf("event %s %s (answered %d) never delivered", e.Type, e.ID, r.Status)
			}
		}
	}
}
