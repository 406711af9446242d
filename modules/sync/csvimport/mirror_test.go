package csvimport_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/csvimport"
	"github.com/srgplatform/srg/modules/sync/synctest"
)

// importPuller commits one parsed file as one page, the way the import handler does.
type importPuller struct{ page connector.Page }

func (p importPuller) Pull(ctx context.Context, r connector.Run) error {
	return r.Commit(ctx, "csv", "", p.page)
}

func parseOK(t *testing.T, kind csvimport.Kind, body string) connector.Page {
	t.Helper()
	res, err := csvimport.Parse(kind, strings.NewReader(body), csvimport.Limits{})
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("parse: %v %v", err, res.Errors)
	}
	return res.Page
}

// TestImportIntoMirror checks that whatever Parse accepts, extremes included, the
// mirror stores as read, and that importing a file again updates in place.
func TestImportIntoMirror(t *testing.T) {
	ctx := context.Background()
	m := synctest.New(t, connector.CSV)
	files := []struct {
		kind csvimport.Kind
		body string
	}{
		{csvimport.Accounts, "id,name,website\na1,Acme,https://www.acme.example/\na2,Bücher GmbH,bücher.example\n"},
		{csvimport.Contacts, "id,email,first_name,account_id,created_date\nc1,ann@acme.example,Ann,a1,2024-02-03T04:05:06+01:00\nc2,bob@acme.example,,a1,\n"},
		{csvimport.Opportunities, "id,amount,currency,is_won,close_date,created_date\n" +
			"o1,9999999999999999.9999,EUR,yes,2024-05-31T23:30:00-05:00,2024-01-01\n" +
			"o2,-0.0001,usd,,2024-06-01,\no3,,,,,\n"},
	}
	for _, f := range files {
		if err := m.Pull(ctx, importPuller{parseOK(t, f.kind, f.body)}); err != nil {
			t.Fatalf("%s: %v", f.kind, err)
		}
	}
	ids := map[connector.Object][]string{}
	for _, obj := range []connector.Object{connector.ObjAccount, connector.ObjContact, connector.ObjOpportunity} {
		ids[obj] = m.IDs(t, obj, false)
	}
	wantIDs := map[connector.Object][]string{
		connector.ObjAccount:     {"a1", "a2"},
		connector.ObjContact:     {"c1", "c2"},
		connector.ObjOpportunity: {"o1", "o2", "o3"},
	}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}

	checks := []struct {
		obj  connector.Object
		id   string
		col  string
		want string
	}{
		{connector.ObjAccount, "a1", "domain", "acme.example"},
		{connector.ObjAccount, "a2", "domain", "bücher.example"},
		{connector.ObjContact, "c1", "created_at_source", "2024-02-03T03:05:06Z"},
		{connector.ObjContact, "c2", "first_name", ""},
		{connector.ObjOpportunity, "o1", "close_date", "2024-05-31"},
		{connector.ObjOpportunity, "o1", "is_closed", "true"},
		{connector.ObjOpportunity, "o2", "currency", "USD"},
		{connector.ObjOpportunity, "o3", "amount", "<nil>"},
	}
	for _, c := range checks {
		if got := show(m.Row(t, c.obj, c.id)[c.col]); got != c.want {
			t.Errorf("%s %s %s = %s, want %s", c.obj, c.id, c.col, got, c.want)
		}
	}

	// numeric scans as a float: compare amounts as Postgres prints them.
	var amounts []string
	if err := m.Tenant().Raw(`SELECT amount::text FROM crm_opportunities WHERE amount IS NOT NULL ORDER BY external_id`).Scan(&amounts).Error; err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"9999999999999999.9999", "-0.0001"}, amounts); diff != "" {
		t.Errorf("amounts (-want +got):\n%s", diff)
	}

	// A corrected file updates the same rows.
	if err := m.Pull(ctx, importPuller{parseOK(t, csvimport.Accounts, "id,name,domain\na1,Acme Corp,acme.example\n")}); err != nil {
		t.Fatal(err)
	}
	if got := show(m.Row(t, connector.ObjAccount, "a1")["name"]); got != "Acme Corp" {
		t.Errorf("name after re-import = %s", got)
	}
	if n := m.Count(t, "crm_accounts"); n != 2 {
		t.Errorf("%d accounts after re-import, want 2", n)
	}
}

// show prints a column value the way the checks spell it.
func show(v any) string {
	switch v := v.(type) {
	case time.Time:
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 && v.Location() == time.UTC {
			return v.Format(time.DateOnly)
		}
		return v.UTC().Format(time.RFC3339)
	case []byte:
		return string(v)
	}
	return fmt.Sprint(v)
}
