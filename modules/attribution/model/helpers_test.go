package model

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// conv is the conversion instant of the hand-worked journeys.
var conv = time.Date(2025, 3, 31, 12, 0, 0, 0, time.UTC)

// journey builds a journey converting at conv from compact specs
// "CHANNEL[:FLAGS][#TYPE]@DAYS": FLAGS are f (first touch), l (lead creation),
// o (opportunity creation), w (closed-won), d (direct); DAYS is the offset from conv.
// The type defaults to pageview.
func journey(t *testing.T, specs ...string) Journey {
	t.Helper()
	j := Journey{ConvertedAt: conv}
	for _, s := range specs {
		s, days, ok := strings.Cut(s, "@")
		if !ok {
			t.Fatalf("spec %q: no @DAYS", s)
		}
		d, err := strconv.ParseFloat(days, 64)
		if err != nil {
			t.Fatalf("spec %q: %v", s, err)
		}
		tc := Touch{At: conv.Add(time.Duration(d * 24 * float64(time.Hour))), Type: "pageview"}
		if head, typ, ok := strings.Cut(s, "#"); ok {
			s, tc.Type = head, typ
		}
		ch, flags, _ := strings.Cut(s, ":")
		tc.Channel = ch
		for _, f := range flags {
			switch f {
			case 'f':
				tc.Milestones |= FirstTouch
			case 'l':
				tc.Milestones |= LeadCreation
			case 'o':
				tc.Milestones |= OpportunityCreation
			case 'w':
				tc.Milestones |= ClosedWon
			case 'd':
				tc.Direct = true
			default:
				t.Fatalf("spec %q: unknown flag %q", s, f)
			}
		}
		j.Touches = append(j.Touches, tc)
	}
	return j
}

// approx compares fractions to 1e-12: the hand-worked values are exact rationals that
// floating point can only approach.
var approx = cmpopts.EquateApprox(0, 1e-12)

// mustModel returns the named model with the default parameters.
func mustModel(t testing.TB, name string) Model {
	t.Helper()
	m, err := ByName(name, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkWeights runs m over j twice, once into a dirty reused buffer, and compares both
// with want.
func checkWeights(t *testing.T, m Model, j Journey, want []float64) {
	t.Helper()
	got := m.Weights(j, nil)
	if diff := cmp.Diff(want, got, approx, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s weights (-want +got):\n%s", m.Name(), diff)
	}
	dirty := make([]float64, len(j.Touches), len(j.Touches)+3)
	for i := range dirty {
		dirty[i] = 7
	}
	again := m.Weights(j, dirty)
	if diff := cmp.Diff(got, again, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s weights into a reused buffer differ (-fresh +reused):\n%s", m.Name(), diff)
	}
}

// randomJourney makes a journey of 0 to maxTouches touches with random channels,
// types, direct flags, milestones and times (sorted, with ties), converting at conv.
func randomJourney(r *rand.Rand, maxTouches int) Journey {
	n := r.IntN(maxTouches + 1)
	j := Journey{ConvertedAt: conv, Touches: make([]Touch, n)}
	at := conv.Add(-time.Duration(r.IntN(120*24)) * time.Hour)
	channels := []string{"organic", "paid_search", "email", "social", "direct", "referral"}
	types := []string{"pageview", "form", "download", "custom"}
	for i := range j.Touches {
		if r.IntN(4) > 0 { // a quarter of touches tie with the previous one
			at = at.Add(time.Duration(r.IntN(72*60)) * time.Minute)
		}
		tc := Touch{
			At:      at,
			Channel: channels[r.IntN(len(channels))],
			Type:    types[r.IntN(len(types))],
			Direct:  r.IntN(3) == 0,
		}
		if r.IntN(5) == 0 {
			tc.Milestones = Milestone(r.IntN(16))
		}
		j.Touches[i] = tc
	}
	return j
}
