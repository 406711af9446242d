package attribution

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchTenant is a seeded synthetic tenant the size of `srg bench attribution`'s:
// 100,000 opportunities of one or two people, 1 to 19 touches each (about
// 1,000,000), by person.
func benchTenant(n int) ([]*opportunity, map[string][]*touch, time.Time) {
	r := rand.New(rand.NewPCG(2026, 5))
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	channels := []string{"Organic Search", "Paid Search", "Email", "Paid Social", "Direct", "Referral"}
	types := []string{"pageview", "pageview", "pageview", "form", "download", "identify"}
	byPerson := map[string][]*touch{}
	opps := make([]*opportunity, n)
	for i := range opps {
		created := at.Add(-time.Duration(r.IntN(300*24)) * time.Hour)
		o := &opportunity{ID: fmt.Sprintf("hubspot:o%06d", i), Source: "hubspot", Amount: float64(1000 + r.IntN(100000)),
			Currency: "USD", CreatedAt: created}
		if r.IntN(3) == 0 {
			o.IsWon, o.IsClosed = true, true
			d := created.Add(time.Duration(r.IntN(60*24)) * time.Hour).Truncate(24 * time.Hour)
			o.CloseDate = &d
		}
		for p := range 1 + r.IntN(2) {
			person := fmt.Sprintf("%d", 2*i+p)
			o.People = append(o.People, person)
			t := created.Add(-80 * 24 * time.Hour)
			for k := range 1 + r.IntN(10) {
				t = t.Add(time.Duration(r.IntN(9*24*60)) * time.Minute)
				byPerson[person] = append(byPerson[person], &touch{EventID: fmt.Sprintf("e%s-%d", person, k), PersonID: person,
					Type: types[r.IntN(len(types))], OccurredAt: t, SessionStart: true, Channel: channels[r.IntN(len(channels))],
					ChannelRule: "rule", UTMCampaign: "spring", UTMSource: "news", UTMMedium: "email", LandingPage: "https://acme.example/pricing"})
			}
		}
		opps[i] = o
	}
	return opps, byPerson, at
}

// BenchmarkCompute times what a full run does between reading the touchpoints and
// writing the credits, for every model of the default settings: assembling the
// journeys, hashing them, crediting and encoding the documents.
func BenchmarkCompute(b *testing.B) {
	opps, byPerson, at := benchTenant(100_000)
	st := DefaultSettings()
	ws := []ChannelWeight{{Model: NameMarkov, Channel: "Email", Weight: 0.5}, {Model: NameShapley, Channel: "Direct", Weight: 0.2}}
	models, err := buildModels(st, ws)
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, len(models))
	versions := make([]int, len(models))
	for i, m := range models {
		names[i], versions[i] = m.Name(), m.Version()
	}
	enc := &creditEncoder{tenant: "bench", settingsHash: "settings", models: models, names: newCreditModels(names, versions), at: at}
	lookback := time.Duration(st.LookbackDays) * 24 * time.Hour
	b.ResetTimer()
	for range b.N {
		docs := 0
		for i := 0; i < len(opps); i += 2000 {
			batch := opps[i:min(i+2000, len(opps))]
			journeys := assemble(batch, byPerson, lookback, at)
			for _, o := range batch {
				_ = journeyHash("settings", o, journeys[o.ID])
				if err := enc.add(o, journeys[o.ID]); err != nil {
					b.Fatal(err)
				}
			}
			docs += len(enc.take())
		}
		b.ReportMetric(float64(docs), "docs/op")
	}
}

// BenchmarkFitWeights times the learning of a full run: Markov and Shapley over
// every journey of the synthetic tenant, with their bootstrap intervals.
func BenchmarkFitWeights(b *testing.B) {
	opps, byPerson, at := benchTenant(100_000)
	lookback := 90 * 24 * time.Hour
	var converting, nulls [][]string
	var values []float64
	for i, o := range opps {
		seq := channelsOf(o.journey(byPerson, lookback, at))
		if len(seq) == 0 {
			continue
		}
		// Every fourth journey stands for a person who did not convert.
		if i%4 == 3 {
			nulls = append(nulls, seq)
		} else {
			converting, values = append(converting, seq), append(values, o.Amount)
		}
	}
	s := pathSet(converting, values, nulls)
	b.ResetTimer()
	for range b.N {
		if _, err := fitWeights([]string{NameMarkov, NameShapley}, 1, s); err != nil {
			b.Fatal(err)
		}
	}
}
