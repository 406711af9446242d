package model

import (
	"math/rand/v2"
	"testing"
	"time"
)

// benchJourneys makes the synthetic tenant: 100,000 journeys of 1 to 19
// touches (10 on average, about 1,000,000 in all), seeded, with the milestones a real
// builder marks: the first touch, a lead creation on 80% of journeys, an opportunity
// creation at or after it on 70%, closed-won on the last touch of 30%.
func benchJourneys(n int) []Journey {
	r := rand.New(rand.NewPCG(2025, 5))
	channels := []string{"organic", "paid_search", "email", "social", "direct", "referral"}
	types := []string{"pageview", "pageview", "pageview", "form", "download", "custom"}
	js := make([]Journey, n)
	all := make([]Touch, 0, n*10)
	for k := range js {
		m := 1 + r.IntN(19)
		conv := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(365*24)) * time.Hour)
		at := conv.Add(-90 * 24 * time.Hour)
		start := len(all)
		for range m {
			at = at.Add(time.Duration(r.IntN(9*24*60)) * time.Minute)
			ch := r.IntN(len(channels))
			all = append(all, Touch{At: at, Channel: channels[ch], Type: types[r.IntN(len(types))], Direct: ch == 4})
		}
		ts := all[start:len(all):len(all)]
		ts[0].Milestones |= FirstTouch
		if r.IntN(10) < 8 {
			lead := r.IntN(m)
			ts[lead].Milestones |= LeadCreation
			if r.IntN(10) < 7 {
				ts[lead+r.IntN(m-lead)].Milestones |= OpportunityCreation
			}
		}
		if r.IntN(10) < 3 {
			ts[m-1].Milestones |= ClosedWon
		}
		js[k] = Journey{Touches: ts, ConvertedAt: conv}
	}
	return js
}

// BenchmarkModels times each model, and all of them together, over 100,000 journeys
// (about 1,000,000 touches): fractions and credits for every touch, per op.
func BenchmarkModels(b *testing.B) {
	js := benchJourneys(100_000)
	touches := 0
	for _, j := range js {
		touches += len(j.Touches)
	}
	p := DefaultParams()
	p.Custom.TypeMultipliers = map[string]float64{"form": 2, "download": 1.5}
	var ms []Model
	for _, name := range Names() {
		m, err := ByName(name, p)
		if err != nil {
			b.Fatal(err)
		}
		ms = append(ms, m)
	}
	run := func(b *testing.B, ms []Model) {
		fr := make([]float64, 0, 32)
		parts := make([]float64, 0, 32)
		b.ReportAllocs()
		for b.Loop() {
			for _, m := range ms {
				for _, j := range js {
					fr = m.Weights(j, fr)
					parts = Credit(10_000, fr, parts)
				}
			}
		}
		b.ReportMetric(float64(touches*len(ms))*float64(b.N)/b.Elapsed().Seconds(), "touches/s")
	}
	for _, m := range ms {
		b.Run(m.Name(), func(b *testing.B) { run(b, []Model{m}) })
	}
	b.Run("all", func(b *testing.B) { run(b, ms) })
}
