package model

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestCredit(t *testing.T) {
	tests := []struct {
		name      string
		amount    float64
		fractions []float64
		want      []float64 // nil: only check the sum
	}{
		{name: "no touches", amount: 100, fractions: nil, want: []float64{}},
		{name: "zero amount", amount: 0, fractions: []float64{third, third, third}, want: []float64{0, 0, 0}},
		{name: "one touch", amount: 99.99, fractions: []float64{1}, want: []float64{99.99}},
		{name: "halves", amount: 100, fractions: []float64{0.5, 0.5}, want: []float64{50, 50}},
		{name: "position based", amount: 1000, fractions: []float64{0.4, 0.2, 0.4}, want: []float64{400, 200, 400}},
		{name: "one cent in thirds", amount: 0.01, fractions: []float64{third, third, third}},
		{name: "a billion and seven cents in thirds", amount: 1e9 + 0.07, fractions: []float64{third, third, third}},
		{name: "thirds of one", amount: 1, fractions: []float64{third, third, third}},
		{name: "time decay fifths", amount: 1e9 + 0.07, fractions: []float64{1.0 / 31, 2.0 / 31, 4.0 / 31, 8.0 / 31, 16.0 / 31}},
		{name: "refund", amount: -250.13, fractions: []float64{0.9, 0.025, 0.025, 0.025, 0.025}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Credit(tt.amount, tt.fractions, nil)
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("credits (-want +got):\n%s", diff)
				}
			}
			checkSum(t, tt.amount, got)
			// Every part but the largest is amount × fraction untouched, and the largest
			// is within a rounding error of it.
			big := 0
			for i := range got {
				if math.Abs(got[i]) > math.Abs(got[big]) {
					big = i
				}
			}
			for i, f := range tt.fractions {
				exact := tt.amount * f
				if i != big && got[i] != exact || math.Abs(got[i]-exact) > 1e-6 {
					t.Errorf("part %d is %.17g, want %.17g", i, got[i], exact)
				}
			}
		})
	}
}

// TestCreditSums: credits from real model fractions sum to the amount within 1e-6
// (exactly, in practice) and are non-negative for non-negative amounts.
func TestCreditSums(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	ms := propertyModels(t, r)
	var fr, parts []float64
	for range 2000 {
		j := randomJourney(r, 40)
		// Amounts from cents to billions, in whole cents as CRMs store them.
		amount := math.Round(math.Pow(10, r.Float64()*11)) / 100
		for _, m := range ms {
			fr = m.Weights(j, fr)
			parts = Credit(amount, fr, parts)
			for i, c := range parts {
				if c < 0 {
					t.Fatalf("%s: negative credit %v at %d", m.Name(), c, i)
				}
			}
			checkSum(t, amount, parts)
			if t.Failed() {
				t.Fatalf("%s: fractions %v", m.Name(), fr)
			}
		}
	}
}

// checkSum checks that the exact sum of the parts (in arbitrary precision) is the
// amount within one unit in the last place of the largest part, hence within 1e-6 for
// amounts below 2^30; and that naive float64 sums, forwards and backwards, stay within
// the usual bound of one unit in the last place of the amount per addition.
func checkSum(t *testing.T, amount float64, parts []float64) {
	t.Helper()
	if len(parts) == 0 {
		return
	}
	exact := new(big.Float).SetPrec(2200)
	var largest, forward, reverse float64
	for i, c := range parts {
		exact.Add(exact, new(big.Float).SetFloat64(c))
		largest = max(largest, math.Abs(c))
		forward += c
		reverse += parts[len(parts)-1-i]
	}
	diff, _ := new(big.Float).Sub(exact, new(big.Float).SetFloat64(amount)).Float64()
	if math.Abs(diff) > ulp(largest) || math.Abs(amount) < 1<<30 && math.Abs(diff) > 1e-6 {
		t.Errorf("credits %v: exact sum is %g away from %.17g", parts, diff, amount)
	}
	bound := float64(len(parts)) * ulp(math.Abs(amount))
	if math.Abs(forward-amount) > bound || math.Abs(reverse-amount) > bound {
		t.Errorf("credits %v sum to %.17g forwards and %.17g backwards, want %.17g ± %g", parts, forward, reverse, amount, bound)
	}
}

// ulp is the spacing of floats at x ≥ 0.
func ulp(x float64) float64 { return math.Nextafter(x, math.Inf(1)) - x }
