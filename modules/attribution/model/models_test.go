package model

import (
	"testing"
	"time"
)

// The shared hand-worked journeys. Days are offsets from the conversion, so time decay
// (half-life 7 days) weighs a touch 2^(days/7).
var fixtures = []struct {
	name  string
	specs []string
}{
	{"empty", nil},
	// One touch that is also the first touch and the lead creation.
	{"one", []string{"A:fl@0"}},
	// Two touches, no milestones; the last is direct.
	{"two", []string{"A@-7", "B:d@0"}},
	// Two touches at the same instant: slice order decides first and last.
	{"tie", []string{"A@-7", "B@-7"}},
	// Every milestone on its own touch; C is direct.
	{"five", []string{"A:f@-28", "B:l@-21", "C:d@-14", "D:o@-7", "E:w@0"}},
	// Milestones sharing touches: lead on the first touch, won on the opportunity touch.
	{"shared", []string{"A:fl@-28", "B@-21", "C:ow@-14", "D@-7", "E@0"}},
	// No milestones at all (a lead-less opportunity, say).
	{"missing", []string{"A@-28", "B@-21", "C@-14", "D@-7", "E@0"}},
	// Only direct touches.
	{"direct", []string{"A:d@-14", "B:d@-7", "C:d@0"}},
}

const (
	third     = 1.0 / 3
	fifteenth = 0.2 / 3 // 20% shared by three middle touches
	thirtieth = 0.1 / 3 // 10% shared by three rest touches
)

