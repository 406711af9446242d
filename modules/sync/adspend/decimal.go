package adspend

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Micros writes an amount in millionths (Google's cost_micros) as an exact decimal
// string: 1230000 → "1.23". Going through float64 would round large amounts.
func Micros(m int64) string {
	neg := m < 0
	u := uint64(m)
	if neg {
		u = uint64(-m)
	}
	s := strconv.FormatUint(u/1_000_000, 10)
	if frac := u % 1_000_000; frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Decimal checks a platform's decimal string ("12.340", "5339.5", "0") and writes
// it in the canonical form Micros uses (no trailing zeros, no "+"), so equal amounts
// compare equal whatever the platform's formatting.
func Decimal(s string) (string, error) {
	orig := s
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || !digits(intPart) || (hasDot && (frac == "" || !digits(frac))) {
		return "", fmt.Errorf("%q is not a decimal amount", orig)
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	frac = strings.TrimRight(frac, "0")
	out := intPart
	if frac != "" {
		out += "." + frac
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Int is a JSON integer that platforms send either as a number or, for 64-bit
// values, as a string ("1234"); absent or null is zero.
type Int int64

// UnmarshalJSON accepts 12, "12" and null.
func (n *Int) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not an integer", b)
	}
	*n = Int(v)
	return nil
}
