package model

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/app/errs"
)

func TestByNameKnowsEveryName(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range Names() {
		if seen[name] {
			t.Errorf("%s listed twice", name)
		}
		seen[name] = true
		m, err := ByName(name, DefaultParams())
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if m.Name() != name {
			t.Errorf("ByName(%q).Name() = %q", name, m.Name())
		}
		if m.Version() != 1 {
			t.Errorf("%s: version %d, want 1", name, m.Version())
		}
	}
	if len(seen) != 12 {
		t.Errorf("%d models, want 12", len(seen))
	}
	m, err := ByName(AliasZShaped, DefaultParams())
	if err != nil || m.Name() != NameFullPath {
		t.Errorf("ByName(z_shaped) = %v, %v; want full_path", m, err)
	}
}

func TestByNameErrors(t *testing.T) {
	tests := []struct {
		name   string
		model  string
		params func(*Params)
		fields []string // every field the error names, in order
	}{
		{name: "unknown model", model: "markov_99", fields: []string{"model"}},
		{name: "empty model name", model: "", fields: []string{"model"}},
		{name: "zero half-life", model: NameTimeDecay, params: func(p *Params) { p.HalfLife = 0 }, fields: []string{"half_life"}},
		{name: "negative half-life", model: NameTimeDecay, params: func(p *Params) { p.HalfLife = -time.Hour }, fields: []string{"half_life"}},
		{name: "negative middle", model: NameCustom, params: func(p *Params) { p.Custom.Middle = -1 }, fields: []string{"custom.middle"}},
		{name: "NaN first", model: NameCustom, params: func(p *Params) { p.Custom.First = math.NaN() }, fields: []string{"custom.first"}},
		{name: "infinite lead", model: NameCustom, params: func(p *Params) { p.Custom.Lead = math.Inf(1) }, fields: []string{"custom.lead"}},
		{
			name:   "every bad weight at once",
			model:  NameCustom,
			params: func(p *Params) { p.Custom = CustomWeights{Opportunity: -1, ClosedWon: -2} },
			fields: []string{"custom.opportunity", "custom.closed_won"},
		},
		{name: "all zero", model: NameCustom, params: func(p *Params) { p.Custom = CustomWeights{} }, fields: []string{"custom"}},
		{
			name:  "bad multipliers, sorted by type",
			model: NameCustom,
			params: func(p *Params) {
				p.Custom.TypeMultipliers = map[string]float64{"pageview": -1, "form": math.NaN(), "download": 2}
			},
			fields: []string{"custom.type_multipliers.form", "custom.type_multipliers.pageview"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultParams()
			if tt.params != nil {
				tt.params(&p)
			}
			m, err := ByName(tt.model, p)
			if err == nil {
				t.Fatalf("got model %s, want an error", m.Name())
			}
			if diff := cmp.Diff(tt.fields, fieldsOf(err)); diff != "" {
				t.Errorf("fields of %q (-want +got):\n%s", err, diff)
			}
			if k := errs.KindOf(err); k != errs.KindInvalid {
				t.Errorf("kind %s, want invalid", k)
			}
		})
	}
}

// TestParamsOnlyCheckedWhereUsed: a tenant with a broken custom model can still use
// the others.
func TestParamsOnlyCheckedWhereUsed(t *testing.T) {
	bad := Params{HalfLife: -1, Custom: CustomWeights{Middle: -1}}
	for _, name := range Names() {
		_, err := ByName(name, bad)
		if (err != nil) != (name == NameTimeDecay || name == NameCustom) {
			t.Errorf("%s with bad params: error %v", name, err)
		}
	}
	if diff := cmp.Diff([]string{"half_life", "custom.middle"}, fieldsOf(bad.Validate())); diff != "" {
		t.Errorf("Params.Validate fields (-want +got):\n%s", diff)
	}
	if err := DefaultParams().Validate(); err != nil {
		t.Errorf("default params: %v", err)
	}
}

// TestCustomCopiesMultipliers: editing the settings map after building the model must
// not change credits computed with it.
func TestCustomCopiesMultipliers(t *testing.T) {
	p := DefaultParams()
	p.Custom.TypeMultipliers = map[string]float64{"form": 3}
	m, err := ByName(NameCustom, p)
	if err != nil {
		t.Fatal(err)
	}
	j := journey(t, "A#form@-1", "B@0")
	before := m.Weights(j, nil)
	p.Custom.TypeMultipliers["form"] = 0
	if diff := cmp.Diff(before, m.Weights(j, nil)); diff != "" {
		t.Errorf("weights changed with the caller's map (-before +after):\n%s", diff)
	}
}

func TestMilestoneString(t *testing.T) {
	tests := []struct {
		m    Milestone
		want string
	}{
		{0, "none"},
		{FirstTouch, "first_touch"},
		{FirstTouch | LeadCreation, "first_touch|lead_creation"},
		{OpportunityCreation | ClosedWon, "opportunity_creation|closed_won"},
		{ClosedWon | 1<<6, "closed_won|unknown"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("Milestone(%d).String() = %q, want %q", tt.m, got, tt.want)
		}
	}
	if !(FirstTouch | LeadCreation).Has(LeadCreation) || FirstTouch.Has(LeadCreation) || FirstTouch.Has(0) {
		t.Error("Has is wrong")
	}
}

// fieldsOf lists the fields named by err and, for a joined error, by each part.
func fieldsOf(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var fields []string
		for _, e := range j.Unwrap() {
			fields = append(fields, fieldsOf(e)...)
		}
		return fields
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return []string{e.Field}
	}
	return nil
}
