package salesforce

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/salesforce/salesforcefake"
)

func TestPullFull(t *testing.T) {
	tests := []struct {
		name      string
		batch     int
		contacts  int
		accounts  int
		opps      int
		wantPages int // commits of the Contact stream
	}{
		// 250 records share each SystemModstamp, so small batches end inside a
		// group of equal stamps and must tie-break on Id.
		{name: "small batches inside equal stamps", batch: 7, contacts: 600, accounts: 40, opps: 90, wantPages: 86},
		{name: "one batch per object", batch: 2000, contacts: 600, accounts: 40, opps: 90, wantPages: 1},
		{name: "empty org", batch: 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := salesforcefake.New(salesforcefake.Options{BatchSize: tt.batch})
			defer fake.Close()
			fake.Seed(tt.contacts, tt.accounts, tt.opps)
			c, _ := newConnector(t, fake, nil)
			run := newMemRun()
			if err := c.Pull(context.Background(), run); err != nil {
				t.Fatal(err)
			}
			checkMirror(t, fake, run.ids)
			pages := 0
			for _, cm := range run.commits {
				if cm.records > tt.batch && cm.stream != stagesStream {
					t.Errorf("commit of %d records on %s, batch size %d", cm.records, cm.stream, tt.batch)
				}
				if cm.stream == "Contact" {
					pages++
				}
			}
			if pages != tt.wantPages {
				t.Errorf("Contact committed %d pages, want %d", pages, tt.wantPages)
			}
			if len(run.stages) != 6 {
				t.Errorf("stages = %d, want 6", len(run.stages))
			}
		})
	}
}

func TestPullRecordValues(t *testing.T) {
	fake := salesforcefake.New(salesforcefake.Options{})
	defer fake.Close()
	acc := fake.Create(salesforcefake.Account, map[string]string{"Name": "Acme", "Website": "https://WWW.Acme.com/about"})
	camp := fake.Create(salesforcefake.Campaign, map[string]string{"Name": "Spring", "Type": "Webinar", "Status": "Planned"})
	con := fake.Create(salesforcefake.Contact, map[string]string{"AccountId": acc, "Email": "ada@acme.com", "FirstName": "Ada", "LastName": "Lovelace"})
	opp := fake.Create(salesforcefake.Opportunity, map[string]string{
		"Name": "Big deal", "AccountId": acc, "Amount": "1500.50", "StageName": "Closed Won", "CloseDate": "2024-03-31", "CampaignId": camp,
	})
	lead := fake.Create(salesforcefake.Lead, map[string]string{"Email": "bob@beta.io", "FirstName": "Bob", "LastName": "B", "Company": "Beta"})
	newContact, newAccount, newOpp := fake.ConvertLead(lead, true)

	c, _ := newConnector(t, fake, nil)
	run := newMemRun()
	if err := c.Pull(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	if got, want := run.accounts[acc].Domain, "acme.com"; got != want {
		t.Errorf("domain = %q, want %q", got, want)
	}
	gotOpp := run.opps[opp]
	wantOpp := connector.Opportunity{
		ExternalID: opp, Name: "Big deal", AccountExternalID: acc, Amount: "1500.50", Pipeline: "default",
		Stage: "Closed Won", IsWon: true, IsClosed: true, CloseDate: time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC),
		CampaignExternalID: camp, CreatedAt: gotOpp.ModifiedAt, ModifiedAt: gotOpp.ModifiedAt,
	}
	if diff := cmp.Diff(wantOpp, gotOpp); diff != "" {
		t.Errorf("opportunity (-want +got):\n%s", diff)
	}
	if gotOpp.ModifiedAt.IsZero() {
		t.Error("opportunity has no ModifiedAt")
	}
	gotLead := run.contacts[lead]
	if !gotLead.Lead || !gotLead.Converted || gotLead.ConvertedContactID != newContact ||
		gotLead.ConvertedAccountID != newAccount || gotLead.ConvertedOpportunityID != newOpp || gotLead.Company != "Beta" {
		t.Errorf("converted lead = %+v, want it linked to %s, %s, %s", gotLead, newContact, newAccount, newOpp)
	}
	if got := run.contacts[newContact]; got.Lead || got.AccountExternalID != newAccount || got.Email != "bob@beta.io" {
		t.Errorf("contact from the lead = %+v", got)
	}
	if got := run.contacts[con]; got.Email != "ada@acme.com" || got.CreatedAt.IsZero() {
		t.Errorf("contact = %+v", got)
	}
	wantStage := connector.Stage{Pipeline: "default", PipelineName: "Opportunities", Stage: "Negotiation", StageName: "Negotiation", Position: 4, Probability: "0.8"}
	if diff := cmp.Diff(wantStage, run.stages[3]); diff != "" {
		t.Errorf("stage (-want +got):\n%s", diff)
	}
}

