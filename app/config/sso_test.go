package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ssoTenant is a tenant declaration whose sso section is body, indented under sso:.
func ssoTenant(body string) string {
	var b strings.Builder
	b.WriteString(minimal + "tenants:\n  - slug: acme\n    name: Acme\n    sso:\n")
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		b.WriteString("      " + line + "\n")
	}
	return b.String()
}

const goodSSO = `issuer_url: https://login.acme.example/realms/acme
client_id: srg
client_secret_env: ACME_OIDC_SECRET
allowed_domains: [acme.example, acme-labs.example]
group_roles:
  srg-owners: owner
  "Marketing Team": marketer`

func TestSSOAccepted(t *testing.T) {
	tests := []struct {
		name string
		body string
		want SSO
	}{
		{"full", goodSSO + "\ngroups_claim: https://acme.example/claims/groups", SSO{
			IssuerURL: "https://login.acme.example/realms/acme", ClientID: "srg", ClientSecretEnv: "ACME_OIDC_SECRET",
			AllowedDomains: []string{"acme.example", "acme-labs.example"}, GroupsClaim: "https://acme.example/claims/groups",
			GroupRoles: map[string]string{"srg-owners": "owner", "Marketing Team": "marketer"},
		}},
		{"provider on loopback over http", "issuer_url: http://127.0.0.1:5556/dex\nclient_id: srg\nclient_secret_env: S\ngroup_roles: {all: viewer}", SSO{
			IssuerURL: "http://127.0.0.1:5556/dex", ClientID: "srg", ClientSecretEnv: "S", GroupRoles: map[string]string{"all": "viewer"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse([]byte(ssoTenant(tt.body)), nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, cfg.Tenants[0].SSO); diff != "" {
				t.Fatalf("sso (-want +got):\n%s", diff)
			}
		})
	}
	if got := (SSO{}).Claim(); got != "groups" {
		t.Fatalf("default groups claim %q", got)
	}
}

func TestSSORejected(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(goodSSO, old, new, 1) }
	tests := []struct {
		name, body, want string
	}{
		{"no issuer", replace("issuer_url: https://login.acme.example/realms/acme\n", ""), `tenants[0].sso.issuer_url: required`},
		{"issuer not a URL", replace("https://login.acme.example/realms/acme", "login.acme.example"), `tenants[0].sso.issuer_url: "login.acme.example" is not an absolute URL`},
		{"issuer over http", replace("https://", "http://"), `tenants[0].sso.issuer_url: "http://login.acme.example/realms/acme" must use https`},
		{"issuer with a query", replace("/realms/acme", "/realms/acme?x=1"), `must not have a query or fragment`},
		{"issuer with credentials", replace("https://", "https://u:p@"), `must not hold credentials`},
		{"issuer of another scheme", replace("https://", "ftp://"), `must be an https URL`},
		{"no client id", replace("client_id: srg\n", ""), `tenants[0].sso.client_id: required`},
		{"client id with a space", replace("client_id: srg", "client_id: \"s rg\""), `tenants[0].sso.client_id: must not contain spaces`},
		{"no secret variable", replace("client_secret_env: ACME_OIDC_SECRET\n", ""), `tenants[0].sso.client_secret_env: required`},
		{"secret variable of srg's", replace("ACME_OIDC_SECRET", "SRG_OIDC"), `tenants[0].sso.client_secret_env: must not start with SRG_`},
		{"secret variable malformed", replace("ACME_OIDC_SECRET", "\"acme secret\""), `tenants[0].sso.client_secret_env: must be an environment variable name`},
		{"domain with a scheme", replace("acme-labs.example", "\"https://acme.example\""), `tenants[0].sso.allowed_domains[1]: "https://acme.example" is not a lower-case email domain`},
		{"domain in capitals", replace("acme-labs.example", "ACME.example"), `tenants[0].sso.allowed_domains[1]`},
		{"domain twice", replace("acme-labs.example", "acme.example"), `tenants[0].sso.allowed_domains[1]: "acme.example" is listed twice`},
		{"claim with a space", goodSSO + "\ngroups_claim: \"my groups\"", `tenants[0].sso.groups_claim: must be a claim name`},
		{"no group roles", strings.Split(goodSSO, "group_roles:")[0], `tenants[0].sso.group_roles: required`},
		{"unknown role", replace("marketer", "superuser"), `tenants[0].sso.group_roles["Marketing Team"]: role "superuser" must be one of owner, admin, marketer, analyst, viewer`},
		{"blank group", replace(`"Marketing Team"`, `" "`), `tenants[0].sso.group_roles[" "]: a group name must be`},
		{"group roles not a map", strings.Split(goodSSO, "group_roles:")[0] + "group_roles: [a, b]", `tenants[0].sso.group_roles`},
		{"unknown key", goodSSO + "\nclient_secret: hunter2", `tenants[0].sso.client_secret: unknown key`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse([]byte(ssoTenant(tt.body)), nil)
			if err == nil {
				t.Fatalf("want an error naming %q, got none", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error does not say %q:\n%v", tt.want, err)
			}
		})
	}
}

// TestSSOProblemsOfTheAPI checks the rules the API shares, with the field names it
// reports.
func TestSSOProblemsOfTheAPI(t *testing.T) {
	got := SSO{IssuerURL: "http://idp.example", GroupRoles: map[string]string{"a": "god"}}.Problems()
	want := []FieldProblem{
		{"issuer_url", `"http://idp.example" must use https (http only for a provider on this machine)`},
		{"client_id", "required: SRG's client id at the identity provider"},
		{`group_roles["a"]`, `role "god" must be one of owner, admin, marketer, analyst, viewer`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("problems (-want +got):\n%s", diff)
	}
}

// TestExampleSSOIsValid uncomments the sso block of the example file's tenant and
// loads it, so the documented keys stay right.
func TestExampleSSOIsValid(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "srg.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	commented := regexp.MustCompile(`(?m)^    # (sso:|  .*)$`)
	on := commented.ReplaceAllString(string(raw), "    $1")
	if on == string(raw) || !strings.Contains(on, "\n    sso:\n") {
		t.Fatal("the example declares no commented sso block under its tenant")
	}
	cfg, err := parse([]byte(on), []string{"SRG_SECRETS_KEY=" + testKey})
	if err != nil {
		t.Fatalf("example with its sso block: %v", err)
	}
	if s := cfg.Tenants[0].SSO; !s.Declared() || len(s.GroupRoles) == 0 {
		t.Fatalf("sso block not read: %+v", s)
	}
}
