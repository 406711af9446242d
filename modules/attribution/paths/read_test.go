package paths

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// handFile has a repeated path (merged) and a channel repeated inside a path.
const handFile = `path,total_conversions,total_conversion_value,total_null
A > B > A,3,30,1
B,2,10,0
"C > B",1,5,4
A>B>A,1,6,0
`

func TestReadMergesAndInterns(t *testing.T) {
	s, err := Read(strings.NewReader(handFile), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := &Set{
		Channels: []string{"A", "B", "C"},
		Paths: []Path{
			{Touches: []int32{0, 1, 0}, Conversions: 4, Value: 36, Null: 1},
			{Touches: []int32{1}, Conversions: 2, Value: 10},
			{Touches: []int32{2, 1}, Conversions: 1, Value: 5, Null: 4},
		},
		HasValue: true, HasNull: true, Rows: 4,
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Fatalf("set (-want +got):\n%s", diff)
	}
}

func TestReadOptionalColumnsAndSeparator(t *testing.T) {
	s, err := Read(strings.NewReader("total_conversions,extra,path\n2,x,a|b\n0,y,b\n"), Options{Sep: "|"})
	if err != nil {
		t.Fatal(err)
	}
	if s.HasValue || s.HasNull || !cmp.Equal(s.Channels, []string{"a", "b"}) || s.TotalConversions() != 2 {
		t.Fatalf("got %+v", s)
	}
}

func TestReadErrors(t *testing.T) {
	const head = "path,total_conversions,total_conversion_value,total_null\n"
	tests := []struct {
		name, file string
		line       int // 0: not a row error
		want       string
	}{
		{"empty file", "", 0, "no paths"},
		{"header only", head, 0, "no paths"},
		{"missing conversions", "path,total_null\nA,1\n", 0, "missing column(s) total_conversions"},
		{"missing both", "x\n1\n", 0, "missing column(s) path, total_conversions"},
		{"duplicate column", "path,path,total_conversions\n", 0, "appears twice"},
		{"bad number", head + "A,1,2,3\nB,x,2,3\n", 3, `total_conversions: "x" is not a number`},
		{"NaN", head + "A,NaN,2,3\n", 2, "not a number"},
		{"negative null", head + "A,1,2,-3\n", 2, `total_null: "-3" is negative`},
		{"empty path", head + "A,1,2,3\n  ,1,2,3\n", 3, "empty path"},
		{"empty channel", head + "A >  > B,1,2,3\n", 2, "empty channel name"},
		{"too few columns", head + "A,1,2\n", 2, "3 columns, the header has 4"},
		{"too many columns", head + "A,1,2,3\nB,1,2,3,4\n", 3, "5 columns"},
		{"bad quoting", head + "A,1,2,3\n\"A,1,2,3\n", 3, "quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.file), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			var re *RowError
			if got := errors.As(err, &re); got != (tt.line > 0) || (got && re.Line != tt.line) {
				t.Fatalf("error %#v, want a row error on line %d", err, tt.line)
			}
			if tt.line == 0 && strings.Contains(tt.want, "no paths") && !errors.Is(err, ErrEmpty) {
				t.Fatalf("error %v is not ErrEmpty", err)
			}
		})
	}
}

