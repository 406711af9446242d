package markov

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/srgplatform/srg/modules/attribution/paths"
)

// TestAgreesWithChannelAttribution compares with ChannelAttribution 2.2.5's
// markov_model on the same file (scripts/compare-channelattribution.py --fixture,
// nsim_start 1e7 for orders 2 and 3 and 3e7 for order 1). Theirs is a simulation, ours
// exact, so the credits agree within the simulation's noise: 1% per channel.
func TestAgreesWithChannelAttribution(t *testing.T) {
	f, err := os.Open("testdata/channelattribution/paths.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := paths.Read(f, paths.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for order := 1; order <= 3; order++ {
		t.Run(fmt.Sprintf("order %d", order), func(t *testing.T) {
			got, err := Attribute(s, Options{Order: order})
			if err != nil {
				t.Fatal(err)
			}
			want := readResult(t, fmt.Sprintf("testdata/channelattribution/markov_model_order%d.csv", order))
			if len(want) != len(s.Channels) {
				t.Fatalf("ChannelAttribution has %d channels, we have %d", len(want), len(s.Channels))
			}
			for ch, name := range s.Channels {
				theirs := want[name]
				for i, mine := range []float64{got.Conversions[ch], got.Value[ch]} {
					if d := math.Abs(theirs[i]-mine) / theirs[i]; d > 0.01 {
						t.Errorf("%s column %d: ChannelAttribution %v, we %v (%.2f%% apart)", name, i+1, theirs[i], mine, 100*d)
					}
				}
			}
		})
	}
}

func readResult(t *testing.T, path string) map[string][2]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]float64{}
	for _, rec := range recs[1:] {
		var v [2]float64
		for i := range v {
			if v[i], err = strconv.ParseFloat(rec[i+1], 64); err != nil {
				t.Fatal(err)
			}
		}
		out[rec[0]] = v
	}
	return out
}