func TestPullIncremental(t *testing.T) {
	fake := salesforcefake.New(salesforcefake.Options{BatchSize: 50})
	defer fake.Close()
	fake.Seed(300, 30, 60)
	c, _ := newConnector(t, fake, nil)
	run := newMemRun()
	ctx := context.Background()
	if err := c.Pull(ctx, run); err != nil {
		t.Fatal(err)
	}
	contacts, accounts := fake.IDs(salesforcefake.Contact, false), fake.IDs(salesforcefake.Account, false)
	opps, leads := fake.IDs(salesforcefake.Opportunity, false), fake.IDs(salesforcefake.Lead, false)

	// Changes of every kind between the two syncs.
	added := fake.Create(salesforcefake.Contact, map[string]string{"Email": "new@example.com", "LastName": "New"})
	fake.Update(salesforcefake.Contact, contacts[3], map[string]string{"Email": "changed@example.com"})
	fake.Delete(salesforcefake.Opportunity, opps[0])
	fake.Merge(salesforcefake.Contact, contacts[10], contacts[11], contacts[12])
	fake.Merge(salesforcefake.Account, accounts[0], accounts[1])
	fake.Delete(salesforcefake.Lead, leads[0])
	convContact, _, _ := fake.ConvertLead(leads[1], false)
	fake.Update(salesforcefake.Opportunity, opps[5], map[string]string{"StageName": "Closed Won"})

	before := len(run.commits)
	queriesBefore := len(fake.Queries())
	if err := c.Pull(ctx, run); err != nil {
		t.Fatal(err)
	}
	checkMirror(t, fake, run.ids)
	for _, q := range fake.Queries()[queriesBefore:] {
		if strings.Contains(q, "FROM Contact") && !strings.Contains(q, "WHERE (SystemModstamp > ") {
			t.Errorf("incremental query without the cursor: %s", q)
		}
	}
	read := 0
	for _, cm := range run.commits[before:] {
		if cm.stream != stagesStream {
			read += cm.records
		}
	}
	// Only changed records come back: nothing near the 900 seeded ones.
	if read == 0 || read > 60 {
		t.Errorf("the incremental sync read %d records", read)
	}
	if got := run.contacts[contacts[3]].Email; got != "changed@example.com" {
		t.Errorf("updated email = %q", got)
	}
	if run.contacts[added].LastName != "New" {
		t.Errorf("created contact missing: %+v", run.contacts[added])
	}
	for _, loser := range []string{contacts[11], contacts[12]} {
		if run.merged[loser] != contacts[10] {
			t.Errorf("contact %s merged into %q, want %s", loser, run.merged[loser], contacts[10])
		}
	}
	if run.merged[accounts[1]] != accounts[0] {
		t.Errorf("account merged into %q, want %s", run.merged[accounts[1]], accounts[0])
	}
	if got := run.contacts[leads[1]]; !got.Converted || got.ConvertedContactID != convContact {
		t.Errorf("converted lead = %+v", got)
	}
	if got := run.opps[opps[5]]; !got.IsWon || !got.IsClosed {
		t.Errorf("won opportunity = %+v", got)
	}

	// A third sync with no change reads nothing and moves no cursor.
	cursors := map[string]string{}
	for k, v := range run.cursors {
		cursors[k] = v
	}
	before = len(run.commits)
	if err := c.Pull(ctx, run); err != nil {
		t.Fatal(err)
	}
	for _, cm := range run.commits[before:] {
		if cm.stream != stagesStream {
			t.Errorf("unchanged org committed %d records on %s", cm.records, cm.stream)
		}
	}
	delete(cursors, stagesStream)
	delete(run.cursors, stagesStream)
	if diff := cmp.Diff(cursors, run.cursors); diff != "" {
		t.Errorf("cursors moved without changes (-before +after):\n%s", diff)
	}
}

