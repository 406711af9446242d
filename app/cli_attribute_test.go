package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAttribute(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The markov package's hand-worked example: removal effects 5/6, 1/2, 1/2 give
	// A 10/11, B 6/11, C 6/11 of 2 conversions; Shapley splits each converting path
	// over its channels: A 1/2 + 1/2, B 1/2, C 1/2.
	good := write("good.csv", "path,total_conversions,total_conversion_value,total_null\nA > B,1,100,1\nA > C,1,40,0\nB,0,0,1\n")
	noValue := write("novalue.csv", "path,total_conversions\nA|B,2\n")
	bad := write("bad.csv", "path,total_conversions\nA,1\nB,two\n")
	empty := write("empty.csv", "")
	out := filepath.Join(dir, "out.csv")

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
		file   string // expected content of out.csv
	}{
		{name: "markov to a file", args: []string{"--paths", good, "--model", "markov", "--out", out}, code: 0,
			stdout: "attributed 2 conversions over 3 channels (3 rows, 3 distinct paths) with markov",
			file: "channel_name,model,total_conversions,total_conversion_value\n" +
				"A,markov,0.909090909091,60.5405405405\nB,markov,0.545454545455,56.7567567568\nC,markov,0.545454545455,22.7027027027\n"},
		{name: "all models to stdout", args: []string{"--paths", good}, code: 0,
			stdout: "channel_name,model,total_conversions,total_conversion_value\n" +
				"A,first_touch,2,140\nB,first_touch,0,0\nC,first_touch,0,0\n" +
				"A,last_touch,0,0\nB,last_touch,1,100\nC,last_touch,1,40\n" +
				"A,linear_touch,1,70\nB,linear_touch,0.5,50\nC,linear_touch,0.5,20\n" +
				"A,markov,0.909090909091,60.5405405405\nB,markov,0.545454545455,56.7567567568\nC,markov,0.545454545455,22.7027027027\n" +
				"A,shapley,1,70\nB,shapley,0.5,50\nC,shapley,0.5,20\n"},
		{name: "no value column, other separator", args: []string{"--paths", noValue, "--model", "linear", "--sep", "|"}, code: 0,
			stdout: "channel_name,model,total_conversions\nA,linear_touch,1\nB,linear_touch,1\n"},
		// At order 2 and above each of these short paths is a single state: start→(A,B)
		// 2, →(A,C) 1, →(B) 1, converting 1/2, 1, 0. Removal effects 1, 1/2, 1/2.
		{name: "order 4", args: []string{"--paths", good, "--model", "markov", "--order", "4"}, code: 0, stdout: "A,markov,1,70\nB,markov,0.5,50\nC,markov,0.5,20\n"},
		{name: "unknown model", args: []string{"--paths", good, "--model", "magic"}, code: 2,
			stderr: `unknown model "magic": want one of first_touch, last_touch, linear, markov, shapley, or all`},
		{name: "order too high", args: []string{"--paths", good, "--model", "markov", "--order", "5"}, code: 2, stderr: "--order 5 is outside 1..4"},
		{name: "order zero", args: []string{"--paths", good, "--order", "0"}, code: 2, stderr: "outside 1..4"},
		{name: "no paths flag", args: []string{"--model", "markov"}, code: 2, stderr: "--paths is required"},
		{name: "stray argument", args: []string{"--paths", good, "extra"}, code: 2, stderr: "takes no arguments"},
		{name: "missing file", args: []string{"--paths", filepath.Join(dir, "nope.csv")}, code: 1, stderr: "no such file"},
		{name: "malformed row", args: []string{"--paths", bad}, code: 1, stderr: `line 3: total_conversions: "two" is not a number`},
		{name: "empty file", args: []string{"--paths", empty}, code: 1, stderr: "holds no paths"},
		{name: "unwritable output", args: []string{"--paths", good, "--out", filepath.Join(dir, "no", "dir.csv")}, code: 1, stderr: "write "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(out)
			code, stdout, stderr := runCLI(nil, append([]string{"attribute"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if tt.file != "" {
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if string(b) != tt.file {
					t.Fatalf("out.csv:\n%s\nwant:\n%s", b, tt.file)
				}
			}
		})
	}
}
