// Package authz decides who may do what in which tenant, with Casbin (RBAC with
// domains, the domain being the tenant). The permission model and the default matrix
// ship in config/; the matrix is copied into the casbin_rule table (gorm adapter) at
// start, and a user's role in a tenant is their row in tenant_members. Every instance
// reloads both when either changes (Postgres LISTEN/NOTIFY).
package authz

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"github.com/srgplatform/srg/app/config"
	shipped "github.com/srgplatform/srg/config"
)

// Resources are the things a route's permission may name, besides Self.
var Resources = []string{
	"dashboards", "journeys", "campaigns", "touchpoints", "exports",
	"settings.attribution", "settings.channels", "settings.tracking", "settings.connectors",
	"settings.warehouse", "settings.users", "audit",
}

// Actions are what a permission allows on a resource.
var Actions = []string{"read", "write"}

// Self is the resource of routes about the signed-in user themselves (their account,
// their tenants): any principal may use them, in no tenant.
const Self = "self"

// AnyTenant is the domain of a rule that holds in every tenant.
const AnyTenant = "*"

// Rule is one permission of the matrix: Role may Action on Resource in Tenant
// (AnyTenant, or a tenant id).
type Rule struct {
	Role, Tenant, Resource, Action string
}

func (r Rule) values() []string { return []string{r.Role, r.Tenant, r.Resource, r.Action} }

// Definitions are a parsed and checked permission model and default matrix.
type Definitions struct {
	Model model.Model
	Rules []Rule
	// Source names where the rules came from, for logs and the audit log.
	Source string
}

// LoadDefinitions reads the model and the matrix named by cfg, or the built-in ones
// for empty paths, and checks them; errors name the file and line at fault.
func LoadDefinitions(cfg config.Access) (Definitions, error) {
	modelText, modelName, err := readOr(cfg.ModelFile, shipped.RBACModel, "built-in rbac_model.conf")
	if err != nil {
		return Definitions{}, err
	}
	policyText, policyName, err := readOr(cfg.PolicyFile, shipped.RBACPolicy, "built-in rbac_policy.csv")
	if err != nil {
		return Definitions{}, err
	}
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return Definitions{}, fmt.Errorf("authz: model %s: %w", modelName, err)
	}
	if err := checkModel(m); err != nil {
		return Definitions{}, fmt.Errorf("authz: model %s: %w", modelName, err)
	}
	rules, err := ParsePolicy(policyText)
	if err != nil {
		return Definitions{}, fmt.Errorf("authz: policy %s: %w", policyName, err)
	}
	d := Definitions{Model: m, Rules: rules, Source: policyName}
	if err := d.tryMatcher(); err != nil {
		return Definitions{}, fmt.Errorf("authz: model %s: %w", modelName, err)
	}
	return d, nil
}

func readOr(path, builtin, builtinName string) (text, name string, err error) {
	if path == "" {
		return builtin, builtinName, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("authz: %w", err)
	}
	return string(b), path, nil
}

// checkModel makes sure the model has the shape the authorizer's requests and the
// membership rules need: r and p of four fields, g with a domain.
func checkModel(m model.Model) error {
	for _, want := range []struct {
		sec    string
		fields int
	}{{"r", 4}, {"p", 4}, {"g", 3}} {
		ast, err := m.GetAssertion(want.sec, want.sec)
		if err != nil {
			return fmt.Errorf("needs a %q definition", want.sec)
		}
		n := len(ast.Tokens)
		if want.sec == "g" {
			n = strings.Count(ast.Value, "_")
		}
		if n != want.fields {
			return fmt.Errorf("%s must have %d fields, has %d (%s)", want.sec, want.fields, n, ast.Value)
		}
	}
	return nil
}

// tryMatcher runs one request through an in-memory enforcer, so a matcher that names
// unknown fields fails at start rather than on the first request.
func (d Definitions) tryMatcher() error {
	e, err := casbin.NewEnforcer(d.Model.Copy())
	if err != nil {
		return err
	}
	for _, r := range d.Rules {
		if _, err := e.AddPolicy(r.values()); err != nil {
			return err
		}
	}
	r := d.Rules[0]
	if _, err := e.AddGroupingPolicy(subject(1), r.Role, "1"); err != nil {
		return err
	}
	_, err = e.Enforce(subject(1), "1", r.Resource, r.Action)
	return err
}

// ParsePolicy reads a matrix in Casbin's CSV form, one "p, ROLE, TENANT, RESOURCE,
// ACTION" per line, '#' starting a comment. It accepts only known roles, resources and
// actions, and only p rules: users get roles in tenant_members.
func ParsePolicy(text string) ([]Rule, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.Comment = '#'
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1
	var (
		out  []Rule
		seen = map[Rule]bool{}
		errs []error
	)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		rule, err := parseRule(rec)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", line, err))
			continue
		}
		if seen[rule] {
			errs = append(errs, fmt.Errorf("line %d: %s is listed twice", line, strings.Join(rule.values(), ", ")))
			continue
		}
		seen[rule] = true
		out = append(out, rule)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, errors.New("no rules")
	}
	return out, nil
}

func parseRule(rec []string) (Rule, error) {
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	if rec[0] != "p" {
		return Rule{}, fmt.Errorf("only p rules belong here (roles of users are set per tenant), got %q", rec[0])
	}
	if len(rec) != 5 {
		return Rule{}, fmt.Errorf("want p, ROLE, TENANT, RESOURCE, ACTION; got %d fields", len(rec))
	}
	rule := Rule{Role: rec[1], Tenant: rec[2], Resource: rec[3], Action: rec[4]}
	if !ValidRole(rule.Role) {
		return Rule{}, fmt.Errorf("unknown role %q (want one of %s)", rule.Role, strings.Join(config.Roles, ", "))
	}
	if rule.Tenant != AnyTenant {
		if id, err := strconv.ParseInt(rule.Tenant, 10, 64); err != nil || id < 1 {
			return Rule{}, fmt.Errorf("tenant must be %q or a tenant id, got %q", AnyTenant, rule.Tenant)
		}
	}
	if !slices.Contains(Resources, rule.Resource) {
		return Rule{}, fmt.Errorf("unknown resource %q (want one of %s)", rule.Resource, strings.Join(Resources, ", "))
	}
	if !slices.Contains(Actions, rule.Action) {
		return Rule{}, fmt.Errorf("unknown action %q (want read or write)", rule.Action)
	}
	return rule, nil
}

// ValidRole reports whether role is one of the roles (config.Roles).
func ValidRole(role string) bool { return slices.Contains(config.Roles, role) }

// LesserRole returns the one of two roles that ranks lower (owner ranks highest,
// viewer lowest): what an API token may do is bounded by its own role and by its
// user's. A role that does not exist ranks below all, so it is never lifted into a
// valid one.
func LesserRole(a, b string) string {
	ia, ib := slices.Index(config.Roles, a), slices.Index(config.Roles, b)
	if ia < 0 || (ib >= 0 && ia > ib) {
		return a
	}
	return b
}

// subject is the Casbin subject of a user.
func subject(userID int64) string { return "user:" + strconv.FormatInt(userID, 10) }

// domain is the Casbin domain of a tenant.
func domain(tenantID int64) string { return strconv.FormatInt(tenantID, 10) }