func TestPullMultiCurrency(t *testing.T) {
	for _, multi := range []bool{false, true} {
		t.Run(map[bool]string{false: "single", true: "multi"}[multi], func(t *testing.T) {
			fake := salesforcefake.New(salesforcefake.Options{MultiCurrency: multi})
			defer fake.Close()
			fake.Seed(10, 2, 4)
			c, _ := newConnector(t, fake, nil)
			run := newMemRun()
			if err := c.Pull(context.Background(), run); err != nil {
				t.Fatal(err)
			}
			for _, q := range fake.Queries() {
				if strings.Contains(q, "FROM Opportunity ") && strings.Contains(q, "CurrencyIsoCode") != multi {
					t.Errorf("multi-currency %t but query %q", multi, q)
				}
			}
			for id, o := range run.opps {
				if (o.Currency != "") != multi {
					t.Errorf("opportunity %s currency %q with multi-currency %t", id, o.Currency, multi)
				}
			}
		})
	}
}

func TestSOQL(t *testing.T) {
	st := stream{name: "Contact", fields: []string{"Email"}}
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	until := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		cur  cursor
		want string
	}{
		{"first run", cursor{}, "SELECT Id, Email, IsDeleted, SystemModstamp FROM Contact WHERE SystemModstamp < 2024-06-01T00:00:00.000Z ORDER BY SystemModstamp, Id"},
		{"after a record", cursor{at: at, id: "003000000000001AAA"},
			"SELECT Id, Email, IsDeleted, SystemModstamp FROM Contact WHERE (SystemModstamp > 2024-05-06T07:08:09.000Z OR (SystemModstamp = 2024-05-06T07:08:09.000Z AND Id > '003000000000001AAA')) AND SystemModstamp < 2024-06-01T00:00:00.000Z ORDER BY SystemModstamp, Id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := soql(st, tt.cur, until); got != tt.want {
				t.Errorf("soql =\n%s\nwant\n%s", got, tt.want)
			}
			back, err := parseCursor(tt.cur.String())
			if err != nil || back != tt.cur {
				t.Errorf("cursor round trip = %+v, %v; want %+v", back, err, tt.cur)
			}
		})
	}
	for _, bad := range []string{"2024-05-06", "2024-05-06T07:08:09.000Z|", "x|003000000000001AAA", "2024-05-06T07:08:09.000Z|003' OR Id != '"} {
		if _, err := parseCursor(bad); err == nil {
			t.Errorf("parseCursor(%q) accepted", bad)
		}
	}
}

// A change stamped in the last minute waits for a later run: one made in the same
// second as the last record read, but committed after the read, would otherwise
// fall behind the cursor for good.
func TestPullSettle(t *testing.T) {
	fake := salesforcefake.New(salesforcefake.Options{})
	defer fake.Close()
	old := fake.Create(salesforcefake.Contact, map[string]string{"LastName": "Old"})
	stamp, _ := time.Parse("2006-01-02T15:04:05.000-0700", fake.Get(salesforcefake.Contact, old)["SystemModstamp"])
	now := stamp.Add(settle)
	settings := fake.Settings()
	c, err := New(connector.Config{Credentials: fake.Credentials(), Settings: settings, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	run := newMemRun()
	if err := c.Pull(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	if got := run.ids(connector.ObjContact, false); len(got) != 0 {
		t.Fatalf("read %v stamped less than a minute ago", got)
	}
	now = now.Add(time.Second)
	if err := c.Pull(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	if got := run.ids(connector.ObjContact, false); len(got) != 1 || got[0] != old {
		t.Errorf("contacts = %v, want %s once settled", got, old)
	}
}

// BenchmarkPull is a full sync of a mid-sized org into an in-memory run.
func BenchmarkPull(b *testing.B) {
	fake := salesforcefake.New(salesforcefake.Options{})
	defer fake.Close()
	fake.Seed(20_000, 4_000, 6_000)
	for b.Loop() {
		c, err := New(connector.Config{Credentials: fake.Credentials(), Settings: fake.Settings()})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Pull(context.Background(), newMemRun()); err != nil {
			b.Fatal(err)
		}
	}
}
