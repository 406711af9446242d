package model

import "math"

// Credit splits amount by fractions (as Weights returns them) into out and returns
// out[:len(fractions)], reusing out when its capacity suffices. Each part is
// amount × fraction, except the largest (the earliest of equal parts), which takes
// whatever the others leave: amount minus their sum, added up with compensation so
// that the rounding remainder lands there and nowhere else. The exact sum of the parts
// then differs from the amount by at most a unit in the last place of the largest
// part, so adding them up in any order (Elasticsearch's included) gives back the
// amount within a few units in the last place of the amount: far inside the ±1e-6 the
// credits index promises per opportunity. Amounts are not rounded to cents:
// currencies differ in their minor units and the portal rounds for display.
func Credit(amount float64, fractions []float64, out []float64) []float64 {
	out = resize(out, len(fractions))
	if len(out) == 0 {
		return out
	}
	big := 0
	for i, f := range fractions {
		out[i] = amount * f
		if math.Abs(out[i]) > math.Abs(out[big]) {
			big = i
		}
	}
	// Neumaier's compensated sum of the other parts.
	var sum, comp float64
	for i, c := range out {
		if i == big {
			continue
		}
		t := sum + c
		if math.Abs(sum) >= math.Abs(c) {
			comp += (sum - t) + c
		} else {
			comp += (c - t) + sum
		}
		sum = t
	}
	out[big] = (amount - sum) - comp
	return out
}
