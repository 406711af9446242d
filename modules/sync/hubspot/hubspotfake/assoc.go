package hubspotfake

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// edge is one association from a record; the reverse edge is stored too.
type edge struct {
	to      int64
	primary bool
	label   string
}

// assocType is an association type as the v4 API renders it.
type assocType struct {
	Category string  `json:"category"`
	TypeID   int     `json:"typeId"`
	Label    *string `json:"label"`
}

// hubspotTypes are HubSpot's own association type ids: unlabeled and primary.
var hubspotTypes = map[string][2]int{
	Contacts + "/" + Companies: {279, 1},
	Companies + "/" + Contacts: {280, 2},
	Deals + "/" + Companies:    {341, 5},
	Companies + "/" + Deals:    {342, 6},
	Deals + "/" + Contacts:     {3, 0},
	Contacts + "/" + Deals:     {4, 0},
}

func (s *Server) types(from, to string, e edge) []assocType {
	ids, ok := hubspotTypes[from+"/"+to]
	cat := "HUBSPOT_DEFINED"
	if !ok {
		// Custom object associations are defined with the schema, so they are the
		// portal's own: USER_DEFINED with ids the portal assigned.
		cat = "USER_DEFINED"
		ids = [2]int{s.labelID(from + "/" + to), 0}
	}
	out := []assocType{{Category: cat, TypeID: ids[0]}}
	if e.primary && ids[1] != 0 {
		label := "Primary"
		out = append(out, assocType{Category: "HUBSPOT_DEFINED", TypeID: ids[1], Label: &label})
	}
	if e.label != "" {
		label := e.label
		out = append(out, assocType{Category: "USER_DEFINED", TypeID: s.labelID(e.label), Label: &label})
	}
	return out
}

// labelID gives each label (or custom pair) a stable id, as HubSpot does when a
// label is defined.
func (s *Server) labelID(label string) int {
	id, ok := s.labels[label]
	if !ok {
		id = 1000 + len(s.labels)
		s.labels[label] = id
	}
	return id
}

func (s *Server) addEdge(from, to string, fromID, toID int64, primary bool, label string) {
	key := from + "/" + to
	m := s.edges[key]
	if m == nil {
		m = map[int64][]edge{}
		s.edges[key] = m
	}
	list := m[fromID]
	if primary {
		for i := range list {
			list[i].primary = false
		}
	}
	for i, e := range list {
		if e.to == toID {
			list[i].primary = list[i].primary || primary
			if label != "" {
				list[i].label = label
			}
			m[fromID] = list
			return
		}
	}
	m[fromID] = append(list, edge{to: toID, primary: primary, label: label})
}

func (s *Server) link(from, to string, fromID, toID int64, primary bool, label string) {
	s.addEdge(from, to, fromID, toID, primary, label)
	// The reverse of a contact's primary company is not the company's primary
	// contact, so only labels travel back.
	s.addEdge(to, from, toID, fromID, false, label)
}

// Associate associates two live records, optionally as the from record's primary
// (contact or deal to company) and with a label (a deal contact's role). Both
// records are stamped modified so that an incremental sync reads them again.
func (s *Server) Associate(from, fromID, to, toID string, primary bool, label string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ft, fo, err := s.find(from, fromID)
	if err != nil {
		return err
	}
	tt, to2, err := s.find(to, toID)
	if err != nil {
		return err
	}
	s.link(from, to, fo.id, to2.id, primary, label)
	s.touch(ft, fo)
	s.touch(tt, to2)
	return nil
}

// Associations maps each live from record with associations to live to records
// onto their ids, in string order.
func (s *Server) Associations(from, to string) map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]string{}
	for id, list := range s.edges[from+"/"+to] {
		if !s.alive(from, id) {
			continue
		}
		for _, e := range list {
			if s.alive(to, e.to) {
				k := strconv.FormatInt(id, 10)
				out[k] = append(out[k], strconv.FormatInt(e.to, 10))
			}
		}
	}
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out
}

func (s *Server) primary(from, to string, id int64) int64 {
	for _, e := range s.edges[from+"/"+to][id] {
		if e.primary && s.alive(to, e.to) {
			return e.to
		}
	}
	return 0
}

