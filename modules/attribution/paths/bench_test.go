package paths

import (
	"bytes"
	"testing"
)

// BenchmarkRead1M reads a synthetic 1,000,000-row path file held in memory.
func BenchmarkRead1M(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteSynthetic(&buf, 1, 1_000_000, 12); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, err := Read(bytes.NewReader(data), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(s.Paths)), "distinct-paths")
	}
}

// BenchmarkHeuristics runs the three heuristics over the distinct paths of 1,000,000 rows.
func BenchmarkHeuristics(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteSynthetic(&buf, 1, 1_000_000, 12); err != nil {
		b.Fatal(err)
	}
	s, err := Read(&buf, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		FirstTouch(s)
		LastTouch(s)
		LinearTouch(s)
	}
}
