package paths

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"
)

// TestMatchesChannelAttribution compares the heuristics with the output of
// ChannelAttribution 2.2.5's heuristic_models on the same file, written by
// scripts/compare-channelattribution.py --fixture. They must be equal.
func TestMatchesChannelAttribution(t *testing.T) {
	f, err := os.Open("testdata/channelattribution/paths.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Read(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := readTable(t, "testdata/channelattribution/heuristic_models.csv")
	got := map[string]Attribution{"first_touch": FirstTouch(s), "last_touch": LastTouch(s), "linear_touch": LinearTouch(s)}
	if len(want) != len(s.Channels) {
		t.Fatalf("ChannelAttribution has %d channels, we have %d", len(want), len(s.Channels))
	}
	for ch, name := range s.Channels {
		row, ok := want[name]
		if !ok {
			t.Fatalf("channel %s missing from ChannelAttribution's output", name)
		}
		for model, a := range got {
			for _, c := range []struct {
				col  string
				mine float64
			}{{model + "_conversions", a.Conversions[ch]}, {model + "_value", a.Value[ch]}} {
				if theirs := row[c.col]; math.Abs(theirs-c.mine) > 1e-9*math.Max(1, theirs) {
					t.Errorf("%s %s: ChannelAttribution %v, we %v", name, c.col, theirs, c.mine)
				}
			}
		}
	}
}

// readTable reads a CSV whose first column is channel_name into name → column → value.
func readTable(t *testing.T, path string) map[string]map[string]float64 {
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
	out := map[string]map[string]float64{}
	for _, rec := range recs[1:] {
		row := map[string]float64{}
		for i, col := range recs[0][1:] {
			if row[col], err = strconv.ParseFloat(rec[i+1], 64); err != nil {
				t.Fatal(err)
			}
		}
		out[rec[0]] = row
	}
	return out
}
