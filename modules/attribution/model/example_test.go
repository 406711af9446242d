package model_test

import (
	"fmt"
	"time"

	"github.com/srgplatform/srg/modules/attribution/model"
)

// A W-shaped split of a 9,000 opportunity whose lead was created on the first touch:
// that touch gets both the first-touch and the lead-creation 30%, the opportunity
// touch 30%, and the two other touches share 10%.
func ExampleByName() {
	m, err := model.ByName(model.NameWShaped, model.DefaultParams())
	if err != nil {
		panic(err)
	}
	day := func(d int) time.Time { return time.Date(2025, 3, d, 0, 0, 0, 0, time.UTC) }
	j := model.Journey{
		Touches: []model.Touch{
			{At: day(1), Channel: "paid_search", Type: "form", Milestones: model.FirstTouch | model.LeadCreation},
			{At: day(5), Channel: "email", Type: "pageview"},
			{At: day(9), Channel: "webinar", Type: "custom", Milestones: model.OpportunityCreation},
			{At: day(20), Channel: "direct", Type: "pageview", Direct: true},
		},
		ConvertedAt: day(20),
	}
	fractions := m.Weights(j, nil)
	credits := model.Credit(9000, fractions, nil)
	for i, t := range j.Touches {
		fmt.Printf("%-11s %.2f %7.2f\n", t.Channel, fractions[i], credits[i])
	}
	fmt.Println(m.Name(), "version", m.Version())
	// Output:
	// paid_search 0.60 5400.00
	// email       0.05  450.00
	// webinar     0.30 2700.00
	// direct      0.05  450.00
	// w_shaped version 1
}
