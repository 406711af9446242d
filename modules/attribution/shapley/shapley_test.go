package shapley

import (
	"bytes"
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

// closedForm is the oracle: each path's worth split equally over its distinct channels.
func closedForm(s *paths.Set) paths.Attribution {
	a := paths.NewAttribution(s)
	for _, p := range s.Paths {
		seen := map[int32]bool{}
		for _, ch := range p.Touches {
			seen[ch] = true
		}
		for ch := range seen {
			a.Conversions[ch] += p.Conversions / float64(len(seen))
			if a.Value != nil {
				a.Value[ch] += p.Value / float64(len(seen))
			}
		}
	}
	return a
}

func TestHandWorked(t *testing.T) {
	// v(∅)=0, v(A)=1, v(B)=v(C)=0, v(AB)=3, v(AC)=1, v(BC)=3, v(ABC)=6 (the C row
	// never converts). φ_A = 1/3·1 + 1/6·(3−0) + 1/6·(1−0) + 1/3·(6−3) = 2; likewise
	// φ_B = 1/3·0 + 1/6·(3−1) + 1/6·(3−0) + 1/3·(6−1) = 2.5, φ_C = 6 − 2 − 2.5 = 1.5.
	// Value: v(A)=4, v(AB)=14, v(AC)=4, v(BC)=30, v(ABC)=44, the rest 0:
	// φ_A = 4/3 + 14/6 + 4/6 + 14/3 = 9, φ_B = 0 + 10/6 + 30/6 + 40/3 = 20, φ_C = 15.
	s := read(t, "path,total_conversions,total_conversion_value,total_null\nA,1,4,0\nA > B,2,10,1\nB > C > B,3,30,0\nC,0,0,5\n")
	got, err := Attribute(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := &Result{Attribution: paths.Attribution{Conversions: []float64{2, 2.5, 1.5}, Value: []float64{9, 20, 15}}, Exact: true}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// randomSet makes a seeded path file over nch channels.
func randomSet(t testing.TB, seed uint64, nch, rows int) *paths.Set {
	rng := rand.New(rand.NewPCG(seed, 3))
	var b strings.Builder
	b.WriteString("path,total_conversions,total_conversion_value,total_null\n")
	for range rows {
		n := 1 + rng.IntN(5)
		for j := range n {
			if j > 0 {
				b.WriteString(" > ")
			}
			b.WriteString("ch" + strconv.Itoa(rng.IntN(nch)))
		}
		conv := rng.IntN(3)
		b.WriteString("," + strconv.Itoa(conv) + "," + strconv.Itoa(conv*rng.IntN(100)) + "," + strconv.Itoa(rng.IntN(3)) + "\n")
	}
	return read(t, b.String())
}

func TestExactMatchesClosedForm(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		s := randomSet(t, seed, 1+int(seed%12), 200)
		got, err := Attribute(s, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Exact {
			t.Fatalf("seed %d: %d channels not exact", seed, len(s.Channels))
		}
		if diff := cmp.Diff(closedForm(s), got.Attribution, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
			t.Fatalf("seed %d (-closed form +got):\n%s", seed, diff)
		}
		checkSums(t, got.Attribution, s)
	}
}

func TestSampledBeyondLimit(t *testing.T) {
	s := randomSet(t, 42, 20, 3000)
	if len(s.Channels) != 20 {
		t.Fatalf("%d channels", len(s.Channels))
	}
	got, err := Attribute(s, Options{Seed: 9, Samples: 400})
	if err != nil {
		t.Fatal(err)
	}
	if got.Exact || got.Samples != 400 || got.StdErr.Conversions == nil {
		t.Fatalf("got %+v", got)
	}
	checkSums(t, got.Attribution, s)
	want := closedForm(s)
	for i := range s.Channels {
		for _, c := range []struct{ got, se, want float64 }{
			{got.Conversions[i], got.StdErr.Conversions[i], want.Conversions[i]},
			{got.Value[i], got.StdErr.Value[i], want.Value[i]},
		} {
			if c.se <= 0 || math.Abs(c.got-c.want) > 5*c.se {
				t.Fatalf("channel %s: %v ± %v, exact %v", s.Channels[i], c.got, c.se, c.want)
			}
		}
	}
	again, _ := Attribute(s, Options{Seed: 9, Samples: 400})
	if !cmp.Equal(got, again) {
		t.Fatal("the same seed gave different results")
	}
	other, _ := Attribute(s, Options{Seed: 10, Samples: 400})
	if cmp.Equal(got.Conversions, other.Conversions) {
		t.Fatal("a different seed gave the same sample")
	}
}

func TestOptionsErrors(t *testing.T) {
	s := randomSet(t, 1, 4, 10)
	for _, o := range []Options{{ExactMaxChannels: 25}, {ExactMaxChannels: -1}, {ExactMaxChannels: 1, Samples: 1}} {
		if _, err := Attribute(s, o); err == nil {
			t.Fatalf("%+v: no error", o)
		}
	}
}

func checkSums(t *testing.T, a paths.Attribution, s *paths.Set) {
	t.Helper()
	for _, c := range []struct {
		credits []float64
		total   float64
	}{{a.Conversions, s.TotalConversions()}, {a.Value, s.TotalValue()}} {
		sum := 0.0
		for _, x := range c.credits {
			if x < 0 {
				t.Fatalf("negative credit %v", x)
			}
			sum += x
		}
		if math.Abs(sum-c.total) > 1e-9*math.Max(1, c.total) {
			t.Fatalf("credits sum to %v, want %v", sum, c.total)
		}
	}
}

// BenchmarkExact12 computes exact Shapley values for 12 channels over the distinct
// paths of a 1,000,000-row file.
func BenchmarkExact12(b *testing.B) {
	var buf bytes.Buffer
	if err := paths.WriteSynthetic(&buf, 1, 1_000_000, 12); err != nil {
		b.Fatal(err)
	}
	s, err := paths.Read(&buf, paths.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Attribute(s, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSampled30 samples 200 orders of 30 channels over 1,000,000 rows.
func BenchmarkSampled30(b *testing.B) {
	var buf bytes.Buffer
	if err := paths.WriteSynthetic(&buf, 1, 1_000_000, 30); err != nil {
		b.Fatal(err)
	}
	s, err := paths.Read(&buf, paths.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Attribute(s, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
