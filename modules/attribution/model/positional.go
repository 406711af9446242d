package model

// shares are the weights a position model gives its anchors and the rest. They need
// not sum to 1: the result is normalised, which is what makes the rules below
// proportional.
//
// How a position model fills a journey of n ≥ 1 touches:
//  1. Each anchor with a positive share (first touch, lead creation, opportunity
//     creation, closed-won, last touch) adds its share to its touch. When two anchors
//     fall on the same touch, that touch gets both shares (W-shaped, lead created on the
//     first touch: 60%).
//  2. A milestone no touch carries is missing: its share is redistributed to the
//     anchors that are present, in proportion to their shares (W-shaped without an
//     opportunity-creation touch: 45/45 on first touch and lead creation, 10 on the
//     rest). Full path without a closed-won touch (an open opportunity) is therefore
//     exactly W-shaped. If no anchor with a positive share is present, the anchors'
//     shares join the rest.
//  3. The rest share is split equally among the touches that are not anchors. When
//     there are none (one- and two-touch journeys, mostly) the rest share is
//     redistributed to the anchors in proportion to their shares. So position-based
//     gives one touch 100% and two touches 50/50; J-shaped gives two touches 25/75.
//  4. Custom models then multiply each touch by its type's multiplier (see
//     CustomWeights) and everything is normalised to sum to 1.
type shares struct {
	first, lead, opportunity, closedWon, last, rest float64
	// closedWonOrLast makes a missing closed-won anchor fall back to the last touch
	// (custom weights) instead of being redistributed (full path).
	closedWonOrLast bool
}

// positional is a model made of anchor shares and a rest share.
type positional struct {
	name string
	s    shares
	// mult holds the custom model's per-type multipliers; types not listed count 1.
	mult map[string]float64
}

func (m *positional) Name() string { return m.name }
func (m *positional) Version() int { return 1 }

func (m *positional) Weights(j Journey, out []float64) []float64 {
	ts := j.Touches
	out = resize(out, len(ts))
	if len(out) == 0 {
		return out
	}
	m.s.fill(ts, out)
	if len(m.mult) > 0 {
		for i := range ts {
			if f, ok := m.mult[ts[i].Type]; ok {
				out[i] *= f
			}
		}
		// Multipliers can zero every touch (only pageviews, pageviews weighted 0).
		// The opportunity's amount must still be credited somewhere, so the journey
		// keeps its position weights, the least surprising answer.
		if !normalize(out) {
			m.s.fill(ts, out)
			normalize(out)
		}
		return out
	}
	normalize(out)
	return out
}

// fill writes un-normalised weights following rules 1 to 3 above. Every anchor gets a
// positive weight, so out[i] == 0 after the anchors are placed marks a rest touch.
func (s *shares) fill(ts []Touch, out []float64) {
	clear(out)
	n := len(ts)
	var all, present float64
	anchors := 0
	place := func(i int, share float64) {
		if share <= 0 {
			return
		}
		all += share
		if i < 0 {
			return
		}
		if out[i] == 0 {
			anchors++
		}
		out[i] += share
		present += share
	}
	place(0, s.first)
	if s.lead > 0 {
		place(find(ts, LeadCreation), s.lead)
	}
	if s.opportunity > 0 {
		place(find(ts, OpportunityCreation), s.opportunity)
	}
	if s.closedWon > 0 {
		i := find(ts, ClosedWon)
		if i < 0 && s.closedWonOrLast {
			i = n - 1
		}
		place(i, s.closedWon)
	}
	place(n-1, s.last)

	rest := s.rest
	switch {
	case present == 0:
		rest += all
	case present < all:
		scale := all / present
		for i := range out {
			out[i] *= scale
		}
	}
	if others := n - anchors; others > 0 && rest > 0 {
		f := rest / float64(others)
		for i := range out {
			if out[i] == 0 {
				out[i] = f
			}
		}
	}
}

// uShaped is the B2B U-shape: 40% to the first touch, 40% to the lead-creation touch,
// 20% shared by the rest. Without a lead-creation touch (an opportunity whose contacts
// never filled a form) it is position-based, 40/20/40 on first and last touch, rather
// than 80% on the first touch: the last touch is then the best stand-in for the
// moment the lead was won.
type uShaped struct {
	u, fallback positional
}

func (m *uShaped) Name() string { return NameUShaped }
func (m *uShaped) Version() int { return 1 }

func (m *uShaped) Weights(j Journey, out []float64) []float64 {
	if find(j.Touches, LeadCreation) < 0 {
		return m.fallback.Weights(j, out)
	}
	return m.u.Weights(j, out)
}
