package model

import (
	"math"
	"time"
)

// single gives all the credit to one touch chosen by pick; first touch, last touch and
// last non-direct touch differ only in the choice.
type single struct {
	name string
	pick func(ts []Touch) int
}

func (m single) Name() string { return m.name }
func (m single) Version() int { return 1 }

func (m single) Weights(j Journey, out []float64) []float64 {
	out = resize(out, len(j.Touches))
	if len(out) == 0 {
		return out
	}
	clear(out)
	out[m.pick(j.Touches)] = 1
	return out
}

func pickFirst(ts []Touch) int { return 0 }
func pickLast(ts []Touch) int  { return len(ts) - 1 }

// pickLastNonDirect skips trailing direct touches (a bookmark or typed URL rarely
// explains a conversion) and falls back to the last touch when every touch is direct.
func pickLastNonDirect(ts []Touch) int {
	for i := len(ts) - 1; i >= 0; i-- {
		if !ts[i].Direct {
			return i
		}
	}
	return len(ts) - 1
}

// linear gives every touch the same fraction.
type linear struct{}

func (linear) Name() string { return NameLinear }
func (linear) Version() int { return 1 }

func (linear) Weights(j Journey, out []float64) []float64 {
	out = resize(out, len(j.Touches))
	if len(out) > 0 {
		equal(out)
	}
	return out
}

// timeDecay weighs each touch by 2^(-age/halfLife), the age measured from the touch to
// the conversion. A touch after the conversion (the journey runs through the close
// date) counts with age 0, like a touch at the conversion itself. A zero ConvertedAt
// measures ages to the last touch.
type timeDecay struct {
	halfLife time.Duration
}

func (timeDecay) Name() string { return NameTimeDecay }
func (timeDecay) Version() int { return 1 }

func (m timeDecay) Weights(j Journey, out []float64) []float64 {
	ts := j.Touches
	out = resize(out, len(ts))
	if len(out) == 0 {
		return out
	}
	ref := j.ConvertedAt
	if ref.IsZero() {
		ref = ts[len(ts)-1].At
	}
	// Ages are first stored in out, then weighed relative to the youngest touch: the
	// ratios are the same, but the youngest weighs exactly 1, so touches years older
	// than the half-life underflow to 0 without the sum ever becoming 0.
	h := m.halfLife.Seconds()
	youngest := math.Inf(1)
	for i := range ts {
		age := max(ref.Sub(ts[i].At).Seconds(), 0)
		out[i] = age
		youngest = min(youngest, age)
	}
	for i, age := range out {
		out[i] = math.Exp2(-(age - youngest) / h)
	}
	normalize(out)
	return out
}
