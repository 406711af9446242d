package hubspotfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type resultJSON struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  string             `json:"createdAt"`
	UpdatedAt  string             `json:"updatedAt"`
	Archived   bool               `json:"archived"`
	ArchivedAt string             `json:"archivedAt,omitempty"`
}

// render turns records into API results with the requested properties (the
// type's defaults when none are asked for); unknown names are ignored, as HubSpot
// does, and unset values are null.
func (s *Server) render(t *table, objs []*object, props []string) []resultJSON {
	if len(props) == 0 {
		props = t.schema.defaults
	}
	props = append([]string{"hs_object_id", "createdate", t.schema.modProp}, props...)
	out := make([]resultJSON, 0, len(objs))
	for _, o := range objs {
		res := resultJSON{ID: strconv.FormatInt(o.id, 10), Properties: map[string]*string{},
			CreatedAt: stamp(o.created), UpdatedAt: stamp(o.modified)}
		for _, p := range props {
			if _, known := t.schema.kinds[p]; !known {
				continue
			}
			if v, ok := s.prop(t, o, p); ok {
				res.Properties[p] = &v
			} else {
				res.Properties[p] = nil
			}
		}
		if o.archivedAt != 0 {
			res.Archived, res.ArchivedAt = true, stamp(o.archivedAt)
		}
		out = append(out, res)
	}
	return out
}

// list is GET /crm/v3/objects/{type}, in id order, live or archived records.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	objType, ok := s.resolve(r.PathValue("type"))
	t := s.tables[objType]
	if !ok || t == nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Unable to infer object type from: "+r.PathValue("type"))
		return
	}
	q := r.URL.Query()
	limit, ok := queryLimit(w, r, 10, 100)
	if !ok {
		return
	}
	from, ok := tokenOffset(w, q.Get("after"))
	if !ok {
		return
	}
	archived := q.Get("archived") == "true"
	var props []string
	for _, v := range q["properties"] {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				props = append(props, p)
			}
		}
	}
	var page []*object
	i := from
	for ; i < len(t.list) && len(page) < limit; i++ {
		o := t.list[i]
		if o.mergedInto == 0 && (o.archivedAt != 0) == archived {
			page = append(page, o)
		}
	}
	resp := struct {
		Results []resultJSON `json:"results"`
		Paging  *paging      `json:"paging,omitempty"`
	}{Results: s.render(t, page, props)}
	for j := i; j < len(t.list); j++ {
		if o := t.list[j]; o.mergedInto == 0 && (o.archivedAt != 0) == archived {
			tok := offsetToken(i)
			resp.Paging = &paging{Next: &next{After: tok, Link: fmt.Sprintf("%s%s?after=%s", s.URL, r.URL.Path, tok)}}
			break
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// rawString is a JSON string's value, or a number's literal text.
func rawString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// parseMillis reads epoch milliseconds, an ISO 8601 datetime or a date.
func parseMillis(v string) (int64, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), true
		}
	}
	return 0, false
}
