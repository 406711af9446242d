package hubspotfake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// TouchpointProperties are the properties of the fake portal's touchpoint object;
// srg_touchpoint_id is its unique property, the one upserts name as idProperty.
var TouchpointProperties = []string{
	"srg_touchpoint_id", "srg_occurred_at", "srg_type", "srg_name", "srg_url", "srg_title", "srg_referrer",
	"srg_channel", "srg_utm_source", "srg_utm_medium", "srg_utm_campaign", "srg_utm_content", "srg_utm_term",
	"srg_form_name", "srg_email",
}

// maxValueLen is HubSpot's limit on a string property value.
const maxValueLen = 65536

// customType is a custom object schema and its records.
type customType struct {
	typeID  string
	names   []string
	unique  string
	props   []string
	byKey   map[string]*customRecord
	byID    map[int64]*customRecord
	nextID  int64
	creates int
}

type customRecord struct {
	id      int64
	props   map[string]string
	created int64
	updated int64
}

// CustomRecord is a stored custom object record with its associations, for tests.
type CustomRecord struct {
	ID         string
	Properties map[string]string
	Contacts   []string
	Deals      []string
}

func (s *Server) custom(objType string) *customType {
	for _, c := range s.customs {
		if c.typeID == objType || slices.Contains(c.names, objType) {
			return c
		}
	}
	return nil
}

// resolve maps an object type as a path spells it (name, type id, or a custom
// object's qualified name) to the fake's own name for it.
func (s *Server) resolve(name string) (string, bool) {
	for _, sc := range schemas {
		if name == sc.name || name == sc.typeID {
			return sc.name, true
		}
	}
	if c := s.custom(name); c != nil {
		return c.typeID, true
	}
	return "", false
}

// CustomRecords are the records of a custom object type (by any of its names),
// ordered by id.
func (s *Server) CustomRecords(objType string) []CustomRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.custom(objType)
	if c == nil {
		return nil
	}
	var out []CustomRecord
	for _, rec := range c.byID {
		cr := CustomRecord{ID: strconv.FormatInt(rec.id, 10), Properties: map[string]string{}}
		for k, v := range rec.props {
			cr.Properties[k] = v
		}
		for _, e := range s.liveEdges(c.typeID, Contacts, rec.id) {
			cr.Contacts = append(cr.Contacts, strconv.FormatInt(e.to, 10))
		}
		for _, e := range s.liveEdges(c.typeID, Deals, rec.id) {
			cr.Deals = append(cr.Deals, strconv.FormatInt(e.to, 10))
		}
		slices.Sort(cr.Contacts)
		slices.Sort(cr.Deals)
		out = append(out, cr)
	}
	slices.SortFunc(out, func(a, b CustomRecord) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// CustomCreates is how many records of a custom object type upserts have created.
func (s *Server) CustomCreates(objType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.custom(objType); c != nil {
		return c.creates
	}
	return 0
}

type upsertInput struct {
	ID                 string            `json:"id"`
	IDProperty         string            `json:"idProperty"`
	Properties         map[string]string `json:"properties"`
	ObjectWriteTraceID string            `json:"objectWriteTraceId,omitempty"`
}

type upsertResult struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	CreatedAt  string            `json:"createdAt"`
	UpdatedAt  string            `json:"updatedAt"`
	Archived   bool              `json:"archived"`
	New        bool              `json:"new"`
}

// batchUpsert is POST /crm/v3/objects/{type}/batch/upsert for custom objects. Like
// HubSpot, a batch with an invalid input writes nothing and answers 207 with one
// error per invalid input.
func (s *Server) batchUpsert(w http.ResponseWriter, r *http.Request) {
	c := s.custom(r.PathValue("type"))
	if c == nil {
		if _, ok := s.resolve(r.PathValue("type")); ok {
			writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "This fake upserts custom objects only")
			return
		}
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Unable to infer object type from: "+r.PathValue("type"))
		return
	}
	var body struct {
		Inputs []upsertInput `json:"inputs"`
	}
	if !decode(w, r, &body) {
		return
	}
	if n := len(body.Inputs); n == 0 || n > 100 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Batch input size must be between 1 and 100, got %d", n))
		return
	}
	seen := map[string]bool{}
	for _, in := range body.Inputs {
		if in.IDProperty != c.unique {
			writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
				fmt.Sprintf("Unable to perform upsert by non-unique %s property %q", c.typeID, in.IDProperty))
			return
		}
		if seen[in.ID] {
			writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Duplicate IDs found in batch input: [%s]", in.ID))
			return
		}
		seen[in.ID] = true
	}
	var errs []batchError
	for _, in := range body.Inputs {
		if msg := c.invalid(in); msg != "" {
			errs = append(errs, batchError{Status: "error", Category: "VALIDATION_ERROR", Message: msg,
				Context: map[string][]string{"ids": {in.ID}}})
		}
	}
	if len(errs) > 0 {
		writeJSON(w, http.StatusMultiStatus, batchResponse{Status: "COMPLETE", Results: []upsertResult{},
			NumErrors: len(errs), Errors: errs, StartedAt: stamp(s.now()), CompletedAt: stamp(s.now())})
		return
	}
	now := s.now()
	results := make([]upsertResult, 0, len(body.Inputs))
	for _, in := range body.Inputs {
		rec, ok := c.byKey[in.ID]
		if !ok {
			c.nextID++
			rec = &customRecord{id: c.nextID, props: map[string]string{}, created: now}
			c.byKey[in.ID], c.byID[rec.id] = rec, rec
			c.creates++
		}
		for k, v := range in.Properties {
			rec.props[k] = v
		}
		rec.props[c.unique] = in.ID
		rec.updated = now
		props := map[string]string{"hs_object_id": strconv.FormatInt(rec.id, 10),
			"hs_createdate": stamp(rec.created), "hs_lastmodifieddate": stamp(rec.updated)}
		for k, v := range rec.props {
			props[k] = v
		}
		results = append(results, upsertResult{ID: strconv.FormatInt(rec.id, 10), Properties: props,
			CreatedAt: stamp(rec.created), UpdatedAt: stamp(rec.updated), New: !ok})
	}
	writeJSON(w, http.StatusOK, batchResponse{Status: "COMPLETE", Results: results,
		StartedAt: stamp(now), CompletedAt: stamp(now)})
}

func (c *customType) invalid(in upsertInput) string {
	if in.ID == "" {
		return "An id is required for every input"
	}
	for k, v := range in.Properties {
		if !slices.Contains(c.props, k) {
			return fmt.Sprintf("Property %q does not exist", k)
		}
		if utf8.RuneCountInString(v) > maxValueLen {
			return fmt.Sprintf("Property values were not valid: [{\"isValid\":false,\"message\":\"Value for %s is longer than %d characters\",\"error\":\"INVALID_LENGTH\",\"name\":%q}]", k, maxValueLen, k)
		}
		if k == c.unique && v != in.ID {
			return fmt.Sprintf("Property %s must equal the input id %q", k, in.ID)
		}
	}
	return ""
}
