package tenants_test

import (
	"context"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/modules/tenants"
)

type recordingIndices struct{ ensured []string }

func (r *recordingIndices) EnsureTenant(_ context.Context, slug string) error {
	r.ensured = append(r.ensured, slug)
	return nil
}
func (r *recordingIndices) Wait(context.Context) error { return nil }

var declarations = []config.Tenant{{
	Slug: "acme", Name: "Acme",
	Sites:  []config.Site{{Key: "acme-site", Name: "Acme web", Domains: []string{"acme.example", "www.acme.example"}}},
	Admins: []config.Admin{{Name: "Ann", Email: "ann@acme.example", Phone: "+15555550101"}},
}, {
	Slug: "globex", Name: "Globex",
	Sites:  []config.Site{{Key: "globex-site", Domains: []string{"globex.example"}}},
	Admins: []config.Admin{{Name: "Ann", Email: "ANN@acme.example", Phone: "+15555550101", Role: "viewer"}},
}}

func TestApplyIsIdempotent(t *testing.T) {
	ctx := context.Background()
	gdb := apptest.DB(t, apptest.Config(t))
	svc := tenants.NewService(gdb, &recordingIndices{}, apptest.Logger(t))

	rows := func() map[string]int {
		out := map[string]int{}
		for _, table := range []string{"tenants", "sites", "users", "tenant_members", "audit_log"} {
			var n int
			if err := apptest.System(gdb).Raw("SELECT count(*) FROM " + table).Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			out[table] = n
		}
		return out
	}

	first, err := svc.Apply(ctx, declarations)
	if err != nil {
		t.Fatal(err)
	}
	if first.TenantsCreated != 2 || first.SitesCreated != 2 || first.UsersCreated != 1 {
		t.Fatalf("first apply: %+v", first)
	}
	after1 := rows()
	want := map[string]int{"tenants": 2, "sites": 2, "users": 1, "tenant_members": 2}
	for table, n := range want {
		if after1[table] != n {
			t.Errorf("%s: %d rows, want %d", table, after1[table], n)
		}
	}

	second, err := svc.Apply(ctx, declarations)
	if err != nil {
		t.Fatal(err)
	}
	if second != (tenants.ApplyResult{}) {
		t.Errorf("second apply changed something: %+v", second)
	}
	if after2 := rows(); after2["audit_log"] != after1["audit_log"] || after2["users"] != 1 || after2["tenants"] != 2 {
		t.Errorf("second apply wrote rows: before %v after %v", after1, after2)
	}

	changed := append([]config.Tenant(nil), declarations...)
	changed[0].Name = "Acme Corp"
	changed[0].Sites = []config.Site{{Key: "acme-site", Name: "Acme web", Domains: []string{"acme.example"}}}
	third, err := svc.Apply(ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	if third.Changed != 2 || third.TenantsCreated != 0 {
		t.Errorf("update apply: %+v, want 2 updates", third)
	}
	var name string
	apptest.System(gdb).Raw(`SELECT name FROM tenants WHERE slug = 'acme'`).Scan(&name)
	var domains string
	apptest.System(gdb).Raw(`SELECT array_to_string(domains, ',') FROM sites WHERE site_key = 'acme-site'`).Scan(&domains)
	if name != "Acme Corp" || domains != "acme.example" {
		t.Errorf("after update: name %q domains %q", name, domains)
	}
	var roles string
	apptest.System(gdb).Raw(`SELECT string_agg(t.slug || '=' || m.role, ',' ORDER BY t.slug) FROM tenant_members m JOIN tenants t ON t.id = m.tenant_id`).Scan(&roles)
	if roles != "acme=owner,globex=viewer" {
		t.Errorf("memberships %q", roles)
	}
}

func TestApplyRejectsSiteKeyOfAnotherTenant(t *testing.T) {
	ctx := context.Background()
	gdb := apptest.DB(t, apptest.Config(t))
	svc := tenants.NewService(gdb, &recordingIndices{}, apptest.Logger(t))
	if _, err := svc.Apply(ctx, declarations[:1]); err != nil {
		t.Fatal(err)
	}
	thief := []config.Tenant{{Slug: "thief", Name: "T", Sites: []config.Site{{Key: "acme-site", Domains: []string{"thief.example"}}}}}
	_, err := svc.Apply(ctx, thief)
	if err == nil || !strings.Contains(err.Error(), "already belongs to another tenant") {
		t.Fatalf("want a conflict, got %v", err)
	}
	var n int
	apptest.System(gdb).Raw(`SELECT count(*) FROM tenants WHERE slug = 'thief'`).Scan(&n)
	if n != 0 {
		t.Fatal("failed apply left a tenant behind: not transactional")
	}
}

func TestEnsureAllIndices(t *testing.T) {
	ctx := context.Background()
	gdb := apptest.DB(t, apptest.Config(t))
	idx := &recordingIndices{}
	svc := tenants.NewService(gdb, idx, apptest.Logger(t))
	if _, err := svc.Apply(ctx, declarations); err != nil {
		t.Fatal(err)
	}
	if err := svc.EnsureAllIndices(ctx); err != nil {
		t.Fatal(err)
	}
	if strings.Join(idx.ensured, ",") != "acme,globex" {
		t.Fatalf("ensured %v", idx.ensured)
	}
}
