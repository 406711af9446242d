package hubspotfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// cond is a compiled filter.
type cond struct {
	prop       string
	kind       kind
	op         string
	num, hi    float64
	str, hiStr string
	strs       []string
}

// compile checks and compiles the filter groups, within HubSpot's limits.
func (s *Server) compile(sc *schema, body searchBody) ([][]cond, string) {
	if len(body.FilterGroups) > 5 {
		return nil, fmt.Sprintf("at most 5 filterGroups are allowed, got %d", len(body.FilterGroups))
	}
	total := 0
	var groups [][]cond
	for _, g := range body.FilterGroups {
		if len(g.Filters) == 0 || len(g.Filters) > 10 {
			return nil, fmt.Sprintf("a filterGroup must have between 1 and 10 filters, got %d", len(g.Filters))
		}
		total += len(g.Filters)
		var conds []cond
		for _, f := range g.Filters {
			c, msg := compileFilter(sc, f)
			if msg != "" {
				return nil, msg
			}
			conds = append(conds, c)
		}
		groups = append(groups, conds)
	}
	if total > 25 {
		return nil, fmt.Sprintf("at most 25 filters are allowed, got %d", total)
	}
	return groups, ""
}

func compileFilter(sc *schema, f searchFilter) (cond, string) {
	k, ok := sc.kinds[f.PropertyName]
	if !ok {
		return cond{}, fmt.Sprintf("Property %q does not exist on %s", f.PropertyName, sc.name)
	}
	c := cond{prop: f.PropertyName, kind: k, op: f.Operator}
	value := func(raw json.RawMessage) (float64, string, string) {
		v := rawString(raw)
		switch k {
		case kNumber:
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, v, fmt.Sprintf("%q is not a valid number for %s", v, f.PropertyName)
			}
			return n, v, ""
		case kDatetime:
			ms, ok := parseMillis(v)
			if !ok {
				return 0, v, fmt.Sprintf("%q is not a valid datetime for %s: use epoch milliseconds or ISO 8601", v, f.PropertyName)
			}
			return float64(ms), v, ""
		case kBool:
			if v != "true" && v != "false" {
				return 0, v, fmt.Sprintf("%q is not a valid boolean for %s", v, f.PropertyName)
			}
		}
		return 0, v, ""
	}
	var msg string
	switch f.Operator {
	case "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN":
		if len(f.Value) == 0 {
			return c, fmt.Sprintf("operator %s on %s needs a value", f.Operator, f.PropertyName)
		}
		c.num, c.str, msg = value(f.Value)
	case "BETWEEN":
		c.num, c.str, msg = value(f.Value)
		if msg == "" {
			c.hi, c.hiStr, msg = value(f.HighValue)
		}
	case "IN", "NOT_IN":
		for _, raw := range f.Values {
			c.strs = append(c.strs, strings.ToLower(rawString(raw)))
		}
	case "HAS_PROPERTY", "NOT_HAS_PROPERTY":
	default:
		return c, fmt.Sprintf("operator %q is not valid", f.Operator)
	}
	return c, msg
}

func (s *Server) matches(t *table, o *object, groups [][]cond) bool {
	if len(groups) == 0 {
		return true
	}
	for _, g := range groups {
		all := true
		for _, c := range g {
			if !s.test(t, o, c) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (s *Server) test(t *table, o *object, c cond) bool {
	if c.kind == kNumber || c.kind == kDatetime {
		v, ok := s.numeric(t, o, c.prop)
		switch c.op {
		case "HAS_PROPERTY":
			return ok
		case "NOT_HAS_PROPERTY":
			return !ok
		case "NEQ":
			return !ok || v != c.num
		}
		if !ok {
			return false
		}
		switch c.op {
		case "EQ":
			return v == c.num
		case "LT":
			return v < c.num
		case "LTE":
			return v <= c.num
		case "GT":
			return v > c.num
		case "GTE":
			return v >= c.num
		case "BETWEEN":
			return v >= c.num && v <= c.hi
		case "IN", "NOT_IN":
			in := slices.Contains(c.strs, strconv.FormatFloat(v, 'f', -1, 64))
			return in == (c.op == "IN")
		}
		return false
	}
	v, ok := s.prop(t, o, c.prop)
	lv := strings.ToLower(v)
	switch c.op {
	case "HAS_PROPERTY":
		return ok
	case "NOT_HAS_PROPERTY":
		return !ok
	case "EQ":
		return strings.EqualFold(v, c.str)
	case "NEQ":
		return !strings.EqualFold(v, c.str)
	case "LT", "LTE", "GT", "GTE", "BETWEEN":
		cmp := strings.Compare(lv, strings.ToLower(c.str))
		return (c.op == "LT" && cmp < 0) || (c.op == "LTE" && cmp <= 0) || (c.op == "GT" && cmp > 0) ||
			(c.op == "GTE" && cmp >= 0) || (c.op == "BETWEEN" && cmp >= 0 && lv <= strings.ToLower(c.hiStr))
	case "IN", "NOT_IN":
		return slices.Contains(c.strs, lv) == (c.op == "IN")
	case "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN":
		has := strings.Contains(lv, strings.ToLower(strings.Trim(c.str, "*")))
		return has == (c.op == "CONTAINS_TOKEN")
	}
	return false
}

// numeric is a number or datetime property's value, reading the hot ones straight
// from the record.
func (s *Server) numeric(t *table, o *object, prop string) (float64, bool) {
	switch prop {
	case t.schema.modProp:
		return float64(o.modified), true
	case "createdate":
		return float64(o.created), true
	case "hs_object_id":
		return float64(o.id), true
	}
	v, ok := s.prop(t, o, prop)
	if !ok {
		return 0, false
	}
	if t.schema.kinds[prop] == kDatetime {
		ms, ok := parseMillis(v)
		return float64(ms), ok
	}
	n, err := strconv.ParseFloat(v, 64)
	return n, err == nil
}

func (s *Server) queryMatches(t *table, o *object, q string) bool {
	for i := range t.schema.plain {
		if strings.Contains(strings.ToLower(o.vals[i]), q) {
			return true
		}
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
