package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// propertyModels are every model with the default parameters plus custom and time
// decay variants, so the properties cover more than one set of weights.
func propertyModels(t *testing.T, r *rand.Rand) []Model {
	t.Helper()
	var ms []Model
	for _, name := range Names() {
		ms = append(ms, mustModel(t, name))
	}
	for range 5 {
		p := DefaultParams()
		p.HalfLife = time.Duration(1+r.IntN(30*24)) * time.Hour
		p.Custom = CustomWeights{
			First: float64(r.IntN(3)), Lead: float64(r.IntN(3)), Opportunity: float64(r.IntN(3)),
			ClosedWon: float64(r.IntN(3)), Middle: 1 + float64(r.IntN(3)),
			TypeMultipliers: map[string]float64{"form": float64(r.IntN(4)), "pageview": float64(r.IntN(2))},
		}
		for _, name := range []string{NameTimeDecay, NameCustom} {
			m, err := ByName(name, p)
			if err != nil {
				t.Fatal(err)
			}
			ms = append(ms, m)
		}
	}
	return ms
}

// TestWeightsAreFractions: for any journey, every model's fractions are finite,
// non-negative and sum to 1 within 1e-12; an empty journey gets none.
func TestWeightsAreFractions(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ms := propertyModels(t, r)
	var out []float64
	for range 3000 {
		j := randomJourney(r, 40)
		for _, m := range ms {
			out = m.Weights(j, out)
			if len(out) != len(j.Touches) {
				t.Fatalf("%s: %d fractions for %d touches", m.Name(), len(out), len(j.Touches))
			}
			var sum float64
			for i, w := range out {
				if !(w >= 0) || math.IsInf(w, 0) {
					t.Fatalf("%s: fraction %d is %v in %v", m.Name(), i, w, out)
				}
				sum += w
			}
			if len(out) > 0 && math.Abs(sum-1) > 1e-12 {
				t.Fatalf("%s: fractions sum to %.17g: %v", m.Name(), sum, out)
			}
		}
	}
}

// TestChannelsDoNotMatter: no rule-based model looks at channel names, so relabelling
// every channel (linear and time decay promise this; all of them keep it) leaves the
// fractions unchanged.
func TestChannelsDoNotMatter(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ms := propertyModels(t, r)
	for range 500 {
		j := randomJourney(r, 20)
		relabelled := Journey{ConvertedAt: j.ConvertedAt, Touches: slices.Clone(j.Touches)}
		for i := range relabelled.Touches {
			relabelled.Touches[i].Channel = "x-" + relabelled.Touches[i].Channel + "-" + string(rune('a'+r.IntN(26)))
		}
		for _, m := range ms {
			if diff := cmp.Diff(m.Weights(j, nil), m.Weights(relabelled, nil)); diff != "" {
				t.Fatalf("%s: relabelling channels changed the fractions:\n%s", m.Name(), diff)
			}
		}
	}
}

// TestPermutations: linear gives every touch 1/n in any order, and time decay's
// fraction for a touch depends only on its own time, so shuffling the touches
// shuffles the fractions the same way.
func TestPermutations(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	lin, td := mustModel(t, NameLinear), mustModel(t, NameTimeDecay)
	for range 500 {
		j := randomJourney(r, 20)
		perm := r.Perm(len(j.Touches))
		shuffled := Journey{ConvertedAt: j.ConvertedAt, Touches: make([]Touch, len(j.Touches))}
		for to, from := range perm {
			shuffled.Touches[to] = j.Touches[from]
		}
		for _, m := range []Model{lin, td} {
			before, after := m.Weights(j, nil), m.Weights(shuffled, nil)
			for to, from := range perm {
				if math.Abs(after[to]-before[from]) > 1e-15 {
					t.Fatalf("%s: touch %d got %v before and %v after shuffling", m.Name(), from, before[from], after[to])
				}
			}
		}
	}
}

// TestEndsOnly: first and last touch depend only on the ends of the journey, so
// rewriting every middle touch (milestones, direct flag, type, channel) changes
// nothing, and the end touch takes everything.
func TestEndsOnly(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	first, last := mustModel(t, NameFirstTouch), mustModel(t, NameLastTouch)
	for range 500 {
		j := randomJourney(r, 20)
		n := len(j.Touches)
		if n == 0 {
			continue
		}
		changed := Journey{ConvertedAt: j.ConvertedAt, Touches: slices.Clone(j.Touches)}
		for i := 1; i < n-1; i++ {
			changed.Touches[i] = Touch{At: j.Touches[i].At, Channel: "other", Type: "form",
				Direct: !j.Touches[i].Direct, Milestones: Milestone(r.IntN(16))}
		}
		for _, c := range []struct {
			m   Model
			end int
		}{{first, 0}, {last, n - 1}} {
			got := c.m.Weights(changed, nil)
			if diff := cmp.Diff(c.m.Weights(j, nil), got); diff != "" {
				t.Fatalf("%s: middle touches changed the fractions:\n%s", c.m.Name(), diff)
			}
			if got[c.end] != 1 {
				t.Fatalf("%s: end touch %d got %v", c.m.Name(), c.end, got[c.end])
			}
		}
	}
}

// TestDirectOnlyMattersToLastNonDirect: the direct flag is read by last non-direct
// alone.
func TestDirectOnlyMattersToLastNonDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	ms := propertyModels(t, r)
	for range 300 {
		j := randomJourney(r, 20)
		flipped := Journey{ConvertedAt: j.ConvertedAt, Touches: slices.Clone(j.Touches)}
		for i := range flipped.Touches {
			flipped.Touches[i].Direct = !flipped.Touches[i].Direct
		}
		for _, m := range ms {
			if m.Name() == NameLastNonDirect {
				continue
			}
			if diff := cmp.Diff(m.Weights(j, nil), m.Weights(flipped, nil)); diff != "" {
				t.Fatalf("%s: flipping direct flags changed the fractions:\n%s", m.Name(), diff)
			}
		}
	}
}

// TestWeightsDoNotAllocate: with a buffer of enough capacity, no model allocates, so a
// pass over a tenant's journeys costs no garbage.
func TestWeightsDoNotAllocate(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	j := randomJourney(r, 30)
	for len(j.Touches) < 10 {
		j = randomJourney(r, 30)
	}
	out := make([]float64, 0, 64)
	parts := make([]float64, 0, 64)
	for _, m := range propertyModels(t, r) {
		allocs := testing.AllocsPerRun(100, func() {
			out = m.Weights(j, out)
			parts = Credit(1234.56, out, parts)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per journey", m.Name(), allocs)
		}
	}
}
