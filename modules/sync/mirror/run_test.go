package mirror_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/synctest"
)

// pagesPuller commits fixed pages, one per cursor value, from where the stream
// stopped.
type pagesPuller struct{ pages []connector.Page }

func (p pagesPuller) Pull(ctx context.Context, r connector.Run) error {
	start := 0
	if c := r.Cursor("s"); c != "" {
		start = int(c[0]-'0') + 1
	}
	for i := start; i < len(p.pages); i++ {
		if err := r.Commit(ctx, "s", string(rune('0'+i)), p.pages[i]); err != nil {
			return err
		}
	}
	return nil
}

func TestCommitIsIdempotentAndResumes(t *testing.T) {
	ctx := context.Background()
	when := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	pages := []connector.Page{
		{Accounts: []connector.Account{{ExternalID: "a1", Name: "Acme", Domain: "ACME.com", ModifiedAt: when}},
			Contacts: []connector.Contact{{ExternalID: "c1", Email: "x@acme.com", AccountExternalID: "a1"}, {ExternalID: "l1", Lead: true, Email: "y@acme.com"}}},
		{Opportunities: []connector.Opportunity{{ExternalID: "o1", Amount: "1234.5", Currency: "EUR", Stage: "won", IsWon: true, IsClosed: true, CloseDate: when},
			{ExternalID: "o1", Amount: "99", Currency: "EUR"}},
			ContactRoles: []connector.ContactRole{{OpportunityExternalID: "o1", ContactExternalID: "c1", IsPrimary: true}}},
		{Deletions: []connector.Deletion{{Object: connector.ObjContact, ExternalID: "c1", MergedInto: "c9"}, {Object: connector.ObjAccount, ExternalID: "gone"}},
			Spend: []connector.SpendDay{{AccountID: "1", CampaignID: "7", Day: when, Spend: "1.23", Currency: "USD", Clicks: 4, Impressions: 100}}},
		// A later deletion that names no survivor keeps the merge already known.
		{Deletions: []connector.Deletion{{Object: connector.ObjContact, ExternalID: "c1"}}},
	}
	m := synctest.New(t, connector.HubSpot)
	if err := m.PullFailingAfter(ctx, pagesPuller{pages}, 1); !errors.Is(err, synctest.ErrCrash) {
		t.Fatalf("crash run: %v", err)
	}
	if got := m.Cursors(t); !cmp.Equal(got, map[string]string{"s": "0"}) {
		t.Fatalf("cursor after crash = %v", got)
	}
	if n := m.Count(t, "crm_opportunities"); n != 0 {
		t.Fatalf("the crashed page left %d opportunities", n)
	}
	for range 2 {
		if err := m.Pull(ctx, pagesPuller{pages}); err != nil {
			t.Fatal(err)
		}
	}
	// A fresh run from the start again must change nothing.
	if err := m.DB.Exec(`DELETE FROM sync_cursors`).Error; err != nil {
		t.Fatal(err)
	}
	if err := m.Pull(ctx, pagesPuller{pages}); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		obj     connector.Object
		deleted bool
		want    []string
	}{
		{connector.ObjAccount, false, []string{"a1"}},
		{connector.ObjAccount, true, []string{"gone"}},
		{connector.ObjContact, false, nil},
		{connector.ObjContact, true, []string{"c1"}},
		{connector.ObjLead, false, []string{"l1"}},
		{connector.ObjOpportunity, false, []string{"o1"}},
		{connector.ObjContactRole, false, nil},
		{connector.ObjContactRole, true, []string{"o1:c1"}},
		{connector.ObjSpend, false, []string{"1:7:2026-03-01"}},
	}
	for _, c := range checks {
		if got := m.IDs(t, c.obj, c.deleted); !cmp.Equal(got, c.want) {
			t.Errorf("%s deleted=%v: ids %v, want %v", c.obj, c.deleted, got, c.want)
		}
	}
	if row := m.Row(t, connector.ObjContact, "c1"); row["merged_into"] != "c9" || row["email"] != "x@acme.com" {
		t.Errorf("merged contact row = %v", row)
	}
	if row := m.Row(t, connector.ObjAccount, "a1"); row["domain"] != "acme.com" {
		t.Errorf("account domain = %v", row["domain"])
	}
	var amount string
	m.Tenant().Raw(`SELECT amount::text FROM crm_opportunities WHERE external_id = 'o1'`).Scan(&amount)
	if amount != "99.0000" {
		t.Errorf("the later duplicate in a page should win: amount %s", amount)
	}
}
