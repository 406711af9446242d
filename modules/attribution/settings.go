package attribution

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/modules/attribution/model"
)

// Settings are a tenant's attribution settings.
type Settings struct {
	// DefaultModel is the model the portal shows first; it is always computed.
	DefaultModel string `json:"default_model"`
	// Models are computed besides the default.
	Models []string `json:"models"`
	// LookbackDays is how far before an opportunity's creation touchpoints count.
	LookbackDays int `json:"lookback_days"`
	// AccountBased credits the touchpoints of everyone at the opportunity's company,
	// not only its contacts.
	AccountBased bool `json:"account_based"`
	// Types are the event types that count; a page view counts only as the first of
	// its session.
	Types []string `json:"touchpoint_types"`
	// ExcludeChannels are channels whose touchpoints never count.
	ExcludeChannels []string `json:"exclude_channels"`
	// MarkovOrder is how many past channels the Markov model's states remember (1-4).
	MarkovOrder int `json:"markov_order"`
	// HalfLifeDays is time decay's half-life.
	HalfLifeDays float64 `json:"half_life_days"`
	// Custom are the custom model's weights.
	Custom CustomWeights `json:"custom"`
}

// CustomWeights are the custom model's shares by position and multipliers by
// event type (see model.CustomWeights).
type CustomWeights struct {
	First           float64            `json:"first"`
	Lead            float64            `json:"lead"`
	Opportunity     float64            `json:"opportunity"`
	ClosedWon       float64            `json:"closed_won"`
	Middle          float64            `json:"middle"`
	TypeMultipliers map[string]float64 `json:"type_multipliers,omitempty"`
}

// DefaultSettings are a new tenant's.
func DefaultSettings() Settings {
	return Settings{
		DefaultModel: model.NameWShaped,
		Models:       append(model.Names(), NameMarkov, NameShapley),
		LookbackDays: 90,
		Types:        []string{"pageview", "form", "download", "identify"},
		HalfLifeDays: 7,
		MarkovOrder:  1,
		Custom:       CustomWeights{First: 30, Lead: 30, Opportunity: 30, ClosedWon: 0, Middle: 10},
	}
}

// Validate reports the first problem, naming its field.
func (s Settings) Validate() error {
	names := append(model.Names(), NameMarkov, NameShapley)
	if !slices.Contains(names, s.DefaultModel) {
		return errs.Invalid("default_model", "unknown model %q", s.DefaultModel)
	}
	for _, m := range s.Models {
		if !slices.Contains(names, m) {
			return errs.Invalid("models", "unknown model %q", m)
		}
	}
	if s.LookbackDays < 1 || s.LookbackDays > 730 {
		return errs.Invalid("lookback_days", "must be from 1 to 730")
	}
	if len(s.Types) == 0 {
		return errs.Invalid("touchpoint_types", "at least one event type must count")
	}
	for _, t := range s.Types {
		if !slices.Contains([]string{"pageview", "form", "download", "outbound", "identify", "track"}, t) {
			return errs.Invalid("touchpoint_types", "unknown event type %q", t)
		}
	}
	if s.MarkovOrder < 1 || s.MarkovOrder > 4 {
		return errs.Invalid("markov_order", "must be from 1 to 4")
	}
	if s.HalfLifeDays <= 0 || s.HalfLifeDays > 365 {
		return errs.Invalid("half_life_days", "must be more than 0 and at most 365")
	}
	return s.params().Validate()
}

func (s Settings) params() model.Params {
	c := s.Custom
	return model.Params{HalfLife: time.Duration(s.HalfLifeDays * float64(24*time.Hour)), Custom: model.CustomWeights{
		First: c.First, Lead: c.Lead, Opportunity: c.Opportunity, ClosedWon: c.ClosedWon, Middle: c.Middle, TypeMultipliers: c.TypeMultipliers}}
}

// modelNames are the models to compute: the default first, then the others once.
func (s Settings) modelNames() []string {
	out := []string{s.DefaultModel}
	for _, m := range s.Models {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// Hash identifies the settings a credit was computed with.
func (s Settings) Hash() string {
	raw, _ := json.Marshal(s)
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}
