// Package model holds SRG's rule-based attribution models as pure functions of one
// journey: given the ordered touches that led to an opportunity (or a lead), a model
// says which fraction of the credit each touch earns. Nothing here reads a database,
// a clock or a random source, so the same journey always gets the same fractions and
// every credit can be reproduced from the model name, its Version and its Params.
//
// Shared rules, which every model follows:
//   - Fractions are non-negative and sum to 1 (within 1e-12) for a non-empty journey;
//     an empty journey gets no fractions at all.
//   - Touches are taken in slice order. The journey builder sorts them by time with a
//     stable sort, so touches at the same instant keep their order and "first" and
//     "last" are positions, never re-derived from timestamps.
//   - The first touch is Touches[0] and the last touch is Touches[len-1]. The FirstTouch
//     milestone is carried for display only: a journey cut by the lookback window still
//     has a first touch even when the person's very first visit fell outside it.
//   - A milestone's touch is the earliest touch carrying its bit (the builder marks
//     one; taking the earliest makes a doubly-marked journey deterministic).
//   - Position models give fixed shares to anchor touches (first, last, lead creation,
//     opportunity creation, closed-won) and share the remainder equally among the other
//     touches. See positional.go for how missing milestones, anchors that coincide and
//     journeys with no other touches are handled.
package model

import (
	"strings"
	"time"
)

// Milestone is a bit set of the funnel stages a touch marks. A touch may carry several,
// for example the visit whose form fill both created the lead and was the first touch.
type Milestone uint8

// Milestones the journey builder marks.
const (
	// FirstTouch marks the person's first recorded touch (informational, see the
	// package documentation).
	FirstTouch Milestone = 1 << iota
	// LeadCreation marks the touch that created the lead (first identify or form).
	LeadCreation
	// OpportunityCreation marks the last touch at or before the opportunity was created.
	OpportunityCreation
	// ClosedWon marks the last touch at or before the opportunity was won.
	ClosedWon
)

// Has reports whether m carries every bit of x.
func (m Milestone) Has(x Milestone) bool { return m&x == x && x != 0 }

// String lists the milestones, for logs and test failures: "first_touch|lead_creation".
func (m Milestone) String() string {
	if m == 0 {
		return "none"
	}
	var parts []string
	for _, b := range []struct {
		bit  Milestone
		name string
	}{
		{FirstTouch, "first_touch"},
		{LeadCreation, "lead_creation"},
		{OpportunityCreation, "opportunity_creation"},
		{ClosedWon, "closed_won"},
	} {
		if m&b.bit != 0 {
			parts = append(parts, b.name)
		}
	}
	if rest := m &^ (FirstTouch | LeadCreation | OpportunityCreation | ClosedWon); rest != 0 {
		parts = append(parts, "unknown")
	}
	return strings.Join(parts, "|")
}

// Touch is one touchpoint in a journey, reduced to what the models look at.
type Touch struct {
	// At is when the touch happened.
	At time.Time
	// Channel is the marketing channel the touch was classified into.
	Channel string
	// Type is the touchpoint type: pageview, form, download, custom, ...
	Type string
	// Direct marks a direct (no referrer, no campaign) touch.
	Direct bool
	// Milestones are the funnel stages this touch marks.
	Milestones Milestone
}

// Journey is the ordered list of touches leading to one conversion.
type Journey struct {
	// Touches are ordered by At; ties keep the builder's (stable) order.
	Touches []Touch
	// ConvertedAt is when the conversion happened (won date, opportunity creation or
	// lead creation). Only time decay reads it; zero means "at the last touch".
	ConvertedAt time.Time
}

// Model is a rule-based attribution model.
type Model interface {
	// Name is the model's stable identifier, one of Names().
	Name() string
	// Version changes whenever the model's arithmetic changes, so a stored credit can
	// be traced to the exact rules that produced it.
	Version() int
	// Weights writes touch i's fraction of the credit to out[i] and returns
	// out[:len(j.Touches)]. out is reused when its capacity suffices, so a caller
	// looping over many journeys allocates nothing; otherwise a new slice is made.
	Weights(j Journey, out []float64) []float64
}

// resize returns out with length n, reusing its backing array when possible.
func resize(out []float64, n int) []float64 {
	if cap(out) < n {
		return make([]float64, n)
	}
	return out[:n]
}

// find returns the index of the earliest touch carrying m, or -1.
func find(ts []Touch, m Milestone) int {
	for i := range ts {
		if ts[i].Milestones&m != 0 {
			return i
		}
	}
	return -1
}

// normalize scales out so that it sums to 1 and reports false when it sums to zero
// (the caller then picks a fallback).
func normalize(out []float64) bool {
	var total float64
	for _, w := range out {
		total += w
	}
	if !(total > 0) {
		return false
	}
	for i := range out {
		out[i] /= total
	}
	return true
}

// equal gives every touch the same fraction.
func equal(out []float64) {
	f := 1 / float64(len(out))
	for i := range out {
		out[i] = f
	}
}
