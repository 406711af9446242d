package channel

import "strings"

// Classifier is a compiled Rules table. It is safe for concurrent use.
//
// Compiling moves the work of a lookup from the rules to the value: each click id,
// medium and source that any rule lists maps to the set of rules listing it, and every
// named domain list goes into one index, so a visit costs a few map lookups however
// many rules test the same field.
type Classifier struct {
	rules []compiledRule
	// clickIDs, mediums and sources map a lowered value to the rules listing it.
	clickIDs, mediums, sources valueIndex
	// lists holds every named domain list the table uses, one bit each.
	lists *domainSet
}

// compiledRule is what is left of a Rule after compiling.
type compiledRule struct {
	name, channel string
	// lists says which of clickIDs, mediums and sources the rule has.
	lists    present
	mediumRE *pattern
	sourceRE *pattern
	// sourceLists and referrerLists are bits of Classifier.lists.
	sourceLists, referrerLists uint64
	// referrers holds the rule's own Referrers, as list 0.
	referrers *domainSet
	// need holds the facts the rule cannot match without (a click id, a medium, a
	// referrer, no campaign...), so that most rules are passed over with one test.
	need present
}

// present is a set of facts about an input, as bits.
type present uint8

const (
	withClickID present = 1 << iota
	withMedium
	withSource
	withReferrer
	withoutReferrer
	withCampaign
	withoutCampaign
)

// needs returns the bit for a flag set to true, for false, or nothing when unset.
func needs(flag *bool, ifTrue, ifFalse present) present {
	switch {
	case flag == nil:
		return 0
	case *flag:
		return ifTrue
	default:
		return ifFalse
	}
}

// valueIndex maps a lowered value to the rules that list it, as a bit set over rule
// indices.
type valueIndex map[string][]uint64

func (x valueIndex) add(rules, rule int, values []string) {
	for _, v := range values {
		v = norm(v)
		if x[v] == nil {
			x[v] = make([]uint64, (rules+63)/64)
		}
		x[v][rule/64] |= 1 << (rule % 64)
	}
}

func has(set []uint64, rule int) bool {
	return set != nil && set[rule/64]&(1<<(rule%64)) != 0
}

// Compile validates the table and prepares it for Classify.
func (r Rules) Compile() (*Classifier, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	c := &Classifier{
		rules:    make([]compiledRule, len(r)),
		clickIDs: valueIndex{}, mediums: valueIndex{}, sources: valueIndex{},
		lists: newDomainSet(),
	}
	bitOf := map[string]int{}
	listBit := func(name string) uint64 {
		name = norm(name)
		bit, ok := bitOf[name]
		if !ok {
			bit = len(bitOf)
			bitOf[name] = bit
			c.lists.addList(bit, listByName(name))
		}
		return 1 << bit
	}
	for i, rule := range r {
		w := rule.When
		cr := compiledRule{
			name:    rule.Name,
			channel: rule.Channel,
			need: needs(w.HasReferrer, withReferrer, withoutReferrer) |
				needs(w.HasCampaign, withCampaign, withoutCampaign),
		}
		for _, l := range []struct {
			bit    present
			values []string
			index  valueIndex
		}{
			{withClickID, w.ClickIDs, c.clickIDs},
			{withMedium, w.Mediums, c.mediums},
			{withSource, w.Sources, c.sources},
		} {
			if len(l.values) == 0 {
				continue
			}
			cr.lists |= l.bit
			l.index.add(len(r), i, l.values)
			if !has(l.index[""], i) {
				cr.need |= l.bit
			}
		}
		// Validate has checked that the patterns compile.
		cr.mediumRE, _ = compilePattern(w.MediumPattern)
		cr.sourceRE, _ = compilePattern(w.SourcePattern)
		if cr.mediumRE != nil && !cr.mediumRE.empty {
			cr.need |= withMedium
		}
		if cr.sourceRE != nil && !cr.sourceRE.empty {
			cr.need |= withSource
		}
		for _, l := range w.SourceLists {
			cr.sourceLists |= listBit(l)
			cr.need |= withSource
		}
		for _, l := range w.ReferrerLists {
			cr.referrerLists |= listBit(l)
			cr.need |= withReferrer
		}
		if len(w.Referrers) > 0 {
			cr.referrers = newDomainSet()
			for _, d := range w.Referrers {
				cr.referrers.addDomain(0, d)
			}
			cr.need |= withReferrer
		}
		c.rules[i] = cr
	}
	return c, nil
}

// facts is an Input normalised once per Classify call. What needs a lookup is looked
// up when a rule first asks for it.
type facts struct {
	source, medium, clickID, referrer string
	have                              present
	looked                            present
	clickIDRules, mediumRules         []uint64
	sourceRules                       []uint64
	sourceLists, referrerLists        uint64
}

// Classify returns the channel of the visit and the name of the rule that decided it.
// When no rule matches (a table without a catch-all) it returns Other and "".
//
// It does not allocate unless a utm value or the click-id type has upper-case letters,
// which costs one small copy each.
func (c *Classifier) Classify(in Input) (channel, rule string) {
	f := facts{
		source:  norm(in.Source),
		medium:  norm(in.Medium),
		clickID: norm(in.ClickIDType),
	}
	if !in.Internal {
		f.referrer = normDomain(in.ReferrerHost)
	}
	f.have = withoutCampaign | withoutReferrer
	if f.clickID != "" {
		f.have |= withClickID
	}
	if f.medium != "" {
		f.have |= withMedium
	}
	if f.source != "" {
		f.have |= withSource
	}
	if f.referrer != "" {
		f.have ^= withReferrer | withoutReferrer
	}
	if f.source != "" || f.medium != "" || strings.TrimSpace(in.Campaign) != "" {
		f.have ^= withCampaign | withoutCampaign
	}
	for i := range c.rules {
		if r := &c.rules[i]; r.need&^f.have == 0 && c.matches(i, &f) {
			return r.channel, r.name
		}
	}
	return Other, ""
}

// matches tests rule i's lists and patterns; Classify has tested its needs.
func (c *Classifier) matches(i int, f *facts) bool {
	r := &c.rules[i]
	if r.lists&withClickID != 0 && !has(f.rules(withClickID, c.clickIDs, f.clickID, &f.clickIDRules), i) {
		return false
	}
	if r.lists&withMedium != 0 && !has(f.rules(withMedium, c.mediums, f.medium, &f.mediumRules), i) {
		return false
	}
	if r.lists&withSource != 0 && !has(f.rules(withSource, c.sources, f.source, &f.sourceRules), i) {
		return false
	}
	if r.mediumRE != nil && !r.mediumRE.matchValue(f.medium) {
		return false
	}
	if r.sourceRE != nil && !r.sourceRE.matchValue(f.source) {
		return false
	}
	if r.sourceLists != 0 {
		if f.looked&withSource == 0 {
			f.looked |= withSource
			f.sourceLists = c.lists.source(f.source)
		}
		if f.sourceLists&r.sourceLists == 0 {
			return false
		}
	}
	if r.referrerLists != 0 {
		if f.looked&withReferrer == 0 {
			f.looked |= withReferrer
			f.referrerLists = c.lists.host(f.referrer)
		}
		if f.referrerLists&r.referrerLists == 0 {
			return false
		}
	}
	return r.referrers == nil || r.referrers.host(f.referrer) != 0
}

// rules returns the rules listing value, looking them up on first use.
func (f *facts) rules(field present, index valueIndex, value string, cached *[]uint64) []uint64 {
	if f.looked&field == 0 {
		f.looked |= field
		*cached = index[value]
	}
	return *cached
}