// want holds, per model and fixture, the fractions worked out by hand in the comments.
var want = map[string]map[string][]float64{
	NameFirstTouch: {
		"empty": nil, "one": {1}, "two": {1, 0}, "tie": {1, 0},
		"five": {1, 0, 0, 0, 0}, "shared": {1, 0, 0, 0, 0}, "missing": {1, 0, 0, 0, 0},
		"direct": {1, 0, 0},
	},
	NameLastTouch: {
		"empty": nil, "one": {1}, "two": {0, 1}, "tie": {0, 1},
		"five": {0, 0, 0, 0, 1}, "shared": {0, 0, 0, 0, 1}, "missing": {0, 0, 0, 0, 1},
		"direct": {0, 0, 1},
	},
	NameLastNonDirect: {
		"empty": nil, "one": {1},
		// B is direct, so A, the last non-direct touch, takes it all.
		"two": {1, 0}, "tie": {0, 1},
		// C is direct but E, the last, is not.
		"five": {0, 0, 0, 0, 1}, "shared": {0, 0, 0, 0, 1}, "missing": {0, 0, 0, 0, 1},
		// All direct: fall back to the last touch.
		"direct": {0, 0, 1},
	},
	NameLinear: {
		"empty": nil, "one": {1}, "two": {0.5, 0.5}, "tie": {0.5, 0.5},
		"five": {0.2, 0.2, 0.2, 0.2, 0.2}, "shared": {0.2, 0.2, 0.2, 0.2, 0.2},
		"missing": {0.2, 0.2, 0.2, 0.2, 0.2}, "direct": {third, third, third},
	},
	NamePositionBased: {
		// One touch is first and last: 0.4+0.4, no rest, normalised to 1.
		"empty": nil, "one": {1},
		// Two touches: 0.4/0.4 and no middle, so the 0.2 splits 50/50.
		"two": {0.5, 0.5}, "tie": {0.5, 0.5},
		// Five: 0.4, three middles of 0.2/3, 0.4; milestones play no part.
		"five":    {0.4, fifteenth, fifteenth, fifteenth, 0.4},
		"shared":  {0.4, fifteenth, fifteenth, fifteenth, 0.4},
		"missing": {0.4, fifteenth, fifteenth, fifteenth, 0.4},
		"direct":  {0.4, 0.2, 0.4},
	},
	NameUShaped: {
		// One touch carrying first and lead: 0.8, no rest → 1.
		"empty": nil, "one": {1},
		// No lead-creation touch: position-based.
		"two": {0.5, 0.5}, "tie": {0.5, 0.5},
		// A first 0.4, B lead 0.4, C D E share 0.2.
		"five": {0.4, 0.4, fifteenth, fifteenth, fifteenth},
		// Lead on the first touch: A gets 0.8, four others share 0.2 (0.05 each).
		"shared": {0.8, 0.05, 0.05, 0.05, 0.05},
		// No lead: position-based.
		"missing": {0.4, fifteenth, fifteenth, fifteenth, 0.4},
		"direct":  {0.4, 0.2, 0.4},
	},
	NameWShaped: {
		"empty": nil, "one": {1},
		// Lead and opportunity missing: their 0.6 goes to the only present anchor, the
		// first touch (0.9); B is the rest (0.1).
		"two": {0.9, 0.1}, "tie": {0.9, 0.1},
		// A, B, D 0.3 each; C and E share 0.1.
		"five": {0.3, 0.3, 0.05, 0.3, 0.05},
		// A is first and lead (0.6), C the opportunity (0.3), B D E share 0.1.
		"shared":  {0.6, thirtieth, 0.3, thirtieth, thirtieth},
		"missing": {0.9, 0.025, 0.025, 0.025, 0.025},
		"direct":  {0.9, 0.05, 0.05},
	},
	NameFullPath: {
		"empty": nil, "one": {1},
		// Only the first-touch anchor is present: it gets all 0.9.
		"two": {0.9, 0.1}, "tie": {0.9, 0.1},
		// A B D E 0.225 each, C the rest 0.1.
		"five": {0.225, 0.225, 0.1, 0.225, 0.225},
		// A first+lead 0.45, C opportunity+won 0.45, B D E share 0.1.
		"shared":  {0.45, thirtieth, 0.45, thirtieth, thirtieth},
		"missing": {0.9, 0.025, 0.025, 0.025, 0.025},
		"direct":  {0.9, 0.05, 0.05},
	},
	NameJShaped: {
		"empty": nil, "one": {1},
		// 0.2 and 0.6 with no middle: proportionally 0.25/0.75.
		"two": {0.25, 0.75}, "tie": {0.25, 0.75},
		"five":    {0.2, fifteenth, fifteenth, fifteenth, 0.6},
		"shared":  {0.2, fifteenth, fifteenth, fifteenth, 0.6},
		"missing": {0.2, fifteenth, fifteenth, fifteenth, 0.6},
		"direct":  {0.2, 0.2, 0.6},
	},
	NameInverseJ: {
		"empty": nil, "one": {1},
		"two": {0.75, 0.25}, "tie": {0.75, 0.25},
		"five":    {0.6, fifteenth, fifteenth, fifteenth, 0.2},
		"shared":  {0.6, fifteenth, fifteenth, fifteenth, 0.2},
		"missing": {0.6, fifteenth, fifteenth, fifteenth, 0.2},
		"direct":  {0.6, 0.2, 0.2},
	},
	NameTimeDecay: {
		"empty": nil, "one": {1},
		// Ages 7 and 0 days: weights 1/2 and 1, so 1/3 and 2/3.
		"two": {third, 2 * third},
		// Same instant, same weight.
		"tie": {0.5, 0.5},
		// Ages 28..0 days: 1/16, 1/8, 1/4, 1/2, 1, which sum to 31/16.
		"five":    {1.0 / 31, 2.0 / 31, 4.0 / 31, 8.0 / 31, 16.0 / 31},
		"shared":  {1.0 / 31, 2.0 / 31, 4.0 / 31, 8.0 / 31, 16.0 / 31},
		"missing": {1.0 / 31, 2.0 / 31, 4.0 / 31, 8.0 / 31, 16.0 / 31},
		// Ages 14, 7, 0: 1/4, 1/2, 1 over 7/4.
		"direct": {1.0 / 7, 2.0 / 7, 4.0 / 7},
	},
	// The default custom weights are full path's 22.5 × 4 + 10, except that closed-won
	// falls back to the last touch.
	NameCustom: {
		"empty": nil, "one": {1},
		// First 22.5 and last 22.5 (as closed-won); lead and opportunity missing, so
		// 45 each, no rest: 50/50.
		"two": {0.5, 0.5}, "tie": {0.5, 0.5},
		"five":   {0.225, 0.225, 0.1, 0.225, 0.225},
		"shared": {0.45, thirtieth, 0.45, thirtieth, thirtieth},
		// A 45 and E 45 (lead and opportunity redistributed), B C D share 10.
		"missing": {0.45, thirtieth, thirtieth, thirtieth, 0.45},
		"direct":  {0.45, 0.1, 0.45},
	},
}