func TestHeuristicsHandWorked(t *testing.T) {
	s, err := Read(strings.NewReader(handFile), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Merged paths: A>B>A (4 conv, 36 value), B (2, 10), C>B (1, 5).
	tests := []struct {
		name string
		got  Attribution
		want Attribution
	}{
		// First channel takes all: A from A>B>A, B from B, C from C>B.
		{"first", FirstTouch(s), Attribution{[]float64{4, 2, 1}, []float64{36, 10, 5}}},
		// Last channel: A from A>B>A; B from B and from C>B (2+1, 10+5); C nothing.
		{"last", LastTouch(s), Attribution{[]float64{4, 3, 0}, []float64{36, 15, 0}}},
		// Per occurrence: A>B>A gives A 2/3 and B 1/3 of 4 and of 36; B keeps its 2, 10;
		// C>B splits 1 and 5 in halves. A: 8/3, 24; B: 4/3+2+1/2 = 23/6, 12+10+2.5;
		// C: 1/2, 2.5. Conversions sum to 7, value to 51.
		{"linear", LinearTouch(s), Attribution{[]float64{8.0 / 3, 23.0 / 6, 0.5}, []float64{24, 24.5, 2.5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHeuristicsWithoutValue(t *testing.T) {
	s, err := Read(strings.NewReader("path,total_conversions\nA > B,2\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a := LinearTouch(s); a.Value != nil || !cmp.Equal(a.Conversions, []float64{1, 1}) {
		t.Fatalf("got %+v", a)
	}
}

// TestSyntheticRoundTripAndSums checks, on seeded synthetic files, that Write and Read
// round-trip and that every heuristic hands out exactly the totals, never a negative.
func TestSyntheticRoundTripAndSums(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		var buf bytes.Buffer
		if err := WriteSynthetic(&buf, seed, 2000, int(3+seed*3)); err != nil {
			t.Fatal(err)
		}
		s, err := Read(&buf, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var again bytes.Buffer
		if err := Write(&again, s, "|"); err != nil {
			t.Fatal(err)
		}
		s2, err := Read(&again, Options{Sep: "|"})
		if err != nil {
			t.Fatal(err)
		}
		s2.Rows = s.Rows
		if diff := cmp.Diff(s, s2); diff != "" {
			t.Fatalf("seed %d: round trip (-first +second):\n%s", seed, diff)
		}
		for name, a := range map[string]Attribution{"first": FirstTouch(s), "last": LastTouch(s), "linear": LinearTouch(s)} {
			checkSums(t, name, a.Conversions, s.TotalConversions())
			checkSums(t, name, a.Value, s.TotalValue())
		}
	}
}

func checkSums(t *testing.T, name string, credits []float64, total float64) {
	t.Helper()
	sum := 0.0
	for _, c := range credits {
		if c < 0 {
			t.Fatalf("%s: negative credit %v", name, c)
		}
		sum += c
	}
	if math.Abs(sum-total) > 1e-9*math.Max(1, total) {
		t.Fatalf("%s: credits sum to %v, want %v", name, sum, total)
	}
}

func TestReadCSVQuotingAndLongLines(t *testing.T) {
	long := strings.Repeat("A > B > ", 200_000) + "C" // longer than the 1 MB read buffer
	file := "\"path\",\"total_conversions\"\r\n" +
		"\"x \"\"q\"\" > y\",\"1\"\r\n" +
		"\r\n" + // blank lines are skipped
		"\"two\nlines > y\",2\r\n" +
		long + ",3\n" +
		"y,4" // no final newline
	s, err := Read(strings.NewReader(file), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{`x "q"`, "y", "two\nlines", "A", "B", "C"}; !cmp.Equal(s.Channels, want) {
		t.Fatalf("channels %q, want %q", s.Channels, want)
	}
	if s.Rows != 4 || len(s.Paths[2].Touches) != 400_001 || s.TotalConversions() != 10 {
		t.Fatalf("rows %d, long path %d touches, %v conversions", s.Rows, len(s.Paths[2].Touches), s.TotalConversions())
	}
	// The line number counts physical lines, so it stays right after a quoted newline.
	_, err = Read(strings.NewReader("path,total_conversions\n\"a\nb\",1\nc,-1\n"), Options{})
	var re *RowError
	if !errors.As(err, &re) || re.Line != 4 {
		t.Fatalf("error %v, want one on line 4", err)
	}
	_, err = Read(strings.NewReader("path,total_conversions\nc,1\n\"open,1\n"), Options{})
	if !errors.As(err, &re) || re.Line != 3 || !strings.Contains(err.Error(), "not closed") {
		t.Fatalf("error %v, want an unclosed quote on line 3", err)
	}
}
