package authz_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/authz"
	"github.com/srgplatform/srg/app/config"
)

// matrix is the permission matrix README.md documents: per role, per resource, the
// actions allowed ("rw", "r" or nothing).
var matrix = map[string]map[string]string{
	"owner": all("rw"),
	"admin": all("rw"),
	"marketer": {
		"dashboards": "r", "journeys": "r", "campaigns": "rw", "touchpoints": "r", "exports": "rw",
		"settings.attribution": "rw", "settings.channels": "rw", "settings.tracking": "rw",
		"settings.connectors": "r", "settings.warehouse": "r", "settings.users": "r",
	},
	"analyst": {
		"dashboards": "r", "journeys": "r", "campaigns": "r", "touchpoints": "r", "exports": "rw",
		"settings.attribution": "r", "settings.channels": "r", "settings.tracking": "r",
		"settings.connectors": "r", "settings.warehouse": "r",
	},
	"viewer": {"dashboards": "r", "journeys": "r", "campaigns": "r", "touchpoints": "r"},
}

func all(actions string) map[string]string {
	out := map[string]string{}
	for _, r := range authz.Resources {
		out[r] = actions
	}
	return out
}

func allowed(role, resource, action string) bool {
	return strings.Contains(matrix[role][resource], action[:1])
}

// TestPolicyFileIsTheDocumentedMatrix checks every role x resource x action of
// config/rbac_policy.csv (as built in) against the documented matrix.
func TestPolicyFileIsTheDocumentedMatrix(t *testing.T) {
	inFile := apptest.ShippedPolicy(t)
	for r := range inFile {
		if r.Tenant != authz.AnyTenant {
			t.Errorf("the default matrix names tenant %s: %+v", r.Tenant, r)
		}
	}
	for _, role := range config.Roles {
		for _, res := range authz.Resources {
			for _, act := range authz.Actions {
				t.Run(role+"/"+res+"/"+act, func(t *testing.T) {
					got := inFile[authz.Rule{Role: role, Tenant: authz.AnyTenant, Resource: res, Action: act}]
					if want := allowed(role, res, act); got != want {
						t.Errorf("policy file allows it: %v, documented: %v", got, want)
					}
				})
			}
		}
	}
}

func TestParsePolicyRejects(t *testing.T) {
	tests := []struct {
		name, policy, want string
	}{
		{"unknown role", "p, god, *, dashboards, read", `line 1: unknown role "god"`},
		{"unknown resource", "# comment\np, owner, *, dashbords, read", `line 2: unknown resource "dashbords"`},
		{"unknown action", "p, owner, *, dashboards, delete", `unknown action "delete"`},
		{"role assignment", "g, user:1, owner, 1", "only p rules belong here"},
		{"too few fields", "p, owner, dashboards, read", "got 4 fields"},
		{"bad tenant", "p, owner, acme, dashboards, read", `tenant must be "*" or a tenant id, got "acme"`},
		{"zero tenant", "p, owner, 0, dashboards, read", `got "0"`},
		{"duplicate", "p, owner, *, audit, read\np, owner, *, audit, read", "line 2: owner, *, audit, read is listed twice"},
		{"empty", "# nothing\n", "no rules"},
		{"every problem at once", "p, god, *, audit, read\np, owner, *, audit, eat", "viewer)\nline 2: unknown action"},
		{"bad quoting", "p, owner, \"*, audit, read", "extraneous or missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := authz.ParsePolicy(tt.policy)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadDefinitions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	model, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac_model.conf"))
	if err != nil {
		t.Fatal(err)
	}
	goodModel := write("model.conf", string(model))
	goodPolicy := write("policy.csv", "p, viewer, *, dashboards, read\n")
	tests := []struct {
		name string
		cfg  config.Access
		want string // an error containing this; "" for success
	}{
		{"built in", config.Access{}, ""},
		{"files", config.Access{ModelFile: goodModel, PolicyFile: goodPolicy}, ""},
		{"missing policy file", config.Access{PolicyFile: filepath.Join(dir, "none.csv")}, "none.csv: no such file"},
		{"bad policy names its file", config.Access{PolicyFile: write("bad.csv", "p, god, *, audit, read\n")}, "bad.csv: line 1: unknown role"},
		{"model not parsable", config.Access{ModelFile: write("junk.conf", "[request_definition\nr = sub\n")}, "junk.conf"},
		{"model without domains", config.Access{ModelFile: write("nodom.conf", strings.NewReplacer("g = _, _, _", "g = _, _").Replace(string(model)))}, "g must have 3 fields"},
		{"request of three fields", config.Access{ModelFile: write("r3.conf", strings.NewReplacer("r = sub, dom, obj, act", "r = sub, obj, act").Replace(string(model)))}, "r must have 4 fields"},
		{"matcher naming an unknown field", config.Access{ModelFile: write("m.conf", strings.NewReplacer("r.act == p.act", "r.verb == p.act").Replace(string(model)))}, "m.conf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := authz.LoadDefinitions(tt.cfg)
			if tt.want == "" {
				if err != nil || len(d.Rules) == 0 {
					t.Fatalf("got %v with %d rules", err, len(d.Rules))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLesserRole(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"owner", "viewer", "viewer"},
		{"viewer", "owner", "viewer"},
		{"admin", "marketer", "marketer"},
		{"analyst", "analyst", "analyst"},
		{"owner", "root", "root"},
		{"root", "viewer", "root"},
	}
	for _, tt := range tests {
		if got := authz.LesserRole(tt.a, tt.b); got != tt.want {
			t.Errorf("LesserRole(%s, %s) = %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
}
