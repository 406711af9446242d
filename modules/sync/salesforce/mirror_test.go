package salesforce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/salesforce/salesforcefake"
	"github.com/srgplatform/srg/modules/sync/synctest"
)

// checkDB fails unless the Postgres mirror holds exactly the fake's records, live
// and deleted, each once.
func checkDB(t *testing.T, m *synctest.Mirror, fake *salesforcefake.Server) {
	t.Helper()
	checkMirror(t, fake, func(obj connector.Object, deleted bool) []string { return m.IDs(t, obj, deleted) })
	total := 0
	for _, obj := range []string{salesforcefake.Contact, salesforcefake.Lead} {
		total += len(fake.IDs(obj, false)) + len(fake.IDs(obj, true))
	}
	if got := m.Count(t, "crm_contacts"); got != total {
		t.Errorf("crm_contacts has %d rows, want %d", got, total)
	}
	var stages []string
	fake.Records(salesforcefake.OpportunityStage, func(r map[string]string) { stages = append(stages, "default:"+r["ApiName"]) })
	slices.Sort(stages)
	if diff := cmp.Diff(stages, m.IDs(t, connector.ObjStage, false)); diff != "" {
		t.Errorf("stages (-fake +mirror):\n%s", diff)
	}
}

func TestMirrorFullThenIncremental(t *testing.T) {
	ctx := context.Background()
	fake := salesforcefake.New(salesforcefake.Options{BatchSize: 25, MultiCurrency: true})
	defer fake.Close()
	fake.Seed(200, 20, 40)
	m := synctest.New(t, connector.Salesforce)
	c, _ := newConnector(t, fake, nil)
	if err := m.Pull(ctx, c); err != nil {
		t.Fatal(err)
	}
	checkDB(t, m, fake)

	contacts, accounts := fake.IDs(salesforcefake.Contact, false), fake.IDs(salesforcefake.Account, false)
	opps, leads := fake.IDs(salesforcefake.Opportunity, false), fake.IDs(salesforcefake.Lead, false)
	members := fake.IDs(salesforcefake.CampaignMember, false)
	fake.Create(salesforcefake.Account, map[string]string{"Name": "New Co", "Website": "www.newco.io"})
	fake.Update(salesforcefake.Opportunity, opps[2], map[string]string{"Amount": "99.5", "StageName": "Closed Lost"})
	fake.Delete(salesforcefake.Contact, contacts[7])
	fake.Delete(salesforcefake.CampaignMember, members[0])
	fake.Merge(salesforcefake.Contact, contacts[20], contacts[21])
	fake.Merge(salesforcefake.Lead, leads[3], leads[4])
	fake.Merge(salesforcefake.Account, accounts[5], accounts[6])
	newContact, newAccount, newOpp := fake.ConvertLead(leads[0], true)

	c2, _ := newConnector(t, fake, nil)
	if err := m.Pull(ctx, c2); err != nil {
		t.Fatal(err)
	}
	checkDB(t, m, fake)

	lead := m.Row(t, connector.ObjLead, leads[0])
	if lead["converted"] != true || lead["converted_contact_id"] != newContact ||
		lead["converted_account_id"] != newAccount || lead["converted_opportunity_id"] != newOpp {
		t.Errorf("converted lead row = %v, want links to %s, %s, %s", lead, newContact, newAccount, newOpp)
	}
	if row := m.Row(t, connector.ObjContact, newContact); row == nil || row["account_external_id"] != newAccount {
		t.Errorf("contact from the lead = %v", row)
	}
	if row := m.Row(t, connector.ObjOpportunity, newOpp); row == nil || row["account_external_id"] != newAccount {
		t.Errorf("opportunity from the lead = %v", row)
	}
	for _, merged := range [][3]any{{connector.ObjContact, contacts[21], contacts[20]}, {connector.ObjLead, leads[4], leads[3]}, {connector.ObjAccount, accounts[6], accounts[5]}} {
		row := m.Row(t, merged[0].(connector.Object), merged[1].(string))
		if row["deleted"] != true || row["merged_into"] != merged[2] {
			t.Errorf("%s %s = %v, want deleted and merged into %s", merged[0], merged[1], row, merged[2])
		}
	}
	opp := m.Row(t, connector.ObjOpportunity, opps[2])
	if fmt.Sprint(opp["amount"]) != "99.5" || opp["is_closed"] != true || opp["is_won"] != false || opp["currency"] == "" {
		t.Errorf("updated opportunity row = %v", opp)
	}
}

func TestMirrorCrashThenResume(t *testing.T) {
	for _, n := range []int{0, 3, 11} {
		t.Run(fmt.Sprintf("crash before commit %d", n+1), func(t *testing.T) {
			ctx := context.Background()
			fake := salesforcefake.New(salesforcefake.Options{BatchSize: 9})
			defer fake.Close()
			fake.Seed(60, 10, 15)
			m := synctest.New(t, connector.Salesforce)
			c, _ := newConnector(t, fake, nil)
			if err := m.PullFailingAfter(ctx, c, n); !errors.Is(err, synctest.ErrCrash) {
				t.Fatalf("Pull = %v, want the crash", err)
			}
			// The org changes while the connector is down, behind and ahead of the
			// cursors.
			fake.Update(salesforcefake.Contact, fake.IDs(salesforcefake.Contact, false)[0], map[string]string{"Email": "moved@example.com"})
			fake.Delete(salesforcefake.Opportunity, fake.IDs(salesforcefake.Opportunity, false)[0])
			fake.Create(salesforcefake.Lead, map[string]string{"LastName": "Late", "Company": "Late Co"})

			c2, _ := newConnector(t, fake, nil)
			if err := m.Pull(ctx, c2); err != nil {
				t.Fatal(err)
			}
			checkDB(t, m, fake)
		})
	}
}
