package salesforcefake

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Evaluating a parsed query: conditions, typed comparisons, literals and the run.

type orderKey struct {
	field int
	desc  bool
}

type cond interface{ match(*record) bool }

type allOf []cond
type anyOf []cond

func (c allOf) match(r *record) bool {
	for _, x := range c {
		if !x.match(r) {
			return false
		}
	}
	return true
}

func (c anyOf) match(r *record) bool {
	for _, x := range c {
		if x.match(r) {
			return true
		}
	}
	return false
}

// compare is `field op value`; value is in the stored text form, "" for null.
type compare struct {
	field int
	typ   fieldType
	op    string
	value string
}

func (c compare) match(r *record) bool {
	v := r.vals[c.field]
	if c.value == "" || v == "" {
		switch c.op {
		case "=":
			return v == c.value
		case "!=", "<>":
			return v != c.value
		}
		return false
	}
	d := cmpValues(c.typ, v, c.value)
	switch c.op {
	case "=":
		return d == 0
	case "!=", "<>":
		return d != 0
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	case ">":
		return d > 0
	default:
		return d >= 0
	}
}

func cmpValues(t fieldType, a, b string) int {
	switch t {
	case tNumber:
		x, _ := strconv.ParseFloat(a, 64)
		y, _ := strconv.ParseFloat(b, 64)
		return cmpFloat(x, y)
	case tString:
		return strings.Compare(lower(a), lower(b))
	}
	return strings.Compare(a, b)
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

var (
	reID       = regexp.MustCompile(`^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$`)
	reDate     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	reDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$`)
	reNumber   = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
)

// literal checks that a value suits the field's type and returns it in stored form.
func literal(fd fieldDef, t token) (string, error) {
	if t.kind == 'i' && strings.EqualFold(t.text, "null") {
		return "", nil
	}
	bad := malformed("value of filter criterion for field '%s' must be of type %s", fd.name, fd.describeType)
	switch fd.typ {
	case tID:
		if t.kind != 's' {
			return "", bad
		}
		if !reID.MatchString(t.text) {
			return "", &apiError{status: 400, code: "INVALID_QUERY_FILTER_OPERATOR", msg: "invalid ID field: " + t.text}
		}
		return t.text, nil
	case tString:
		if t.kind != 's' {
			return "", bad
		}
		return t.text, nil
	case tBool:
		if t.kind != 'i' || (lower(t.text) != "true" && lower(t.text) != "false") {
			return "", bad
		}
		return lower(t.text), nil
	case tDate:
		if t.kind != 'v' || !reDate.MatchString(t.text) {
			return "", bad
		}
		return t.text, nil
	case tDateTime:
		if t.kind != 'v' || !reDateTime.MatchString(t.text) {
			return "", malformed("value of filter criterion for field '%s' must be of type dateTime and should not be enclosed in quotes", fd.name)
		}
		at, err := time.Parse(time.RFC3339Nano, t.text)
		if err != nil {
			return "", bad
		}
		return at.UTC().Format(stampLayout), nil
	default:
		if t.kind != 'v' || !reNumber.MatchString(t.text) {
			return "", bad
		}
		return t.text, nil
	}
}

// run returns the records a query selects: live ones only unless all, filtered,
// sorted and limited. The slice holds the records as they are now; later changes
// replace records rather than edit them, so it is a snapshot.
func (q *query) run(all bool) []*record {
	di := q.obj.must("IsDeleted")
	var out []*record
	for _, r := range q.obj.recs {
		if !all && r.vals[di] == "true" {
			continue
		}
		if q.where == nil || q.where.match(r) {
			out = append(out, r)
		}
	}
	if len(q.order) > 0 {
		slices.SortStableFunc(out, func(a, b *record) int {
			for _, k := range q.order {
				av, bv := a.vals[k.field], b.vals[k.field]
				var d int
				switch {
				case av == bv:
				case av == "":
					d = -1
				case bv == "":
					d = 1
				default:
					d = cmpValues(q.obj.fields[k.field].typ, av, bv)
				}
				if k.desc {
					d = -d
				}
				if d != 0 {
					return d
				}
			}
			return 0
		})
	}
	if q.limit >= 0 && len(out) > q.limit {
		out = out[:q.limit]
	}
	return out
}
