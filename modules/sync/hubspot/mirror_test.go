package hubspot

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/hubspot/hubspotfake"
	"github.com/srgplatform/srg/modules/sync/synctest"
)

var objectTypes = []struct {
	typ string
	obj connector.Object
}{{hubspotfake.Contacts, connector.ObjContact}, {hubspotfake.Companies, connector.ObjAccount}, {hubspotfake.Deals, connector.ObjOpportunity}}

// checkDB compares the Postgres mirror with the fake: the same live records, every
// archived or merged one deleted (merged ones naming their survivor), the same
// associations between live records, and every stage.
func checkDB(t *testing.T, f *hubspotfake.Server, m *synctest.Mirror) {
	t.Helper()
	live := map[connector.Object]map[string]bool{}
	for _, ot := range objectTypes {
		ids := m.IDs(t, ot.obj, false)
		if diff := cmp.Diff(f.LiveIDs(ot.typ), ids); diff != "" {
			t.Errorf("live %s (-fake +mirror):\n%s", ot.typ, diff)
		}
		live[ot.obj] = map[string]bool{}
		for _, id := range ids {
			live[ot.obj][id] = true
		}
		merged := f.Merged(ot.typ)
		deleted := f.ArchivedIDs(ot.typ)
		for id := range merged {
			deleted = append(deleted, id)
		}
		slices.Sort(deleted)
		if diff := cmp.Diff(deleted, m.IDs(t, ot.obj, true)); diff != "" {
			t.Errorf("deleted %s (-fake +mirror):\n%s", ot.typ, diff)
		}
		for loser, survivor := range merged {
			if got := m.Row(t, ot.obj, loser)["merged_into"]; got != survivor {
				t.Errorf("%s %s merged into %v, want %s", ot.typ, loser, got, survivor)
			}
		}
	}
	between := func(obj, from, to connector.Object) []string {
		var out []string
		for _, k := range m.IDs(t, obj, false) {
			a, b, _ := strings.Cut(k, ":")
			if live[from][a] && live[to][b] {
				out = append(out, k)
			}
		}
		return out
	}
	if diff := cmp.Diff(fakeLinks(f, hubspotfake.Contacts, hubspotfake.Companies),
		between(connector.ObjContactAccount, connector.ObjContact, connector.ObjAccount)); diff != "" {
		t.Errorf("contact companies (-fake +mirror):\n%s", diff)
	}
	if diff := cmp.Diff(fakeLinks(f, hubspotfake.Deals, hubspotfake.Contacts),
		between(connector.ObjContactRole, connector.ObjOpportunity, connector.ObjContact)); diff != "" {
		t.Errorf("deal contacts (-fake +mirror):\n%s", diff)
	}
	var stages []string
	for _, p := range f.Pipelines() {
		for _, s := range p.Stages {
			stages = append(stages, p.ID+":"+s.ID)
		}
	}
	slices.Sort(stages)
	if diff := cmp.Diff(stages, m.IDs(t, connector.ObjStage, false)); diff != "" {
		t.Errorf("stages (-fake +mirror):\n%s", diff)
	}
}

// change makes one of each kind of change HubSpot sees, tagged so repeated calls
// make distinct records.
func change(t *testing.T, f *hubspotfake.Server, tag string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	contacts, companies, deals := f.LiveIDs(hubspotfake.Contacts), f.LiveIDs(hubspotfake.Companies), f.LiveIDs(hubspotfake.Deals)
	c := f.Create(hubspotfake.Contacts, map[string]string{"email": tag + "@example.com", "firstname": tag})
	must(f.Associate(hubspotfake.Contacts, c, hubspotfake.Companies, companies[1], true, ""))
	d := f.Create(hubspotfake.Deals, map[string]string{"dealname": "Deal " + tag, "amount": "1234.5", "pipeline": "default", "dealstage": "closedwon"})
	must(f.Associate(hubspotfake.Deals, d, hubspotfake.Contacts, c, false, "Champion"))
	must(f.Associate(hubspotfake.Deals, d, hubspotfake.Companies, companies[1], true, ""))
	must(f.Update(hubspotfake.Contacts, contacts[2], map[string]string{"lastname": "Changed " + tag}))
	must(f.Update(hubspotfake.Companies, companies[3], map[string]string{"name": "Renamed " + tag}))
	must(f.Archive(hubspotfake.Contacts, contacts[4]))
	must(f.Archive(hubspotfake.Deals, deals[5]))
	must(f.Archive(hubspotfake.Companies, companies[6]))
	must(f.Merge(hubspotfake.Contacts, contacts[7], contacts[8]))
	must(f.Merge(hubspotfake.Companies, companies[9], companies[10]))
	must(f.Merge(hubspotfake.Deals, deals[11], deals[12]))
}

func TestMirrorSync(t *testing.T) {
	t.Parallel()
	f := hubspotfake.New(hubspotfake.Options{})
	defer f.Close()
	f.Seed(400, 60, 250)
	c, _ := newConnector(t, fastSettings(f), oauthApp())
	m := synctest.New(t, connector.HubSpot)
	if err := m.Pull(t.Context(), c); err != nil {
		t.Fatalf("full sync: %v", err)
	}
	checkDB(t, f, m)
	rows := m.Count(t, "crm_contacts")

	change(t, f, "first")
	if err := m.Pull(t.Context(), c); err != nil {
		t.Fatalf("incremental sync: %v", err)
	}
	checkDB(t, f, m)
	if got, want := m.Count(t, "crm_contacts"), rows+1; got != want {
		t.Errorf("%d contact rows after one new contact, want %d", got, want)
	}
	deal := f.LiveIDs(hubspotfake.Deals)
	newest := deal[len(deal)-1]
	row := m.Row(t, connector.ObjOpportunity, newest)
	if amount, _ := strconv.ParseFloat(fmt.Sprint(row["amount"]), 64); amount != 1234.5 || row["is_won"] != true || row["is_closed"] != true || row["name"] != "Deal first" {
		t.Errorf("new deal row = %v", row)
	}

	// A run with nothing new leaves the mirror as it is.
	if err := m.Pull(t.Context(), c); err != nil {
		t.Fatalf("idle sync: %v", err)
	}
	checkDB(t, f, m)
}

func TestMirrorResumesAfterCrash(t *testing.T) {
	for _, tc := range []struct {
		name       string
		crashAfter int
		// changeBetween changes the portal between the crash and the resume.
		changeBetween bool
	}{
		// Commits: stages, companies ×2, contacts ×3, deals ×2, then the bin.
		{name: "before the first page", crashAfter: 0},
		{name: "inside companies", crashAfter: 2},
		{name: "inside contacts", crashAfter: 4, changeBetween: true},
		{name: "inside deals", crashAfter: 7, changeBetween: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := hubspotfake.New(hubspotfake.Options{})
			defer f.Close()
			f.Seed(250, 120, 150)
			c, _ := newConnector(t, fastSettings(f), privateApp())
			m := synctest.New(t, connector.HubSpot)
			err := m.PullFailingAfter(t.Context(), c, tc.crashAfter)
			if !errors.Is(err, synctest.ErrCrash) {
				t.Fatalf("sync with a crash after %d commits: %v", tc.crashAfter, err)
			}
			if tc.changeBetween {
				change(t, f, "between")
			}
			if err := m.Pull(t.Context(), c); err != nil {
				t.Fatalf("resumed sync: %v", err)
			}
			checkDB(t, f, m)
		})
	}
}
