package model

import (
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/srgplatform/srg/app/errs"
)

// Model names, as stored with every credit and chosen in tenant settings.
const (
	NameFirstTouch    = "first_touch"
	NameLastTouch     = "last_touch"
	NameLastNonDirect = "last_non_direct"
	NameLinear        = "linear"
	// NamePositionBased is 40/20/40 on first and last touch.
	NamePositionBased = "position_based"
	// NameUShaped is 40/20/40 on first touch and lead creation (B2B sense).
	NameUShaped = "u_shaped"
	// NameWShaped is 30/30/30 on first touch, lead and opportunity creation, 10 shared.
	NameWShaped = "w_shaped"
	// NameFullPath (also called Z-shaped; ByName accepts AliasZShaped) is 22.5 × 4 on
	// first touch, lead creation, opportunity creation and closed-won, 10 shared.
	NameFullPath = "full_path"
	// NameJShaped is 20% first, 60% last, 20% shared.
	NameJShaped = "j_shaped"
	// NameInverseJ is 60% first, 20% last, 20% shared.
	NameInverseJ = "inverse_j"
	// NameTimeDecay halves a touch's weight every half-life before the conversion.
	NameTimeDecay = "time_decay"
	// NameCustom uses the tenant's CustomWeights.
	NameCustom = "custom"
	// AliasZShaped is accepted by ByName for NameFullPath; credits record NameFullPath.
	AliasZShaped = "z_shaped"
)

// DefaultHalfLife is time decay's half-life when a tenant has not chosen one.
const DefaultHalfLife = 7 * 24 * time.Hour

// Names lists every model ByName knows, in a fixed order for settings pages.
func Names() []string {
	return []string{
		NameFirstTouch, NameLastTouch, NameLastNonDirect, NameLinear,
		NamePositionBased, NameUShaped, NameWShaped, NameFullPath,
		NameJShaped, NameInverseJ, NameTimeDecay, NameCustom,
	}
}

// Params are the tenant-configurable parameters. Each model reads only its own: time
// decay reads HalfLife, custom reads Custom.
type Params struct {
	// HalfLife is time decay's half-life; it must be positive.
	HalfLife time.Duration
	// Custom are the custom model's weights.
	Custom CustomWeights
}

// CustomWeights are the custom model's shares, in any unit (they are normalised), and
// follow the position rules documented on shares: First, Lead, Opportunity and
// ClosedWon go to their anchor touches, Middle is split equally among the others.
// ClosedWon goes to the touch marked closed-won, or to the last touch when none is, so
// open opportunities and leads still credit their latest touch.
type CustomWeights struct {
	First       float64
	Lead        float64
	Opportunity float64
	ClosedWon   float64
	Middle      float64
	// TypeMultipliers scale each touch's weight by its Type after the position shares
	// are placed (form: 2 doubles form fills); types not listed count 1. When the
	// multipliers zero every touch of a journey, they are ignored for that journey.
	TypeMultipliers map[string]float64
}

// DefaultParams are the parameters a new tenant starts with: a 7-day half-life and
// custom weights equal to full path.
func DefaultParams() Params {
	return Params{
		HalfLife: DefaultHalfLife,
		Custom:   CustomWeights{First: 22.5, Lead: 22.5, Opportunity: 22.5, ClosedWon: 22.5, Middle: 10},
	}
}

// Validate reports every problem with the half-life and the custom weights at once,
// each an errs.Invalid naming its field.
func (p Params) Validate() error {
	return errors.Join(validateHalfLife(p.HalfLife), p.Custom.Validate())
}

func validateHalfLife(h time.Duration) error {
	if h <= 0 {
		return errs.Invalid("half_life", "time decay half-life must be positive, got %s", h)
	}
	return nil
}

// Validate reports every problem with the weights at once, each an errs.Invalid naming
// its field: weights must be finite and non-negative and not all zero.
func (c CustomWeights) Validate() error {
	var problems []error
	check := func(field string, w float64) {
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			problems = append(problems, errs.Invalid(field, "%s must be a non-negative number, got %v", field, w))
		}
	}
	check("custom.first", c.First)
	check("custom.lead", c.Lead)
	check("custom.opportunity", c.Opportunity)
	check("custom.closed_won", c.ClosedWon)
	check("custom.middle", c.Middle)
	if len(problems) == 0 && c.First+c.Lead+c.Opportunity+c.ClosedWon+c.Middle == 0 {
		problems = append(problems, errs.Invalid("custom", "custom weights are all zero: at least one of first, lead, opportunity, closed_won, middle must be positive"))
	}
	types := make([]string, 0, len(c.TypeMultipliers))
	for t := range c.TypeMultipliers {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		check("custom.type_multipliers."+t, c.TypeMultipliers[t])
	}
	return errors.Join(problems...)
}

// ByName returns the named model configured with p, checking only the parameters that
// model uses. Unknown names and bad parameters are errs.Invalid errors naming the
// field ("model", "half_life", "custom.middle", ...). The returned model is immutable
// and safe for concurrent use.
func ByName(name string, p Params) (Model, error) {
	switch name {
	case NameFirstTouch:
		return single{name: name, pick: pickFirst}, nil
	case NameLastTouch:
		return single{name: name, pick: pickLast}, nil
	case NameLastNonDirect:
		return single{name: name, pick: pickLastNonDirect}, nil
	case NameLinear:
		return linear{}, nil
	case NamePositionBased:
		return &positional{name: name, s: positionBased()}, nil
	case NameUShaped:
		return &uShaped{
			u:        positional{name: name, s: shares{first: 0.4, lead: 0.4, rest: 0.2}},
			fallback: positional{name: name, s: positionBased()},
		}, nil
	case NameWShaped:
		return &positional{name: name, s: shares{first: 0.3, lead: 0.3, opportunity: 0.3, rest: 0.1}}, nil
	case NameFullPath, AliasZShaped:
		return &positional{name: NameFullPath, s: shares{first: 0.225, lead: 0.225, opportunity: 0.225, closedWon: 0.225, rest: 0.1}}, nil
	case NameJShaped:
		return &positional{name: name, s: shares{first: 0.2, last: 0.6, rest: 0.2}}, nil
	case NameInverseJ:
		return &positional{name: name, s: shares{first: 0.6, last: 0.2, rest: 0.2}}, nil
	case NameTimeDecay:
		if err := validateHalfLife(p.HalfLife); err != nil {
			return nil, err
		}
		return timeDecay{halfLife: p.HalfLife}, nil
	case NameCustom:
		c := p.Custom
		if err := c.Validate(); err != nil {
			return nil, err
		}
		m := &positional{name: name, s: shares{
			first: c.First, lead: c.Lead, opportunity: c.Opportunity,
			closedWon: c.ClosedWon, rest: c.Middle, closedWonOrLast: true,
		}}
		if len(c.TypeMultipliers) > 0 {
			// A copy, so a caller editing its settings cannot change a model in use.
			m.mult = make(map[string]float64, len(c.TypeMultipliers))
			for t, f := range c.TypeMultipliers {
				m.mult[t] = f
			}
		}
		return m, nil
	}
	return nil, errs.Invalid("model", "unknown attribution model %q (known: %s)", name, strings.Join(Names(), ", "))
}

// positionBased are position-based's shares, also U-shaped's fallback.
func positionBased() shares { return shares{first: 0.4, last: 0.4, rest: 0.2} }