func TestModelsHandWorked(t *testing.T) {
	for _, name := range Names() {
		byFixture, ok := want[name]
		if !ok {
			t.Errorf("model %s has no hand-worked examples", name)
			continue
		}
		m := mustModel(t, name)
		for _, f := range fixtures {
			w, ok := byFixture[f.name]
			if !ok {
				t.Errorf("model %s has no example for fixture %s", name, f.name)
				continue
			}
			t.Run(name+"/"+f.name, func(t *testing.T) {
				checkWeights(t, m, journey(t, f.specs...), w)
			})
		}
	}
}

// TestModelsEdgeCases covers rules that the shared fixtures do not reach.
func TestModelsEdgeCases(t *testing.T) {
	tests := []struct {
		name   string
		model  string
		params func(*Params)
		specs  []string
		want   []float64
	}{{
		name:  "last non-direct skips trailing direct touches",
		model: NameLastNonDirect,
		specs: []string{"A@-3", "B@-2", "C:d@-1", "D:d@0"},
		want:  []float64{0, 1, 0, 0},
	}, {
		name:  "u-shaped two touches with the lead on the last: 0.4/0.4",
		model: NameUShaped,
		specs: []string{"A@-1", "B:l@0"},
		want:  []float64{0.5, 0.5},
	}, {
		name:  "u-shaped two touches with the lead on the first: 0.8 and rest 0.2",
		model: NameUShaped,
		specs: []string{"A:l@-1", "B@0"},
		want:  []float64{0.8, 0.2},
	}, {
		name:  "u-shaped uses the earliest lead-creation touch",
		model: NameUShaped,
		specs: []string{"A@-3", "B:l@-2", "C:l@-1", "D@0"},
		want:  []float64{0.4, 0.4, 0.1, 0.1},
	}, {
		name:  "w-shaped three anchors and no rest: thirds",
		model: NameWShaped,
		specs: []string{"A@-2", "B:l@-1", "C:o@0"},
		want:  []float64{third, third, third},
	}, {
		// Present anchors A and B carry 0.6 of the anchors' 0.9: scaled by 1.5.
		name:  "w-shaped without opportunity creation: 45/45 and 10 shared",
		model: NameWShaped,
		specs: []string{"A@-3", "B:l@-2", "C@-1", "D@0"},
		want:  []float64{0.45, 0.45, 0.05, 0.05},
	}, {
		// 0.225 × 3 present of 0.9: scaled by 4/3 to 0.3 each, W-shaped exactly.
		name:  "full path of an open opportunity equals w-shaped",
		model: NameFullPath,
		specs: []string{"A@-4", "B:l@-3", "C@-2", "D:o@-1", "E@0"},
		want:  []float64{0.3, 0.3, 0.05, 0.3, 0.05},
	}, {
		name:  "z_shaped is full path",
		model: AliasZShaped,
		specs: []string{"A@-4", "B:l@-3", "C@-2", "D:o@-1", "E:w@0"},
		want:  []float64{0.225, 0.225, 0.1, 0.225, 0.225},
	}, {
		// Two anchors (0.225 each) on D: 0.45; A 0.225, B 0.225, C and E share 0.1.
		name:  "full path with won on the opportunity touch",
		model: NameFullPath,
		specs: []string{"A@-4", "B:l@-3", "C@-2", "D:ow@-1", "E@0"},
		want:  []float64{0.225, 0.225, 0.05, 0.45, 0.05},
	}, {
		name:  "full path with every milestone on the first of two touches",
		model: NameFullPath,
		specs: []string{"A:flow@-1", "B@0"},
		want:  []float64{0.9, 0.1},
	}, {
		// A touch after the conversion counts with age 0, like one at the conversion.
		name:  "time decay touch after the conversion",
		model: NameTimeDecay,
		specs: []string{"A@-7", "B@1", "C@0"},
		want:  []float64{1.0 / 5, 2.0 / 5, 2.0 / 5},
	}, {
		// Half-life 1 day: ages 3 and 0 days weigh 1/8 and 1, so 1/9 and 8/9.
		name:   "time decay half-life one day",
		model:  NameTimeDecay,
		params: func(p *Params) { p.HalfLife = 24 * time.Hour },
		specs:  []string{"A@-3", "B@0"},
		want:   []float64{1.0 / 9, 8.0 / 9},
	}, {
		// Ten years before the conversion with a one-hour half-life: 2^(-87600) would
		// underflow for every touch; relative to the youngest they are 2^-168 and 1.
		name:   "time decay far in the past does not underflow",
		model:  NameTimeDecay,
		params: func(p *Params) { p.HalfLife = time.Hour },
		specs:  []string{"A@-3657", "B@-3650"},
		want:   []float64{0x1p-168 / (1 + 0x1p-168), 1 / (1 + 0x1p-168)},
	}, {
		// Raw: A first 30 × 0.5 = 15, B lead 30 × 2 = 60, C rest 5 × 0.5 = 2.5,
		// D opportunity 30 × 1 = 30, E rest 5 × 0.5 = 2.5; total 110.
		name:  "custom with type multipliers",
		model: NameCustom,
		params: func(p *Params) {
			p.Custom = CustomWeights{First: 30, Lead: 30, Opportunity: 30, Middle: 10,
				TypeMultipliers: map[string]float64{"form": 2, "pageview": 0.5}}
		},
		specs: []string{"A@-4", "B:l#form@-3", "C@-2", "D:o#download@-1", "E@0"},
		want:  []float64{15.0 / 110, 60.0 / 110, 2.5 / 110, 30.0 / 110, 2.5 / 110},
	}, {
		// Multipliers zero every touch: the position weights stand, first 2, middle 1,
		// last 1 (closed-won falls back to the last touch), over 4.
		name:  "custom multipliers zeroing the journey are ignored",
		model: NameCustom,
		params: func(p *Params) {
			p.Custom = CustomWeights{First: 2, ClosedWon: 1, Middle: 1,
				TypeMultipliers: map[string]float64{"pageview": 0}}
		},
		specs: []string{"A@-2", "B@-1", "C@0"},
		want:  []float64{0.5, 0.25, 0.25},
	}, {
		name:   "custom closed-won goes to the won touch when marked",
		model:  NameCustom,
		params: func(p *Params) { p.Custom = CustomWeights{ClosedWon: 1} },
		specs:  []string{"A@-2", "B:w@-1", "C@0"},
		want:   []float64{0, 1, 0},
	}, {
		name:   "custom closed-won falls back to the last touch",
		model:  NameCustom,
		params: func(p *Params) { p.Custom = CustomWeights{ClosedWon: 1} },
		specs:  []string{"A@-2", "B@-1", "C@0"},
		want:   []float64{0, 0, 1},
	}, {
		// The only weighted anchor is missing: its share joins the rest, all three.
		name:   "custom with only a missing anchor weighted is linear",
		model:  NameCustom,
		params: func(p *Params) { p.Custom = CustomWeights{Lead: 1} },
		specs:  []string{"A@-2", "B@-1", "C@0"},
		want:   []float64{third, third, third},
	}, {
		// A lead touch whose weight is zero is an ordinary middle touch.
		name:   "custom zero-weight anchors are middle touches",
		model:  NameCustom,
		params: func(p *Params) { p.Custom = CustomWeights{First: 1, ClosedWon: 1, Middle: 1} },
		specs:  []string{"A@-3", "B:l@-2", "C:o@-1", "D@0"},
		want:   []float64{third, third / 2, third / 2, third},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultParams()
			if tt.params != nil {
				tt.params(&p)
			}
			m, err := ByName(tt.model, p)
			if err != nil {
				t.Fatal(err)
			}
			checkWeights(t, m, journey(t, tt.specs...), tt.want)
		})
	}
}

// TestTimeDecayWithoutConversionTime measures ages to the last touch.
func TestTimeDecayWithoutConversionTime(t *testing.T) {
	j := journey(t, "A@-14", "B@-7")
	j.ConvertedAt = time.Time{}
	// Ages to B: 7 and 0 days, weights 1/2 and 1.
	checkWeights(t, mustModel(t, NameTimeDecay), j, []float64{third, 2 * third})
}
