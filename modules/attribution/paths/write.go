package paths

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// Write writes s as a path file Read can read back, one row per distinct path, with
// the optional columns s has. An empty sep means DefaultSep.
func Write(w io.Writer, s *Set, sep string) error {
	if sep == "" {
		sep = DefaultSep
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(ColPath + "," + ColConversions)
	if s.HasValue {
		bw.WriteString("," + ColValue)
	}
	if s.HasNull {
		bw.WriteString("," + ColNull)
	}
	bw.WriteByte('\n')
	var buf []byte
	for i := range s.Paths {
		p := &s.Paths[i]
		buf = buf[:0]
		buf = append(buf, '"')
		for j, ch := range p.Touches {
			if j > 0 {
				buf = append(buf, sep...)
			}
			buf = appendQuoted(buf, s.Channels[ch])
		}
		buf = append(buf, '"', ',')
		buf = strconv.AppendFloat(buf, p.Conversions, 'g', -1, 64)
		if s.HasValue {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, p.Value, 'g', -1, 64)
		}
		if s.HasNull {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, p.Null, 'g', -1, 64)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendQuoted doubles quotes, the only escaping a quoted CSV field needs.
func appendQuoted(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			buf = append(buf, '"')
		}
		buf = append(buf, s[i])
	}
	return buf
}

// WriteSynthetic writes a deterministic synthetic path file of rows rows over channels
// channels (named C01, C02, ...) for benchmarks and for comparing with other tools.
// Channels differ in how often they appear and in how much they lift conversion, so
// the data-driven models have something to find; paths repeat, as in real exports.
func WriteSynthetic(w io.Writer, seed uint64, rows, channels int) error {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	names := make([]string, channels)
	lift := make([]float64, channels)
	for i := range names {
		names[i] = fmt.Sprintf("C%02d", i+1)
		lift[i] = 0.02 + 0.1*rng.Float64()
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("path,total_conversions,total_conversion_value,total_null\n")
	var buf []byte
	for r := 0; r < rows; r++ {
		n := 1
		for n < 12 && rng.Float64() < 0.55 {
			n++
		}
		p := 0.0
		buf = buf[:0]
		for j := 0; j < n; j++ {
			// Squaring a uniform draw makes low-numbered channels common, as a few big
			// channels dominate real journeys.
			ch := int(float64(channels) * rng.Float64() * rng.Float64())
			if j > 0 {
				buf = append(buf, " > "...)
			}
			buf = append(buf, names[ch]...)
			p += lift[ch]
		}
		if p > 0.9 {
			p = 0.9
		}
		total := 1 + rng.IntN(20)
		conv := 0
		for k := 0; k < total; k++ {
			if rng.Float64() < p {
				conv++
			}
		}
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(conv), 10)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, float64(conv)*float64(50+rng.IntN(450)), 'f', -1, 64)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(total-conv), 10)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}
