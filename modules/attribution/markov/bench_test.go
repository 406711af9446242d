package markov

import (
	"bytes"
	"testing"

	"github.com/srgplatform/srg/modules/attribution/paths"
)

func synthetic(b *testing.B, rows, channels int) *paths.Set {
	b.Helper()
	var buf bytes.Buffer
	if err := paths.WriteSynthetic(&buf, 1, rows, channels); err != nil {
		b.Fatal(err)
	}
	s, err := paths.Read(&buf, paths.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchmarkOrder(b *testing.B, order int) {
	s := synthetic(b, 1_000_000, 12)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := Attribute(s, Options{Order: order})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(r.States), "states")
		b.ReportMetric(float64(r.Sweeps), "sweeps")
	}
}

// BenchmarkOrder1 attributes the distinct paths of a 1,000,000-row file, 12 channels.
func BenchmarkOrder1(b *testing.B) { benchmarkOrder(b, 1) }

// BenchmarkOrder4 is the same at order 4, where states are tuples of four channels.
func BenchmarkOrder4(b *testing.B) { benchmarkOrder(b, 4) }