// alive says whether a record of a standard or custom type exists and is live.
func (s *Server) alive(objType string, id int64) bool {
	if t, ok := s.tables[objType]; ok {
		o := t.get(id)
		return o != nil && o.live()
	}
	if c := s.custom(objType); c != nil {
		return c.byID[id] != nil
	}
	return false
}

// moveEdges hands the loser's associations of one pair to the survivor of a merge.
// The records on the other side change too (a contact's primary company may now
// be the survivor), so they are stamped modified.
func (s *Server) moveEdges(objType, to string, loser, winner int64) {
	for _, e := range s.edges[objType+"/"+to][loser] {
		s.addEdge(objType, to, winner, e.to, e.primary && s.primary(objType, to, winner) == 0, e.label)
		var was edge
		found := false
		s.edges[to+"/"+objType][e.to] = slices.DeleteFunc(s.edges[to+"/"+objType][e.to], func(b edge) bool {
			if b.to == loser {
				was, found = b, true
			}
			return b.to == loser
		})
		if found {
			s.addEdge(to, objType, e.to, winner, was.primary, was.label)
		}
		if t := s.tables[to]; t != nil {
			if o := t.get(e.to); o != nil && o.live() {
				s.touch(t, o)
			}
		}
	}
	delete(s.edges[objType+"/"+to], loser)
}

// liveEdges are id's associations to live records of the to type.
func (s *Server) liveEdges(from, to string, id int64) []edge {
	var out []edge
	for _, e := range s.edges[from+"/"+to][id] {
		if s.alive(to, e.to) {
			out = append(out, e)
		}
	}
	return out
}

type assocTo struct {
	ToObjectID       int64       `json:"toObjectId"`
	AssociationTypes []assocType `json:"associationTypes"`
}

func (s *Server) renderEdges(from, to string, edges []edge) []assocTo {
	out := make([]assocTo, len(edges))
	for i, e := range edges {
		out[i] = assocTo{ToObjectID: e.to, AssociationTypes: s.types(from, to, e)}
	}
	return out
}

// batchReadAssociations is POST /crm/v4/associations/{from}/{to}/batch/read.
func (s *Server) batchReadAssociations(w http.ResponseWriter, r *http.Request) {
	from, to, ok := s.pair(w, r)
	if !ok {
		return
	}
	var body struct {
		Inputs []struct {
			ID    string `json:"id"`
			After string `json:"after,omitempty"`
		} `json:"inputs"`
	}
	if !decode(w, r, &body) {
		return
	}
	if len(body.Inputs) > 1000 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Batch input size %d exceeds the limit of 1000", len(body.Inputs)))
		return
	}
	type result struct {
		From   idRef     `json:"from"`
		To     []assocTo `json:"to"`
		Paging *paging   `json:"paging,omitempty"`
	}
	results := []result{}
	var errs []batchError
	for _, in := range body.Inputs {
		id, err := strconv.ParseInt(in.ID, 10, 64)
		edges := s.liveEdges(from, to, id)
		if err != nil || len(edges) == 0 {
			errs = append(errs, batchError{Status: "error", Category: "OBJECT_NOT_FOUND",
				SubCategory: "crm.associations.NO_ASSOCIATIONS_FOUND",
				Message:     fmt.Sprintf("No %s is associated with %s %s.", to, from, in.ID),
				Context:     map[string][]string{"fromObjectId": {in.ID}}})
			continue
		}
		offset, ok := tokenOffset(w, in.After)
		if !ok {
			return
		}
		res := result{From: idRef{ID: in.ID}}
		edges = edges[min(offset, len(edges)):]
		if len(edges) > s.opt.AssociationPageSize {
			res.Paging = &paging{Next: &next{After: offsetToken(offset + s.opt.AssociationPageSize)}}
			edges = edges[:s.opt.AssociationPageSize]
		}
		res.To = s.renderEdges(from, to, edges)
		results = append(results, res)
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusMultiStatus
	}
	writeJSON(w, status, batchResponse{Status: "COMPLETE", Results: results, NumErrors: len(errs), Errors: errs,
		StartedAt: stamp(s.now()), CompletedAt: stamp(s.now())})
}

