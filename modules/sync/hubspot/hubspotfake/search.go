package hubspotfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// maxSearchResults is how far HubSpot lets a search page: asking for results past
// it is a 400.
const maxSearchResults = 10000

type searchFilter struct {
	PropertyName string            `json:"propertyName"`
	Operator     string            `json:"operator"`
	Value        json.RawMessage   `json:"value,omitempty"`
	HighValue    json.RawMessage   `json:"highValue,omitempty"`
	Values       []json.RawMessage `json:"values,omitempty"`
}

type searchBody struct {
	FilterGroups []struct {
		Filters []searchFilter `json:"filters"`
	} `json:"filterGroups"`
	Sorts      []json.RawMessage `json:"sorts"`
	Properties []string          `json:"properties"`
	Limit      int               `json:"limit"`
	After      json.RawMessage   `json:"after"`
	Query      string            `json:"query"`
}

// search is POST /crm/v3/objects/{type}/search.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	objType, ok := s.resolve(r.PathValue("type"))
	t := s.tables[objType]
	if !ok || t == nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Unable to infer object type from: "+r.PathValue("type"))
		return
	}
	var body searchBody
	if !decode(w, r, &body) {
		return
	}
	bad := func(format string, args ...any) {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf(format, args...))
	}
	if body.Limit == 0 {
		body.Limit = 10
	}
	if body.Limit < 1 || body.Limit > 200 {
		bad("limit must be between 1 and 200, got %d", body.Limit)
		return
	}
	offset := 0
	if a := rawString(body.After); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 {
			bad("after must be a number, got %q", a)
			return
		}
		offset = n
	}
	if offset >= maxSearchResults {
		bad("Search results are limited to %d; narrow the query instead of paging past them (after=%d)", maxSearchResults, offset)
		return
	}
	groups, msg := s.compile(t.schema, body)
	if msg != "" {
		bad("%s", msg)
		return
	}
	sortProp, desc, msg := parseSort(t.schema, body.Sorts)
	if msg != "" {
		bad("%s", msg)
		return
	}

	query := strings.ToLower(strings.TrimSpace(body.Query))
	var page []*object
	var total int
	if lo, hi, ok := s.modRange(t, groups, sortProp, desc, query); ok {
		// The incremental-sync shape: a time range sorted by time. The index
		// answers it without scanning the portal.
		order := t.sorted()
		total = (hi - lo) - (t.dead[hi] - t.dead[lo])
		seen := 0
		for i := lo; i < hi && len(page) < body.Limit; i++ {
			if o := order[i]; o.live() {
				if seen >= offset {
					page = append(page, o)
				}
				seen++
			}
		}
	} else {
		page, total = s.scan(t, groups, sortProp, desc, query, offset, body.Limit)
	}
	resp := struct {
		Total   int          `json:"total"`
		Results []resultJSON `json:"results"`
		Paging  *paging      `json:"paging,omitempty"`
	}{Total: total, Results: s.render(t, page, body.Properties)}
	if n := offset + len(page); n < total {
		a := strconv.Itoa(n)
		resp.Paging = &paging{Next: &next{After: a, Link: "?after=" + a}}
	}
	writeJSON(w, http.StatusOK, resp)
}

// modRange is the index range [lo, hi) a search covers when it is one group of
// range filters on the last-modified property, sorted ascending by it.
func (s *Server) modRange(t *table, groups [][]cond, sortProp string, desc bool, query string) (int, int, bool) {
	mod := t.schema.modProp
	if sortProp != mod || desc || query != "" || len(groups) != 1 {
		return 0, 0, false
	}
	order := t.sorted()
	lo, hi := 0, len(order)
	at := func(ms int64) int {
		return sort.Search(len(order), func(i int) bool { return order[i].modified >= ms })
	}
	for _, c := range groups[0] {
		if c.prop != mod {
			return 0, 0, false
		}
		ms := int64(c.num)
		switch c.op {
		case "GTE":
			lo = max(lo, at(ms))
		case "GT":
			lo = max(lo, at(ms+1))
		case "EQ":
			lo, hi = max(lo, at(ms)), min(hi, at(ms+1))
		case "LTE":
			hi = min(hi, at(ms+1))
		case "LT":
			hi = min(hi, at(ms))
		default:
			return 0, 0, false
		}
	}
	return lo, max(lo, hi), true
}

// scan answers any other search by going through the records in sort order.
func (s *Server) scan(t *table, groups [][]cond, sortProp string, desc bool, query string, offset, limit int) ([]*object, int) {
	order := t.list
	switch sortProp {
	case t.schema.modProp:
		order = t.sorted()
	case "hs_object_id":
	default:
		order = s.sortBy(t, sortProp)
	}
	start, step, end := 0, 1, len(order)
	if desc {
		start, step, end = len(order)-1, -1, -1
	}
	total := 0
	var page []*object
	for i := start; i != end; i += step {
		o := order[i]
		if !o.live() || !s.matches(t, o, groups) || (query != "" && !s.queryMatches(t, o, query)) {
			continue
		}
		total++
		if total > offset && len(page) < limit {
			page = append(page, o)
		}
	}
	return page, total
}

// parseSort reads the one sort HubSpot allows: {"propertyName","direction"} or a
// property name, "-" first for descending.
func parseSort(sc *schema, sorts []json.RawMessage) (string, bool, string) {
	if len(sorts) == 0 {
		return "hs_object_id", false, ""
	}
	if len(sorts) > 1 {
		return "", false, "only one sort is supported"
	}
	var obj struct {
		PropertyName string `json:"propertyName"`
		Direction    string `json:"direction"`
	}
	name, desc := "", false
	if err := json.Unmarshal(sorts[0], &obj); err == nil {
		name = obj.PropertyName
		switch obj.Direction {
		case "", "ASCENDING":
		case "DESCENDING":
			desc = true
		default:
			return "", false, fmt.Sprintf("sort direction %q is not valid", obj.Direction)
		}
	} else {
		name = rawString(sorts[0])
		name, desc = strings.TrimPrefix(name, "-"), strings.HasPrefix(name, "-")
	}
	if _, ok := sc.kinds[name]; !ok {
		return "", false, fmt.Sprintf("cannot sort by %q: no such property on %s", name, sc.name)
	}
	return name, desc, ""
}

func (s *Server) sortBy(t *table, prop string) []*object {
	out := slices.Clone(t.list)
	k := t.schema.kinds[prop]
	slices.SortStableFunc(out, func(a, b *object) int {
		if k == kNumber || k == kDatetime {
			x, _ := s.numeric(t, a, prop)
			y, _ := s.numeric(t, b, prop)
			return cmpFloat(x, y)
		}
		x, _ := s.prop(t, a, prop)
		y, _ := s.prop(t, b, prop)
		return strings.Compare(strings.ToLower(x), strings.ToLower(y))
	})
	return out
}
