package hubspot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/hubspot/hubspotfake"
)

func touchpoints(n int, contacts, deals []string) []connector.Touchpoint {
	var out []connector.Touchpoint
	for i := range n {
		tp := connector.Touchpoint{ID: fmt.Sprintf("tp-%03d", i), OccurredAt: time.Date(2024, 5, 1, 9, i, 0, 0, time.UTC),
			Type: "page_view", Name: "Pricing", URL: fmt.Sprintf("https://example.com/pricing?i=%d", i), Channel: "paid_search",
			UTMSource: "google", UTMMedium: "cpc", UTMCampaign: "brand", Email: fmt.Sprintf("p%d@example.com", i),
			ContactID: contacts[i%len(contacts)]}
		if i%2 == 0 {
			tp.OpportunityIDs = []string{deals[i%len(deals)]}
		}
		out = append(out, tp)
	}
	return out
}

func TestWriteTwiceCreatesOnce(t *testing.T) {
	f := hubspotfake.New(hubspotfake.Options{})
	defer f.Close()
	f.Seed(10, 3, 5)
	for _, object := range []string{"p_srg_touchpoints", f.TouchpointTypeID()} {
		t.Run(object, func(t *testing.T) {
			settings := fastSettings(f)
			settings["touchpoint_object"] = object
			c, _ := newConnector(t, settings, privateApp())
			tps := touchpoints(100, f.LiveIDs(hubspotfake.Contacts), f.LiveIDs(hubspotfake.Deals))
			createdBefore := f.CustomCreates(object)

			first, err := c.Write(t.Context(), tps)
			if err != nil {
				t.Fatalf("first Write: %v", err)
			}
			tps[0].Title = "Pricing, rewritten"
			second, err := c.Write(t.Context(), tps)
			if err != nil {
				t.Fatalf("second Write: %v", err)
			}
			for i := range tps {
				if first[i].ID != tps[i].ID || first[i].Err != "" || first[i].ExternalID == "" {
					t.Errorf("first write of %s = %+v", tps[i].ID, first[i])
				}
				if second[i].ExternalID != first[i].ExternalID || second[i].Err != "" || second[i].Created {
					t.Errorf("second write of %s = %+v, first %+v", tps[i].ID, second[i], first[i])
				}
			}
			if createdBefore == 0 {
				for i, r := range first {
					if !r.Created {
						t.Errorf("first write of %s did not create it", tps[i].ID)
					}
				}
			}
			if got := f.CustomCreates(object) - createdBefore; createdBefore == 0 && got != len(tps) {
				t.Errorf("%d records created, want %d", got, len(tps))
			}
			records := f.CustomRecords(object)
			if len(records) != len(tps) {
				t.Fatalf("%d records stored, want %d", len(records), len(tps))
			}
			byTP := map[string]hubspotfake.CustomRecord{}
			for _, r := range records {
				byTP[r.Properties[TouchpointIDProperty]] = r
			}
			for i, tp := range tps {
				r := byTP[tp.ID]
				if r.ID != first[i].ExternalID {
					t.Errorf("%s stored as %s, written as %s", tp.ID, r.ID, first[i].ExternalID)
				}
				if diff := cmp.Diff(properties(tp), r.Properties); diff != "" {
					t.Errorf("%s properties (-sent +stored):\n%s", tp.ID, diff)
				}
				if diff := cmp.Diff([]string{tp.ContactID}, r.Contacts); diff != "" {
					t.Errorf("%s contacts (-want +stored):\n%s", tp.ID, diff)
				}
				if diff := cmp.Diff(tp.OpportunityIDs, r.Deals); diff != "" {
					t.Errorf("%s deals (-want +stored):\n%s", tp.ID, diff)
				}
			}
		})
	}
}

func TestWriteRecordErrors(t *testing.T) {
	f := hubspotfake.New(hubspotfake.Options{})
	defer f.Close()
	f.Seed(5, 2, 3)
	c, _ := newConnector(t, fastSettings(f), privateApp())
	contacts, deals := f.LiveIDs(hubspotfake.Contacts), f.LiveIDs(hubspotfake.Deals)
	tps := touchpoints(6, contacts, deals)
	tps[1].ContactID = ""
	tps[2].URL = "https://example.com/?q=" + strings.Repeat("x", 70000)
	tps[3].ContactID = "999999999"
	tps[4].OpportunityIDs = []string{deals[0], "888888888"}
	tps = append(tps, tps[5])

	results, err := c.Write(t.Context(), tps)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	wantErr := []string{"", "no HubSpot contact id", "longer than 65536", "associate with contact 999999999",
		"associate with deal 888888888", "", ""}
	for i, want := range wantErr {
		got := results[i]
		if got.ID != tps[i].ID {
			t.Errorf("result %d is for %s, want %s", i, got.ID, tps[i].ID)
		}
		if (want == "") != (got.Err == "") || !strings.Contains(got.Err, want) {
			t.Errorf("result for %s: Err %q, want %q", tps[i].ID, got.Err, want)
		}
	}
	if results[6] != results[5] {
		t.Errorf("a touchpoint given twice got %+v and %+v", results[5], results[6])
	}
	var stored []string
	for _, r := range f.CustomRecords("p_srg_touchpoints") {
		stored = append(stored, r.Properties[TouchpointIDProperty])
	}
	if diff := cmp.Diff([]string{"tp-000", "tp-003", "tp-004", "tp-005"}, stored); diff != "" {
		t.Errorf("stored touchpoints (-want +got):\n%s", diff)
	}
}

func TestWriteBatchErrors(t *testing.T) {
	f := hubspotfake.New(hubspotfake.Options{})
	defer f.Close()
	f.Seed(3, 1, 1)
	tps := touchpoints(3, f.LiveIDs(hubspotfake.Contacts), f.LiveIDs(hubspotfake.Deals))
	for _, tc := range []struct {
		name     string
		settings func(map[string]any)
		tps      []connector.Touchpoint
		fault    *hubspotfake.Fault
		want     string
	}{
		{name: "no touchpoint object", settings: func(s map[string]any) { delete(s, "touchpoint_object") }, tps: tps,
			want: "touchpoint_object is not set"},
		{name: "unknown object", settings: func(s map[string]any) { s["touchpoint_object"] = "p_nothing" }, tps: tps,
			want: "Unable to infer object type from: p_nothing"},
		{name: "too many", tps: make([]connector.Touchpoint, 101), want: "at most 100"},
		{name: "HubSpot down", tps: tps, fault: &hubspotfake.Fault{Kind: hubspotfake.ServerError, Path: "/batch/upsert", Times: 10},
			want: "gave up after 6 retries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			settings := fastSettings(f)
			if tc.settings != nil {
				tc.settings(settings)
			}
			c, _ := newConnector(t, settings, privateApp())
			if tc.fault != nil {
				f.Inject(*tc.fault)
			}
			results, err := c.Write(t.Context(), tc.tps)
			if err == nil || !strings.Contains(err.Error(), tc.want) || results != nil {
				t.Fatalf("Write = %v, %v; want no results and an error containing %q", results, err, tc.want)
			}
		})
	}
}
