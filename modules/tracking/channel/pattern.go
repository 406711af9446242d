package channel

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
)

// pattern is a compiled Condition pattern. Go's regexp engine needs microseconds to
// search a short string for an alternation of words, and the typical pattern is just
// that ("newsletter|mailchimp|e-?mail"), so a pattern whose language is a small finite
// set of strings is matched with plain string comparisons instead; any other pattern
// goes to the regexp.
type pattern struct {
	re *regexp.Regexp
	// When re is nil, the pattern's whole language is a set of literals, and mode
	// says whether a value must be one of them, start or end with one, or contain
	// one. The literals are in byByte under their first byte (their last for atEnd)
	// so that a value is compared only with those that can match; anyEmpty says the
	// empty string is one of them.
	mode     anchor
	byByte   [256][]string
	anyEmpty bool
	// empty is the answer for an empty value, worked out once: most visits carry no
	// campaign parameters at all.
	empty bool
}

type anchor uint8

const (
	anywhere anchor = iota
	atStart
	atEnd
	whole
)

// maxLiterals bounds the expansion of a pattern into strings.
const maxLiterals = 128

// compilePattern compiles a Condition pattern; an empty pattern gives nil. Patterns
// are matched against the trimmed, lower-cased value, so a lower-case pattern needs no
// case folding, which would make it several times slower; one that has upper-case
// letters is compiled case-insensitive.
func compilePattern(p string) (*pattern, error) {
	if p == "" {
		return nil, nil
	}
	if strings.ToLower(p) != p {
		p = "(?i)" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	out := &pattern{re: re}
	if lits, mode, ok := literalLanguage(p); ok {
		out = &pattern{mode: mode}
		for _, l := range lits {
			switch {
			case l == "":
				out.anyEmpty = true
			case mode == atEnd:
				out.byByte[l[len(l)-1]] = append(out.byByte[l[len(l)-1]], l)
			default:
				out.byByte[l[0]] = append(out.byByte[l[0]], l)
			}
		}
	}
	out.empty = out.match("")
	return out, nil
}

// matchValue reports whether the pattern matches a normalised value.
func (p *pattern) matchValue(s string) bool {
	if s == "" {
		return p.empty
	}
	return p.match(s)
}

func (p *pattern) match(s string) bool {
	switch {
	case p.re != nil:
		return p.re.MatchString(s)
	case s == "":
		return p.anyEmpty
	case p.anyEmpty && p.mode != whole:
		return true
	}
	switch p.mode {
	case whole:
		return slices.Contains(p.byByte[s[0]], s)
	case atStart:
		return hasPrefixIn(s, p.byByte[s[0]])
	case atEnd:
		for _, l := range p.byByte[s[len(s)-1]] {
			if strings.HasSuffix(s, l) {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(s); i++ {
		if hasPrefixIn(s[i:], p.byByte[s[i]]) {
			return true
		}
	}
	return false
}

func hasPrefixIn(s string, prefixes []string) bool {
	for _, l := range prefixes {
		if strings.HasPrefix(s, l) {
			return true
		}
	}
	return false
}

// literalLanguage expands a pattern made only of literals, small character classes,
// optional parts, groups and alternations, with ^ and $ at most at its ends, into the
// strings it matches. It reports false for anything else, or when case folding is on.
func literalLanguage(p string) ([]string, anchor, bool) {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return nil, 0, false
	}
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	var mode anchor
	if len(subs) > 0 && subs[0].Op == syntax.OpBeginText {
		mode |= atStart
		subs = subs[1:]
	}
	if len(subs) > 0 && subs[len(subs)-1].Op == syntax.OpEndText {
		mode |= atEnd
		subs = subs[:len(subs)-1]
	}
	lits := []string{""}
	for _, sub := range subs {
		next, ok := language(sub)
		if !ok {
			return nil, 0, false
		}
		if lits = product(lits, next); lits == nil {
			return nil, 0, false
		}
	}
	slices.Sort(lits)
	return slices.Compact(lits), mode, true
}

func language(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		return []string{string(re.Rune)}, true
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) == maxLiterals {
					return nil, false
				}
				out = append(out, string(r))
			}
		}
		return out, true
	case syntax.OpEmptyMatch:
		return []string{""}, true
	case syntax.OpCapture:
		return language(re.Sub[0])
	case syntax.OpQuest:
		sub, ok := language(re.Sub[0])
		return append(sub, ""), ok
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			next, ok := language(sub)
			if !ok {
				return nil, false
			}
			if out = product(out, next); out == nil {
				return nil, false
			}
		}
		return out, true
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			next, ok := language(sub)
			if !ok || len(out)+len(next) > maxLiterals {
				return nil, false
			}
			out = append(out, next...)
		}
		return out, true
	}
	return nil, false
}

// product concatenates every string of a with every string of b; nil when the result
// would be too large.
func product(a, b []string) []string {
	if len(a)*len(b) > maxLiterals {
		return nil
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out
}
