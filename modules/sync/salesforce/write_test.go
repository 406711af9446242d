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

func TestWriteTwiceCreatesOnce(t *testing.T) {
	fake := salesforcefake.New(salesforcefake.Options{})
	defer fake.Close()
	lead := fake.Create(salesforcefake.Lead, map[string]string{"LastName": "L", "Company": "C"})
	contact := fake.Create(salesforcefake.Contact, map[string]string{"LastName": "K"})
	opp := fake.Create(salesforcefake.Opportunity, map[string]string{"Name": "O", "StageName": "Prospecting"})
	at := time.Date(2024, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
	tps := []connector.Touchpoint{
		{ID: "evt-1", OccurredAt: at, Type: "pageview", URL: "https://acme.com/" + strings.Repeat("p", 300), Channel: "organic_search",
			UTMSource: "google", LeadID: lead, Email: "l@x.com"},
		{ID: "evt-2", OccurredAt: at, Type: "form", FormName: "demo", ContactID: contact, OpportunityIDs: []string{opp, "006000000000099AAA"}},
	}
	c, _ := newConnector(t, fake, nil)
	ctx := context.Background()

	first, err := c.Write(ctx, tps)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Write(ctx, tps)
	if err != nil {
		t.Fatal(err)
	}
	if fake.TouchpointCount() != 2 {
		t.Errorf("touchpoints stored = %d, want 2", fake.TouchpointCount())
	}
	for i := range tps {
		if !first[i].Created || second[i].Created || first[i].Err != "" || second[i].Err != "" {
			t.Errorf("touchpoint %d: first %+v, second %+v; want created then updated", i, first[i], second[i])
		}
		if first[i].ID != tps[i].ID || first[i].ExternalID == "" || first[i].ExternalID != second[i].ExternalID {
			t.Errorf("touchpoint %d ids: first %+v, second %+v", i, first[i], second[i])
		}
	}
	got := fake.Touchpoint("evt-1")
	want := map[string]string{
		salesforcefake.TPLead: lead, salesforcefake.TPOccurredAt: "2024-02-03T04:05:06.789+0000", salesforcefake.TPType: "pageview",
		salesforcefake.TPChannel: "organic_search", salesforcefake.TPUTMSource: "google", salesforcefake.TPEmail: "l@x.com",
		salesforcefake.TPURL: ("https://acme.com/" + strings.Repeat("p", 300))[:maxText],
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("evt-1 %s = %q, want %q", k, got[k], v)
		}
	}
	if got := fake.Touchpoint("evt-2"); got[salesforcefake.TPOpportunity] != opp || got[salesforcefake.TPContact] != contact || got[salesforcefake.TPLead] != "" {
		t.Errorf("evt-2 = %v, want the first opportunity and the contact", got)
	}
}

func TestWriteRefusedRecords(t *testing.T) {
	fake := salesforcefake.New(salesforcefake.Options{})
	defer fake.Close()
	gone := fake.Create(salesforcefake.Contact, map[string]string{"LastName": "Gone"})
	fake.Delete(salesforcefake.Contact, gone)
	c, _ := newConnector(t, fake, nil)
	tps := []connector.Touchpoint{
		{ID: "ok", OccurredAt: time.Unix(0, 0)},
		{ID: "deleted-contact", ContactID: gone, OccurredAt: time.Unix(0, 0)},
		{ID: "unknown-lead", LeadID: "00Q000000000404AAA", OccurredAt: time.Unix(0, 0)},
	}
	got, err := c.Write(context.Background(), tps)
	if err != nil {
		t.Fatal(err)
	}
	want := []connector.WriteResult{
		{ID: "ok", Created: true},
		{ID: "deleted-contact", Err: "ENTITY_IS_DELETED: entity is deleted (Contact__c)"},
		{ID: "unknown-lead", Err: "INVALID_CROSS_REFERENCE_KEY: Lead__c: id value of incorrect type: 00Q000000000404AAA (Lead__c)"},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b connector.WriteResult) bool {
		return a.ID == b.ID && a.Created == b.Created && a.Err == b.Err && (a.Err != "") == (a.ExternalID == "" && b.ExternalID == "")
	})); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if fake.TouchpointCount() != 1 {
		t.Errorf("stored %d touchpoints, want the valid one", fake.TouchpointCount())
	}
}

func TestWriteBatchErrors(t *testing.T) {
	tests := []struct {
		name    string
		opt     salesforcefake.Options
		n       int
		fault   *salesforcefake.Fault
		wantErr string
	}{
		{name: "over the batch limit", n: 201, wantErr: "exceed the batch limit of 200"},
		{name: "the org lacks the object", opt: salesforcefake.Options{TouchpointObject: "Other__c"}, n: 1, wantErr: "NOT_FOUND"},
		{name: "malformed answer", n: 1, fault: &salesforcefake.Fault{Match: "/composite/", Malformed: true}, wantErr: "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := salesforcefake.New(tt.opt)
			defer fake.Close()
			if tt.fault != nil {
				fake.Inject(*tt.fault)
			}
			c, _ := newConnector(t, fake, map[string]any{"touchpoint_object": DefaultTouchpointObject})
			tps := make([]connector.Touchpoint, tt.n)
			for i := range tps {
				tps[i] = connector.Touchpoint{ID: "e" + strings.Repeat("x", i)}
			}
			if _, err := c.Write(context.Background(), tps); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Write = %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
	if got := (&Connector{}).MaxBatch(); got != 200 {
		t.Errorf("MaxBatch = %d", got)
	}
}
