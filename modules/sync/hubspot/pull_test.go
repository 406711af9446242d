package hubspot

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/hubspot/hubspotfake"
)

func TestPullFull(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		contacts, companies, deals   int
		opt                          hubspotfake.Options
		wantSearchPagesAtLeast       int
		wantContactAccountsAtLeast   int
		wantDealsWithoutCompanyLinks int
	}{
		{name: "empty portal"},
		{name: "one page each", contacts: 40, companies: 8, deals: 20, wantSearchPagesAtLeast: 3, wantContactAccountsAtLeast: 40},
		{name: "several pages", contacts: 450, companies: 120, deals: 230, wantSearchPagesAtLeast: 10, wantContactAccountsAtLeast: 450},
		{name: "stage metadata instead of closed flags", contacts: 30, companies: 5, deals: 60,
			opt: hubspotfake.Options{NoClosedFlags: true}, wantSearchPagesAtLeast: 3},
		{name: "associations paged per record", contacts: 30, companies: 2, deals: 10,
			opt: hubspotfake.Options{AssociationPageSize: 3}, wantSearchPagesAtLeast: 3},
		{name: "contacts without companies", contacts: 120, wantSearchPagesAtLeast: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := hubspotfake.New(tc.opt)
			defer f.Close()
			f.Seed(tc.contacts, tc.companies, tc.deals)
			c, _ := newConnector(t, fastSettings(f), privateApp())
			m := newMemMirror()
			pull(t, c, m)
			checkMirror(t, f, m)
			if n := f.Requests("/search"); n < tc.wantSearchPagesAtLeast {
				t.Errorf("%d search requests, want at least %d", n, tc.wantSearchPagesAtLeast)
			}
			if n := len(m.linkIDs(connector.ObjContactAccount)); n < tc.wantContactAccountsAtLeast {
				t.Errorf("%d contact companies, want at least %d", n, tc.wantContactAccountsAtLeast)
			}
			checkRecords(t, f, m)
		})
	}
}

// checkRecords compares every mirrored field with the fake's properties.
func checkRecords(t *testing.T, f *hubspotfake.Server, m *memMirror) {
	t.Helper()
	stages := map[string]hubspotfake.Stage{}
	for _, p := range f.Pipelines() {
		for _, s := range p.Stages {
			stages[p.ID+":"+s.ID] = s
		}
	}
	if len(m.stages) != len(stages) {
		t.Errorf("%d stages mirrored, fake has %d", len(m.stages), len(stages))
	}
	for key, s := range m.stages {
		want := stages[key]
		if s.IsClosed != want.IsClosed || s.IsWon != (want.IsClosed && want.Probability == "1.0") || s.Probability != want.Probability || s.StageName != want.Label {
			t.Errorf("stage %s = %+v, fake has %+v", key, s, want)
		}
	}
	for id, got := range m.contacts {
		if !m.live[connector.ObjContact][id] {
			continue
		}
		p := f.Properties(hubspotfake.Contacts, id)
		created, _ := time.Parse(time.RFC3339Nano, p["createdate"])
		want := connector.Contact{ExternalID: id, Email: p["email"], FirstName: p["firstname"], LastName: p["lastname"],
			Company: p["company"], AccountExternalID: p["associatedcompanyid"], CreatedAt: created.UTC(), ModifiedAt: got.ModifiedAt}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("contact %s (-fake +mirror):\n%s", id, diff)
		}
	}
	for id, got := range m.deals {
		if !m.live[connector.ObjOpportunity][id] {
			continue
		}
		p := f.Properties(hubspotfake.Deals, id)
		st := stages[p["pipeline"]+":"+p["dealstage"]]
		closeDate, _ := time.Parse(time.RFC3339Nano, p["closedate"])
		created, _ := time.Parse(time.RFC3339Nano, p["createdate"])
		companies := f.Associations(hubspotfake.Deals, hubspotfake.Companies)[id]
		account := ""
		if len(companies) > 0 {
			account = companies[0]
		}
		want := connector.Opportunity{ExternalID: id, Name: p["dealname"], AccountExternalID: account, Amount: p["amount"],
			Currency: p["deal_currency_code"], Pipeline: p["pipeline"], Stage: p["dealstage"],
			IsWon: st.IsClosed && st.Probability == "1.0", IsClosed: st.IsClosed, CreatedAt: created.UTC(),
			CloseDate: closeDate.UTC(), ModifiedAt: got.ModifiedAt}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("deal %s (-fake +mirror):\n%s", id, diff)
		}
	}
}

