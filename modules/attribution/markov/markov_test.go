package markov

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/srgplatform/srg/modules/attribution/paths"
)

func read(t testing.TB, file string) *paths.Set {
	t.Helper()
	s, err := paths.Read(strings.NewReader(file), paths.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var approx = cmpopts.EquateApprox(0, 1e-12)

func TestHandWorked(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		order int
		want  Result
	}{{
		// Transitions: start→A 3, start→B 1; A→B 2, A→C 1; B→conv 1, B→null 2;
		// C→conv 1. So u(B) = 1/3, u(C) = 1, u(A) = 2/3·1/3 + 1/3 = 5/9 and
		// P(conv) = 3/4·5/9 + 1/4·1/3 = 1/2.
		// Without A: 1/4·1/3 = 1/12, effect 1 − 1/6 = 5/6. Without B: u(A) = 1/3,
		// 3/4·1/3 = 1/4, effect 1/2. Without C: u(A) = 2/9, 3/4·2/9 + 1/12 = 1/4,
		// effect 1/2. Σ = 11/6, 2 conversions: A 10/11, B 6/11, C 6/11.
		// Value per conversion: 100 ending at B, 40 at C. w(B) = 100/3, w(C) = 40,
		// w(A) = 2/3·100/3 + 1/3·40 = 320/9, E = 3/4·320/9 + 1/4·100/3 = 35.
		// Without A: 25/3, effect 16/21; without B: w(A) = 40/3, 3/4·40/3 = 10,
		// effect 5/7; without C: w(A) = 200/9, 50/3 + 25/3 = 25, effect 2/7.
		// Σ = 37/21 of 140: A 16/37·140, B 15/37·140, C 6/37·140.
		name: "three channels",
		file: "path,total_conversions,total_conversion_value,total_null\nA > B,1,100,1\nA > C,1,40,0\nB,0,0,1\n",
		want: Result{
			Attribution:           paths.Attribution{Conversions: []float64{10.0 / 11, 6.0 / 11, 6.0 / 11}, Value: []float64{2240.0 / 37, 2100.0 / 37, 840.0 / 37}},
			RemovalEffects:        []float64{5.0 / 6, 0.5, 0.5},
			ValueRemovalEffects:   []float64{16.0 / 21, 5.0 / 7, 2.0 / 7},
			ConversionProbability: 0.5, States: 4,
		},
	}, {
		// A loop: start→A 2; A→B 1, A→conv 1, A→null 1; B→A 1. u(A) = 1/3 + 1/3·u(A)
		// gives 1/2. Without B, u(A) = 1/3: effect 1/3. Without A nothing converts:
		// effect 1. One conversion shared 3/4 : 1/4.
		name: "loop",
		file: "path,total_conversions,total_null\nA > B > A,1,0\nA,0,1\n",
		want: Result{
			Attribution:    paths.Attribution{Conversions: []float64{0.75, 0.25}},
			RemovalEffects: []float64{1, 1.0 / 3}, ConversionProbability: 0.5, States: 3,
		},
	}, {
		// A > A collapses to A as in ChannelAttribution, so this is start→A→B→conv
		// once and start→A→null once: both channels are needed for the conversion.
		name: "repeated channel collapses",
		file: "path,total_conversions,total_null\nA > A > B,1,0\nA,0,1\n",
		want: Result{
			Attribution:    paths.Attribution{Conversions: []float64{0.5, 0.5}},
			RemovalEffects: []float64{1, 1}, ConversionProbability: 0.5, States: 3,
		},
	}, {
		// Order 2: states (A,B), (B,C), (A,C), (C) and start. A > B > C converts;
		// A > C does not; C converts. P(conv) = 1/3·1 + 1/3·0 + 1/3·1 = 2/3.
		// Without A: only (C) converts, 1/3, effect 1/2. Without B: also 1/3, effect
		// 1/2. Without C: nothing converts, effect 1. Two conversions: 1/2, 1/2, 1.
		name:  "order two",
		file:  "path,total_conversions,total_null\nA > B > C,1,0\nA > C,0,1\nC,1,0\n",
		order: 2,
		want: Result{
			Attribution:    paths.Attribution{Conversions: []float64{0.5, 0.5, 1}},
			RemovalEffects: []float64{0.5, 0.5, 1}, ConversionProbability: 2.0 / 3, States: 5,
		},
	}, {
		name: "no conversions",
		file: "path,total_conversions,total_null\nA > B,0,3\n",
		want: Result{
			Attribution:    paths.Attribution{Conversions: []float64{0, 0}},
			RemovalEffects: []float64{0, 0}, States: 3,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Attribute(read(t, tt.file), Options{Order: tt.order})
			if err != nil {
				t.Fatal(err)
			}
			got.Sweeps = 0
			if diff := cmp.Diff(&tt.want, got, approx); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestOrderOutOfRange(t *testing.T) {
	s := read(t, "path,total_conversions\nA,1\n")
	for _, o := range []int{-1, 5} {
		if _, err := Attribute(s, Options{Order: o}); err == nil || !strings.Contains(err.Error(), "outside 1..4") {
			t.Fatalf("order %d: error %v", o, err)
		}
	}
}

// TestHigherOrderOnFirstOrderData: when every path is a single channel, the chain is
// the same at every order.
func TestHigherOrderOnFirstOrderData(t *testing.T) {
	s := read(t, "path,total_conversions,total_null\nA,3,1\nB,1,4\nC,0,2\n")
	first, err := Attribute(s, Options{Order: 1})
	if err != nil {
		t.Fatal(err)
	}
	for o := 2; o <= MaxOrder; o++ {
		got, err := Attribute(s, Options{Order: o})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, got, approx); diff != "" {
			t.Fatalf("order %d (-order 1 +got):\n%s", o, diff)
		}
	}
}

// TestProperties checks on seeded random path sets that credits are non-negative and
// sum to the totals, removal effects lie in [0, 1], results repeat exactly, and that
// renaming channels and shuffling rows changes nothing but the labels.
func TestProperties(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		nch := 2 + rng.IntN(8)
		rows := make([]string, 30+rng.IntN(100))
		for i := range rows {
			n := 1 + rng.IntN(6)
			chs := make([]string, n)
			for j := range chs {
				chs[j] = string(rune('A' + rng.IntN(nch)))
			}
			conv := rng.IntN(4)
			rows[i] = strings.Join(chs, " > ") + "," + strconv.Itoa(conv) + "," + strconv.Itoa(conv*(1+rng.IntN(90))) + "," + strconv.Itoa(rng.IntN(5))
		}
		const head = "path,total_conversions,total_conversion_value,total_null\n"
		s := read(t, head+strings.Join(rows, "\n"))
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		renamed := strings.NewReplacer("A", "x", "B", "y", "C", "z").Replace(strings.Join(rows, "\n"))
		s2 := read(t, head+renamed)
		for order := 1; order <= MaxOrder; order++ {
			got, err := Attribute(s, Options{Order: order})
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Attribute(s, Options{Order: order})
			if !cmp.Equal(got, again) {
				t.Fatalf("seed %d order %d: two runs differ", seed, order)
			}
			checkSum(t, got.Conversions, s.TotalConversions())
			checkSum(t, got.Value, s.TotalValue())
			for _, e := range append(got.RemovalEffects, got.ValueRemovalEffects...) {
				if e < 0 || e > 1+1e-12 {
					t.Fatalf("seed %d: removal effect %v", seed, e)
				}
			}
			other, err := Attribute(s2, Options{Order: order})
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]float64{}
			for i, ch := range s2.Channels {
				byName[ch] = other.Conversions[i]
			}
			for i, ch := range s.Channels {
				ch2 := strings.NewReplacer("A", "x", "B", "y", "C", "z").Replace(ch)
				if math.Abs(byName[ch2]-got.Conversions[i]) > 1e-9 {
					t.Fatalf("seed %d order %d: %s gets %v, renamed and shuffled %v", seed, order, ch, got.Conversions[i], byName[ch2])
				}
			}
		}
	}
}

func checkSum(t *testing.T, credits []float64, total float64) {
	t.Helper()
	sum := 0.0
	for _, c := range credits {
		if c < 0 {
			t.Fatalf("negative credit %v", c)
		}
		sum += c
	}
	if math.Abs(sum-total) > 1e-9*math.Max(1, total) {
		t.Fatalf("credits sum to %v, want %v", sum, total)
	}
}
