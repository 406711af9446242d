package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/salesforce/salesforcefake"
)

// errCrash is what memRun.Commit returns once its budget is spent.
var errCrash = errors.New("simulated crash")

// memRun is an in-memory connector.Run: a tiny mirror keyed like the real one.
type memRun struct {
	mu      sync.Mutex
	cursors map[string]string
	// budget is how many commits succeed before a crash; negative means no crash.
	budget  int
	commits []commit
	// state[object][external id] = deleted
	state    map[connector.Object]map[string]bool
	contacts map[string]connector.Contact
	opps     map[string]connector.Opportunity
	accounts map[string]connector.Account
	stages   []connector.Stage
	merged   map[string]string
}

type commit struct {
	stream, cursor string
	records        int
}

func newMemRun() *memRun {
	return &memRun{
		cursors: map[string]string{}, budget: -1, state: map[connector.Object]map[string]bool{},
		contacts: map[string]connector.Contact{}, opps: map[string]connector.Opportunity{}, accounts: map[string]connector.Account{},
		merged: map[string]string{},
	}
}

func (m *memRun) Cursor(stream string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cursors[stream]
}

func (m *memRun) Log() *slog.Logger { return slog.New(slog.DiscardHandler) }

func (m *memRun) set(obj connector.Object, id string, deleted bool) {
	if m.state[obj] == nil {
		m.state[obj] = map[string]bool{}
	}
	m.state[obj][id] = deleted
}

func (m *memRun) Commit(_ context.Context, stream, cursor string, p connector.Page) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.budget == 0 {
		return errCrash
	}
	if m.budget > 0 {
		m.budget--
	}
	m.cursors[stream] = cursor
	m.commits = append(m.commits, commit{stream, cursor, p.Len()})
	for _, a := range p.Accounts {
		m.set(connector.ObjAccount, a.ExternalID, false)
		m.accounts[a.ExternalID] = a
	}
	for _, c := range p.Contacts {
		obj := connector.ObjContact
		if c.Lead {
			obj = connector.ObjLead
		}
		m.set(obj, c.ExternalID, false)
		m.contacts[c.ExternalID] = c
	}
	for _, o := range p.Opportunities {
		m.set(connector.ObjOpportunity, o.ExternalID, false)
		m.opps[o.ExternalID] = o
	}
	for _, r := range p.ContactRoles {
		m.set(connector.ObjContactRole, r.OpportunityExternalID+":"+r.ContactExternalID, r.Deleted)
	}
	for _, c := range p.Campaigns {
		m.set(connector.ObjCampaign, c.ExternalID, false)
	}
	for _, c := range p.CampaignMembers {
		m.set(connector.ObjCampaignMember, c.ExternalID, false)
	}
	if len(p.Stages) > 0 {
		m.stages = p.Stages
	}
	for _, d := range p.Deletions {
		m.set(d.Object, d.ExternalID, true)
		if d.MergedInto != "" {
			m.merged[d.ExternalID] = d.MergedInto
		}
	}
	return nil
}

// ids lists the mirror's ids of obj that are live, or deleted.
func (m *memRun) ids(obj connector.Object, deleted bool) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for id, d := range m.state[obj] {
		if d == deleted {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// objects pairs each mirror object with the fake's sObject.
var objects = []struct {
	obj connector.Object
	sf  string
}{
	{connector.ObjAccount, salesforcefake.Account},
	{connector.ObjContact, salesforcefake.Contact},
	{connector.ObjLead, salesforcefake.Lead},
	{connector.ObjOpportunity, salesforcefake.Opportunity},
	{connector.ObjCampaign, salesforcefake.Campaign},
	{connector.ObjCampaignMember, salesforcefake.CampaignMember},
}

// rolePairs lists the fake's contact roles as "opportunity:contact", live or
// deleted.
func rolePairs(fake *salesforcefake.Server, deleted bool) []string {
	var out []string
	fake.Records(salesforcefake.OpportunityContactRole, func(r map[string]string) {
		if (r["IsDeleted"] == "true") == deleted {
			out = append(out, r["OpportunityId"]+":"+r["ContactId"])
		}
	})
	slices.Sort(out)
	return slices.Compact(out)
}

// checkMirror fails unless the mirror's live and deleted records of every object
// are the fake's.
func checkMirror(t *testing.T, fake *salesforcefake.Server, ids func(connector.Object, bool) []string) {
	t.Helper()
	for _, o := range objects {
		for _, deleted := range []bool{false, true} {
			if diff := cmp.Diff(fake.IDs(o.sf, deleted), ids(o.obj, deleted), cmpEmpty); diff != "" {
				t.Errorf("%s (deleted=%t) mirror differs from the fake (-fake +mirror):\n%s", o.obj, deleted, diff)
			}
		}
	}
	// Salesforce moves a merged contact's roles to the survivor; the mirror keys roles
	// by (opportunity, contact) and cannot know the old pair, so a loser's roles stay
	// live beside its deletion, which names the survivor: leave them out.
	gone := map[string]bool{}
	for _, id := range ids(connector.ObjContact, true) {
		gone[id] = true
	}
	var roles []string
	for _, pair := range ids(connector.ObjContactRole, false) {
		if _, contact, _ := strings.Cut(pair, ":"); !gone[contact] {
			roles = append(roles, pair)
		}
	}
	if diff := cmp.Diff(rolePairs(fake, false), roles, cmpEmpty); diff != "" {
		t.Errorf("live contact roles differ (-fake +mirror):\n%s", diff)
	}
}

// cmpEmpty treats nil and empty slices alike.
var cmpEmpty = cmp.Transformer("empty", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})

// newConnector builds a connector against fake, with retries and pacing that do
// not wait; waits collects what it would have slept.
func newConnector(t *testing.T, fake *salesforcefake.Server, override map[string]any) (*Connector, *waits) {
	t.Helper()
	set := map[string]any{}
	if err := json.Unmarshal(fake.Settings(), &set); err != nil {
		t.Fatal(err)
	}
	for k, v := range override {
		set[k] = v
	}
	raw, _ := json.Marshal(set)
	c, err := New(connector.Config{Credentials: fake.Credentials(), Settings: raw, HTTP: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	w := &waits{}
	c.sleep = w.sleep
	return c, w
}

type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.d)
}
