package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/hubspot/hubspotfake"
)

// fastSettings point the connector at the fake without client-side throttling, so
// tests run at the fake's speed.
func fastSettings(f *hubspotfake.Server) map[string]any {
	return map[string]any{"base_url": f.URL, "token_url": f.TokenURL, "portal_id": f.PortalID(),
		"touchpoint_object": "p_srg_touchpoints", "requests_per_second": 10000, "search_requests_per_second": 10000}
}

func privateApp() map[string]any { return map[string]any{"access_token": "pat-na1-fake"} }

func oauthApp() map[string]any {
	return map[string]any{"client_id": "fake-client-id", "client_secret": "fake-client-secret", "refresh_token": "fake-refresh-token"}
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// sleeps records the waits the client asked for instead of waiting.
type sleeps struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ds = append(s.ds, d)
	return nil
}

func (s *sleeps) longest() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Max(append([]time.Duration{0}, s.ds...))
}

// newConnector builds a connector against the fake whose retries do not wait.
func newConnector(t testing.TB, settings, creds map[string]any) (*Connector, *sleeps) {
	t.Helper()
	c, err := New(connector.Config{Settings: mustJSON(t, settings), Credentials: mustJSON(t, creds)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sl := &sleeps{}
	c.api.SetSleep(sl.sleep)
	c.searcher.SetSleep(sl.sleep)
	return c, sl
}

var errCrash = errors.New("simulated crash")

// memMirror is the mirror in memory: what committed pages left, by record type and
// id, with the cursors beside them.
type memMirror struct {
	cursors  map[string]string
	live     map[connector.Object]map[string]bool
	merged   map[connector.Object]map[string]string
	links    map[connector.Object]map[string]bool
	contacts map[string]connector.Contact
	deals    map[string]connector.Opportunity
	roles    map[string]connector.ContactRole
	stages   map[string]connector.Stage
	commits  int
}

func newMemMirror() *memMirror {
	return &memMirror{cursors: map[string]string{}, live: map[connector.Object]map[string]bool{},
		merged: map[connector.Object]map[string]string{}, links: map[connector.Object]map[string]bool{},
		contacts: map[string]connector.Contact{}, deals: map[string]connector.Opportunity{},
		roles: map[string]connector.ContactRole{}, stages: map[string]connector.Stage{}}
}

func (m *memMirror) set(obj connector.Object, id string, live bool) {
	if m.live[obj] == nil {
		m.live[obj] = map[string]bool{}
	}
	m.live[obj][id] = live
}

func (m *memMirror) apply(p connector.Page) {
	for _, a := range p.Accounts {
		m.set(connector.ObjAccount, a.ExternalID, true)
	}
	for _, c := range p.Contacts {
		m.set(connector.ObjContact, c.ExternalID, true)
		m.contacts[c.ExternalID] = c
	}
	for _, o := range p.Opportunities {
		m.set(connector.ObjOpportunity, o.ExternalID, true)
		m.deals[o.ExternalID] = o
	}
	for _, ca := range p.ContactAccounts {
		m.link(connector.ObjContactAccount, ca.ContactExternalID+":"+ca.AccountExternalID)
	}
	for _, r := range p.ContactRoles {
		m.link(connector.ObjContactRole, r.OpportunityExternalID+":"+r.ContactExternalID)
		m.roles[r.OpportunityExternalID+":"+r.ContactExternalID] = r
	}
	for _, s := range p.Stages {
		m.stages[s.Pipeline+":"+s.Stage] = s
	}
	for _, d := range p.Deletions {
		m.set(d.Object, d.ExternalID, false)
		if d.MergedInto != "" {
			if m.merged[d.Object] == nil {
				m.merged[d.Object] = map[string]string{}
			}
			m.merged[d.Object][d.ExternalID] = d.MergedInto
		}
	}
}

func (m *memMirror) link(obj connector.Object, key string) {
	if m.links[obj] == nil {
		m.links[obj] = map[string]bool{}
	}
	m.links[obj][key] = true
}

// ids are the sorted ids of live (or deleted) records of a type.
func (m *memMirror) ids(obj connector.Object, live bool) []string {
	var out []string
	for id, l := range m.live[obj] {
		if l == live {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// linkIDs are the associations between live records: like the real mirror, the
// memory one keeps links of records since deleted or merged away.
func (m *memMirror) linkIDs(obj connector.Object) []string {
	from, to := connector.ObjContact, connector.ObjAccount
	if obj == connector.ObjContactRole {
		from, to = connector.ObjOpportunity, connector.ObjContact
	}
	var out []string
	for k := range m.links[obj] {
		a, b, _ := strings.Cut(k, ":")
		if m.live[from][a] && m.live[to][b] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// memRun is a connector.Run over a memMirror; with left set, the commit after that
// many fails as a crash would, leaving nothing of its page.
type memRun struct {
	m    *memMirror
	left int
}

func (r *memRun) Cursor(stream string) string { return r.m.cursors[stream] }

func (r *memRun) Log() *slog.Logger { return slog.New(slog.DiscardHandler) }

func (r *memRun) Commit(_ context.Context, stream, cursor string, page connector.Page) error {
	if r.left == 0 {
		return errCrash
	}
	r.left--
	r.m.apply(page)
	r.m.cursors[stream] = cursor
	r.m.commits++
	return nil
}

func pull(t testing.TB, c *Connector, m *memMirror) {
	t.Helper()
	if err := c.Pull(context.Background(), &memRun{m: m, left: -1}); err != nil {
		t.Fatalf("Pull: %v", err)
	}
}

// fakeLinks are the fake's live associations as "from:to" keys.
func fakeLinks(f *hubspotfake.Server, from, to string) []string {
	var out []string
	for id, tos := range f.Associations(from, to) {
		for _, t := range tos {
			out = append(out, id+":"+t)
		}
	}
	slices.Sort(out)
	return out
}

func fakeMerged(f *hubspotfake.Server, objType string) map[string]string {
	out := f.Merged(objType)
	if len(out) == 0 {
		return nil
	}
	return out
}

// checkMirror compares the mirror with the fake: the same live records, every
// archived one deleted, every merged one deleted into its survivor, and the same
// associations.
func checkMirror(t testing.TB, f *hubspotfake.Server, m *memMirror) {
	t.Helper()
	for _, tc := range []struct {
		typ string
		obj connector.Object
	}{{hubspotfake.Contacts, connector.ObjContact}, {hubspotfake.Companies, connector.ObjAccount}, {hubspotfake.Deals, connector.ObjOpportunity}} {
		if diff := cmp.Diff(f.LiveIDs(tc.typ), m.ids(tc.obj, true)); diff != "" {
			t.Errorf("live %s (-fake +mirror):\n%s", tc.typ, diff)
		}
		deleted := f.ArchivedIDs(tc.typ)
		for id := range f.Merged(tc.typ) {
			deleted = append(deleted, id)
		}
		slices.Sort(deleted)
		if diff := cmp.Diff(deleted, m.ids(tc.obj, false)); diff != "" {
			t.Errorf("deleted %s (-fake +mirror):\n%s", tc.typ, diff)
		}
		merged := m.merged[tc.obj]
		if len(merged) == 0 {
			merged = nil
		}
		if diff := cmp.Diff(fakeMerged(f, tc.typ), merged); diff != "" {
			t.Errorf("merged %s (-fake +mirror):\n%s", tc.typ, diff)
		}
	}
	if diff := cmp.Diff(fakeLinks(f, hubspotfake.Contacts, hubspotfake.Companies), m.linkIDs(connector.ObjContactAccount)); diff != "" {
		t.Errorf("contact companies (-fake +mirror):\n%s", diff)
	}
	if diff := cmp.Diff(fakeLinks(f, hubspotfake.Deals, hubspotfake.Contacts), m.linkIDs(connector.ObjContactRole)); diff != "" {
		t.Errorf("deal contacts (-fake +mirror):\n%s", diff)
	}
}
