package apptest

import (
	"testing"

	"github.com/srgplatform/srg/app/authz"
	shipped "github.com/srgplatform/srg/config"
)

// ShippedPolicy is the permission matrix built into srg (config/rbac_policy.csv), as a
// set of rules.
func ShippedPolicy(t testing.TB) map[authz.Rule]bool {
	t.Helper()
	rules, err := authz.ParsePolicy(shipped.RBACPolicy)
	if err != nil {
		t.Fatalf("apptest: config/rbac_policy.csv: %v", err)
	}
	out := map[authz.Rule]bool{}
	for _, r := range rules {
		out[r] = true
	}
	return out
}