func TestPullIncremental(t *testing.T) {
	f := hubspotfake.New(hubspotfake.Options{})
	defer f.Close()
	f.Seed(300, 40, 120)
	c, _ := newConnector(t, fastSettings(f), privateApp())
	m := newMemMirror()
	pull(t, c, m)
	checkMirror(t, f, m)
	fullSearches := f.Requests("/search")

	contacts, companies, deals := f.LiveIDs(hubspotfake.Contacts), f.LiveIDs(hubspotfake.Companies), f.LiveIDs(hubspotfake.Deals)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	newContact := f.Create(hubspotfake.Contacts, map[string]string{"email": "new@example.com", "firstname": "New"})
	must(f.Associate(hubspotfake.Contacts, newContact, hubspotfake.Companies, companies[3], true, ""))
	newDeal := f.Create(hubspotfake.Deals, map[string]string{"dealname": "New deal", "pipeline": "default", "dealstage": "closedwon", "amount": "5000"})
	must(f.Associate(hubspotfake.Deals, newDeal, hubspotfake.Contacts, newContact, false, "Champion"))
	must(f.Update(hubspotfake.Contacts, contacts[5], map[string]string{"email": "changed@example.com", "lastname": "Changed"}))
	must(f.Update(hubspotfake.Deals, deals[7], map[string]string{"pipeline": "default", "dealstage": "closedlost"}))
	must(f.Archive(hubspotfake.Contacts, contacts[10]))
	must(f.Archive(hubspotfake.Companies, companies[20]))
	must(f.Archive(hubspotfake.Deals, deals[30]))
	must(f.Merge(hubspotfake.Contacts, contacts[40], contacts[41]))
	must(f.Merge(hubspotfake.Companies, companies[1], companies[2]))
	must(f.Merge(hubspotfake.Deals, deals[50], deals[51]))
	pull(t, c, m)
	checkMirror(t, f, m)
	checkRecords(t, f, m)

	if got := m.contacts[contacts[5]]; got.Email != "changed@example.com" || got.LastName != "Changed" {
		t.Errorf("updated contact = %+v", got)
	}
	if got := m.deals[deals[7]]; got.Stage != "closedlost" || !got.IsClosed || got.IsWon {
		t.Errorf("updated deal = %+v", got)
	}
	if got := m.roles[newDeal+":"+newContact]; got.Role != "Champion" {
		t.Errorf("new deal's contact role = %+v, want Champion", got)
	}
	if got := m.deals[newDeal]; !got.IsWon || got.Amount != "5000" {
		t.Errorf("new deal = %+v", got)
	}
	// The second run reads only what changed and the overlap window: a page per type.
	if n := f.Requests("/search") - fullSearches; n > 6 {
		t.Errorf("incremental run made %d search requests, want a handful", n)
	}

	// A run with nothing new changes nothing and moves no cursor backwards.
	before := m.cursors["contacts"]
	pull(t, c, m)
	checkMirror(t, f, m)
	if m.cursors["contacts"] < before {
		t.Errorf("contacts cursor went back from %s to %s", before, m.cursors["contacts"])
	}
}

func TestPullTimestampTies(t *testing.T) {
	// A clock that never moves gives every record the same timestamp, so search
	// must page through one millisecond by id.
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	f := hubspotfake.New(hubspotfake.Options{Now: func() time.Time { return at }})
	defer f.Close()
	for i := range 250 {
		f.Create(hubspotfake.Contacts, map[string]string{"email": strings.Repeat("x", i%5+1) + "@example.com"})
	}
	c, _ := newConnector(t, fastSettings(f), privateApp())
	m := newMemMirror()
	pull(t, c, m)
	checkMirror(t, f, m)
	if got, want := m.cursors["contacts"], stamp(at); got != want {
		t.Errorf("contacts cursor = %s, want %s", got, want)
	}
}

func TestPullPastSearchCap(t *testing.T) {
	t.Parallel()
	// Over 10,000 changed records: offset paging would hit HubSpot's 400; keyset
	// pages never ask past the first page.
	f := hubspotfake.New(hubspotfake.Options{})
	defer f.Close()
	f.Seed(10250, 0, 0)
	c, _ := newConnector(t, fastSettings(f), privateApp())
	m := newMemMirror()
	pull(t, c, m)
	if got, want := len(m.ids(connector.ObjContact, true)), 10250; got != want {
		t.Fatalf("%d contacts mirrored, want %d", got, want)
	}
	checkMirror(t, f, m)
}

func TestPullResumesAfterCrash(t *testing.T) {
	f := hubspotfake.New(hubspotfake.Options{})
	defer f.Close()
	f.Seed(260, 30, 140)
	c, _ := newConnector(t, fastSettings(f), privateApp())
	total := newMemMirror()
	pull(t, c, total)
	for _, crashAfter := range []int{0, 1, 2, 4, 6, total.commits - 1} {
		t.Run("", func(t *testing.T) {
			m := newMemMirror()
			err := c.Pull(t.Context(), &memRun{m: m, left: crashAfter})
			if err == nil || !strings.Contains(err.Error(), errCrash.Error()) {
				t.Fatalf("Pull with a crash after %d commits: %v", crashAfter, err)
			}
			if m.commits != crashAfter {
				t.Fatalf("%d commits before the crash, want %d", m.commits, crashAfter)
			}
			pull(t, c, m)
			checkMirror(t, f, m)
		})
	}
}
