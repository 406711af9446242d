package tenants_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/modules/tenants"
)

func TestProvision(t *testing.T) {
	ctx := context.Background()
	gdb := apptest.DB(t, apptest.Config(t))
	svc := tenants.NewService(gdb, &recordingIndices{}, apptest.Logger(t))
	if _, err := svc.Apply(ctx, declarations); err != nil {
		t.Fatal(err)
	}
	acme, err := svc.BySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	// entry is an audit entry, its details without the user id.
	type entry struct{ Action, Target, Details string }
	auditSince := func(id int64) []entry {
		var out []entry
		if err := apptest.System(gdb).Raw(`SELECT action, target, (details - 'user_id')::text AS details FROM audit_log WHERE id > ? AND actor = 'sso' ORDER BY id`, id).Scan(&out).Error; err != nil {
			t.Fatal(err)
		}
		return out
	}
	lastID := func() int64 {
		var id int64
		apptest.System(gdb).Raw(`SELECT coalesce(max(id), 0) FROM audit_log`).Scan(&id)
		return id
	}
	role := func(email string) string {
		var roles []string
		apptest.System(gdb).Raw(`SELECT m.role FROM tenant_members m JOIN users u ON u.id = m.user_id WHERE u.email = ? AND m.tenant_id = ?`, email, acme.ID).Scan(&roles)
		if len(roles) == 0 {
			return ""
		}
		return roles[0]
	}
	steps := []struct {
		name, email, role string
		want              []entry
	}{
		{"a new person", "dave@acme.example", "marketer", []entry{{"member.added", "dave@acme.example", `{"role": "marketer", "user_created": true}`}}},
		{"the same role again", "dave@acme.example", "marketer", nil},
		{"another role", "dave@acme.example", "viewer", []entry{{"member.role_changed", "dave@acme.example", `{"to": "viewer", "from": "marketer"}`}}},
		{"an existing user, any case", "ANN@acme.example", "admin", []entry{{"member.role_changed", "ANN@acme.example", `{"to": "admin", "from": "owner"}`}}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := lastID()
			if _, err := svc.Provision(ctx, acme.ID, st.email, "Dave", st.role, "sso", "198.51.100.7"); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(st.want, auditSince(before)); diff != "" {
				t.Fatalf("audit (-want +got):\n%s", diff)
			}
		})
	}
	if role("dave@acme.example") != "viewer" || role("ann@acme.example") != "admin" {
		t.Fatalf("roles: dave %s, ann %s", role("dave@acme.example"), role("ann@acme.example"))
	}

	t.Run("two first sign-ins at once make one user", func(t *testing.T) {
		var wg sync.WaitGroup
		ids := make([]int64, 4)
		for i := range ids {
			wg.Go(func() {
				id, err := svc.Provision(ctx, acme.ID, "erin@acme.example", "Erin", "viewer", "sso", "")
				if err != nil {
					t.Error(err)
				}
				ids[i] = id
			})
		}
		wg.Wait()
		for _, id := range ids[1:] {
			if id != ids[0] || id == 0 {
				t.Fatalf("user ids %v", ids)
			}
		}
	})
}