// listAssociations is GET /crm/v4/objects/{from}/{id}/associations/{to}.
func (s *Server) listAssociations(w http.ResponseWriter, r *http.Request) {
	from, to, ok := s.pair(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || !s.alive(from, id) {
		writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("No %s with id %s", from, r.PathValue("id")))
		return
	}
	limit, ok := queryLimit(w, r, 500, 500)
	if !ok {
		return
	}
	offset, ok := tokenOffset(w, r.URL.Query().Get("after"))
	if !ok {
		return
	}
	edges := s.liveEdges(from, to, id)
	resp := struct {
		Results []assocTo `json:"results"`
		Paging  *paging   `json:"paging,omitempty"`
	}{Results: []assocTo{}}
	if offset < len(edges) {
		end := min(offset+limit, len(edges))
		resp.Results = s.renderEdges(from, to, edges[offset:end])
		if end < len(edges) {
			resp.Paging = &paging{Next: &next{After: offsetToken(end)}}
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// associateDefault is POST /crm/v4/associations/{from}/{to}/batch/associate/default.
func (s *Server) associateDefault(w http.ResponseWriter, r *http.Request) {
	from, to, ok := s.pair(w, r)
	if !ok {
		return
	}
	var body struct {
		Inputs []struct {
			From idRef `json:"from"`
			To   idRef `json:"to"`
		} `json:"inputs"`
	}
	if !decode(w, r, &body) {
		return
	}
	if len(body.Inputs) > 2000 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Batch input size %d exceeds the limit of 2000", len(body.Inputs)))
		return
	}
	type spec struct {
		Category string `json:"associationCategory"`
		TypeID   int    `json:"associationTypeId"`
	}
	type result struct {
		From idRef `json:"from"`
		To   idRef `json:"to"`
		Spec spec  `json:"associationSpec"`
	}
	results := []result{}
	var errs []batchError
	for _, in := range body.Inputs {
		fid, err1 := strconv.ParseInt(in.From.ID, 10, 64)
		tid, err2 := strconv.ParseInt(in.To.ID, 10, 64)
		if err1 != nil || err2 != nil || !s.alive(from, fid) || !s.alive(to, tid) {
			errs = append(errs, batchError{Status: "error", Category: "VALIDATION_ERROR",
				Message: fmt.Sprintf("Could not associate %s %s with %s %s: no such record", from, in.From.ID, to, in.To.ID),
				Context: map[string][]string{"fromObjectId": {in.From.ID}, "toObjectId": {in.To.ID}}})
			continue
		}
		s.link(from, to, fid, tid, false, "")
		t := s.types(from, to, edge{})[0]
		results = append(results, result{From: in.From, To: in.To, Spec: spec{Category: t.Category, TypeID: t.TypeID}})
	}
	status := http.StatusCreated
	if len(errs) > 0 {
		status = http.StatusMultiStatus
	}
	writeJSON(w, status, batchResponse{Status: "COMPLETE", Results: results, NumErrors: len(errs), Errors: errs,
		StartedAt: stamp(s.now()), CompletedAt: stamp(s.now())})
}

// pair resolves the two object types of an associations path.
func (s *Server) pair(w http.ResponseWriter, r *http.Request) (from, to string, ok bool) {
	from, ok1 := s.resolve(r.PathValue("from"))
	to, ok2 := s.resolve(r.PathValue("to"))
	if !ok1 || !ok2 {
		bad := r.PathValue("from")
		if ok1 {
			bad = r.PathValue("to")
		}
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Unable to infer object type from: "+bad)
		return "", "", false
	}
	return from, to, true
}

// offsetToken and tokenOffset make the opaque paging tokens of list endpoints.
func offsetToken(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(n)))
}

func tokenOffset(w http.ResponseWriter, tok string) (int, bool) {
	if tok == "" {
		return 0, true
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	var n int
	if err == nil {
		_, err = fmt.Sscanf(string(raw), "o:%d", &n)
	}
	if err != nil || n < 0 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Invalid paging token %q", tok))
		return 0, false
	}
	return n, true
}
