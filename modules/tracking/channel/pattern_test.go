package channel

import (
	"regexp"
	"testing"
)

// The literal fast path must answer exactly as the regexp would.
func TestPatternMatchesLikeRegexp(t *testing.T) {
	patterns := []struct {
		pattern  string
		literals bool // expected to take the fast path
	}{
		{emailSources, true},
		{`^(cpc|ppc)$`, true},
		{`^paid[-_ ]?social$`, true},
		{`^$`, true},
		{`^cp`, true},
		{`paid$`, true},
		{`(?:a|b)?c`, true},
		{`x?`, true},
		{`^(x?)$`, true},
		{`^social(media)?`, true},
		{`\.io$`, true},
		{`^cp.*$`, false},
		{`^(cpc|ppc)+$`, false},
		{`[^a]`, false},
		{`\bpaid\b`, false},
		{`^Paid$`, false}, // upper case: compiled case-insensitive
		{`(?i)^email$`, false},
	}
	inputs := []string{"", "cpc", "ppc", "cpcx", "xcpc", "paid", "unpaid", "paid social", "paid-social", "paid_social",
		"paidsocial", "paid--social", "socialmedia", "social", "c", "ac", "bc", "abc", "x", "xx", "email", "e-mail",
		"weekly-newsletter", "hs_email", "customer.io", "customerxio", "campaign_monitor", "cp", "paid ", "ünï", "é-mail"}
	for _, tc := range patterns {
		p, err := compilePattern(tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		if got := p.re == nil; got != tc.literals {
			t.Errorf("%s: literal fast path = %v, want %v", tc.pattern, got, tc.literals)
		}
		re := regexp.MustCompile("(?i)" + tc.pattern)
		for _, in := range inputs {
			if got, want := p.matchValue(in), re.MatchString(in); got != want {
				t.Errorf("pattern %q on %q = %v, regexp says %v", tc.pattern, in, got, want)
			}
		}
	}
}

func TestLiteralLanguageBounded(t *testing.T) {
	// 2^8 spellings is more than maxLiterals: the regexp takes over.
	if _, _, ok := literalLanguage(`^a?b?c?d?e?f?g?h?$`); ok {
		t.Error("an oversized language was expanded")
	}
	if _, _, ok := literalLanguage(`^[a-z]$`); !ok {
		t.Error("a 26-letter class was not expanded")
	}
}
