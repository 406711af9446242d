package hubspotfake

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The CRM object types the fake holds, spelled as in API paths.
const (
	Contacts  = "contacts"
	Companies = "companies"
	Deals     = "deals"
)

// kind is how a property's values compare in search filters and sorts.
type kind int

const (
	kString kind = iota
	kNumber
	kDatetime
	kBool
)

// schema describes one object type: its stored properties, the properties the API
// computes, and which property says when a record last changed.
type schema struct {
	name     string
	typeID   string
	modProp  string
	plain    []string
	kinds    map[string]kind
	defaults []string
	idBase   int64
}

var schemas = map[string]*schema{
	Contacts: {
		name: Contacts, typeID: "0-1", modProp: "lastmodifieddate", idBase: 100000000,
		plain:    []string{"email", "firstname", "lastname", "company"},
		defaults: []string{"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"},
		kinds: map[string]kind{"email": kString, "firstname": kString, "lastname": kString, "company": kString,
			"associatedcompanyid": kNumber, "createdate": kDatetime, "lastmodifieddate": kDatetime,
			"hs_merged_object_ids": kString, "hs_object_id": kNumber},
	},
	Companies: {
		name: Companies, typeID: "0-2", modProp: "hs_lastmodifieddate", idBase: 200000000,
		plain:    []string{"name", "domain"},
		defaults: []string{"createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"},
		kinds: map[string]kind{"name": kString, "domain": kString, "createdate": kDatetime,
			"hs_lastmodifieddate": kDatetime, "hs_merged_object_ids": kString, "hs_object_id": kNumber},
	},
	Deals: {
		name: Deals, typeID: "0-3", modProp: "hs_lastmodifieddate", idBase: 300000000,
		plain: []string{"dealname", "amount", "deal_currency_code", "pipeline", "dealstage", "closedate"},
		defaults: []string{"amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
			"hs_object_id", "pipeline"},
		kinds: map[string]kind{"dealname": kString, "amount": kNumber, "deal_currency_code": kString,
			"pipeline": kString, "dealstage": kString, "closedate": kDatetime, "createdate": kDatetime,
			"hs_lastmodifieddate": kDatetime, "hs_is_closed_won": kBool, "hs_is_closed": kBool,
			"hs_merged_object_ids": kString, "hs_object_id": kNumber},
	},
}

// Positions of deal properties the fake reads itself.
const (
	dealPipeline = 3
	dealStage    = 4
)

// object is one CRM record, kept compact so a bench-sized portal fits in little
// memory: plain property values by schema position, times in Unix milliseconds.
type object struct {
	id         int64
	vals       []string
	created    int64
	modified   int64
	archivedAt int64
	mergedInto int64
	merged     []int64
}

func (o *object) live() bool { return o.archivedAt == 0 && o.mergedInto == 0 }

// table holds one type's records; ids are idBase+1, idBase+2, … so a record is found
// by index. byMod is the search index sorted by (modified, id), rebuilt lazily.
type table struct {
	schema *schema
	list   []*object
	byMod  []*object
	// dead[i] counts the records in byMod[:i] that are not live, so a range of the
	// index knows its live count without a scan.
	dead  []int
	dirty bool
}

func (t *table) get(id int64) *object {
	i := id - t.schema.idBase - 1
	if i < 0 || i >= int64(len(t.list)) {
		return nil
	}
	return t.list[i]
}

func (t *table) sorted() []*object {
	if t.dirty || t.dead == nil {
		t.byMod = slices.Clone(t.list)
		sort.Slice(t.byMod, func(i, j int) bool {
			a, b := t.byMod[i], t.byMod[j]
			return a.modified < b.modified || (a.modified == b.modified && a.id < b.id)
		})
		t.dead = make([]int, len(t.byMod)+1)
		for i, o := range t.byMod {
			t.dead[i+1] = t.dead[i]
			if !o.live() {
				t.dead[i+1]++
			}
		}
		t.dirty = false
	}
	return t.byMod
}

// prop is the value of any property of o as the API renders it; ok is false when it
// is unset (rendered as null).
func (s *Server) prop(t *table, o *object, name string) (string, bool) {
	sc := t.schema
	if i := slices.Index(sc.plain, name); i >= 0 {
		return o.vals[i], o.vals[i] != ""
	}
	switch name {
	case "hs_object_id":
		return strconv.FormatInt(o.id, 10), true
	case "createdate":
		return stamp(o.created), true
	case sc.modProp:
		return stamp(o.modified), true
	case "hs_merged_object_ids":
		if len(o.merged) == 0 {
			return "", false
		}
		ids := make([]string, len(o.merged))
		for i, m := range o.merged {
			ids[i] = strconv.FormatInt(m, 10)
		}
		return strings.Join(ids, ";"), true
	case "associatedcompanyid":
		if sc.name == Contacts {
			if p := s.primary(Contacts, Companies, o.id); p != 0 {
				return strconv.FormatInt(p, 10), true
			}
		}
	case "hs_is_closed_won", "hs_is_closed":
		if sc.name == Deals && !s.opt.NoClosedFlags {
			st, ok := s.stage(o.vals[dealPipeline], o.vals[dealStage])
			if !ok {
				return "false", true
			}
			won := st.IsClosed && st.Probability == "1.0"
			if name == "hs_is_closed" {
				return strconv.FormatBool(st.IsClosed), true
			}
			return strconv.FormatBool(won), true
		}
	}
	return "", false
}

// stamp renders Unix milliseconds as HubSpot renders datetimes.
func stamp(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

func (s *Server) now() int64 { return s.opt.Now().UnixMilli() }

func (s *Server) table(objType string) *table {
	t, ok := s.tables[objType]
	if !ok {
		panic("hubspotfake: unknown object type " + objType)
	}
	return t
}

func (s *Server) insert(objType string, props map[string]string, created, modified int64) *object {
	sc := s.table(objType).schema
	vals := make([]string, len(sc.plain))
	for k, v := range props {
		i := slices.Index(sc.plain, k)
		if i < 0 {
			panic(fmt.Sprintf("hubspotfake: %s have no settable property %q", objType, k))
		}
		vals[i] = v
	}
	return s.add(objType, vals, created, modified)
}

// add appends a record; vals are its plain properties in schema order.
func (s *Server) add(objType string, vals []string, created, modified int64) *object {
	t := s.table(objType)
	o := &object{id: t.schema.idBase + int64(len(t.list)) + 1, vals: vals, created: created, modified: modified}
	t.list = append(t.list, o)
	t.dirty = true
	return o
}

func (s *Server) find(objType, id string) (*table, *object, error) {
	t := s.table(objType)
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, nil, fmt.Errorf("hubspotfake: bad %s id %q", objType, id)
	}
	o := t.get(n)
	if o == nil || !o.live() {
		return nil, nil, fmt.Errorf("hubspotfake: no live %s %s", objType, id)
	}
	return t, o, nil
}

// Create adds a record of objType (Contacts, Companies, Deals) with the given
// settable properties and returns its id. It panics on a property the type does not
// have, which is a bug in the test.
func (s *Server) Create(objType string, props map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	return strconv.FormatInt(s.insert(objType, props, now, now).id, 10)
}

// Update sets properties of a live record and stamps it modified now.
func (s *Server) Update(objType, id string, props map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, o, err := s.find(objType, id)
	if err != nil {
		return err
	}
	for k, v := range props {
		i := slices.Index(t.schema.plain, k)
		if i < 0 {
			return fmt.Errorf("hubspotfake: %s have no settable property %q", objType, k)
		}
		o.vals[i] = v
	}
	s.touch(t, o)
	return nil
}

func (s *Server) touch(t *table, o *object) {
	o.modified = s.now()
	t.dirty = true
}

// Archive moves a live record to the recycle bin: it leaves search and appears in
// the list endpoint with archived=true; records associated with it are stamped
// modified.
func (s *Server) Archive(objType, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, o, err := s.find(objType, id)
	if err != nil {
		return err
	}
	o.archivedAt = s.now()
	t.dirty = true
	// Its associations are gone for the records on the other side, whose computed
	// properties (a contact's associatedcompanyid) change with them.
	for _, to := range []string{Contacts, Companies, Deals} {
		for _, e := range s.edges[objType+"/"+to][o.id] {
			if ot := s.tables[to]; ot.get(e.to) != nil && ot.get(e.to).live() {
				s.touch(ot, ot.get(e.to))
			}
		}
	}
	return nil
}

// Merge merges loser into survivor as HubSpot does: the loser disappears (from
// search and from the archived list), its id joins the survivor's
// hs_merged_object_ids, its associations move to the survivor, and the survivor is
// stamped modified.
func (s *Server) Merge(objType, survivor, loser string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, win, err := s.find(objType, survivor)
	if err != nil {
		return err
	}
	_, lose, err := s.find(objType, loser)
	if err != nil {
		return err
	}
	if win == lose {
		return fmt.Errorf("hubspotfake: cannot merge %s %s into itself", objType, survivor)
	}
	lose.mergedInto = win.id
	win.merged = append(append(win.merged, lose.id), lose.merged...)
	for _, to := range []string{Contacts, Companies, Deals} {
		s.moveEdges(objType, to, lose.id, win.id)
	}
	s.touch(t, win)
	return nil
}

// LiveIDs are the ids of objType's live records (not archived, not merged away), in
// string order.
func (s *Server) LiveIDs(objType string) []string {
	return s.ids(objType, func(o *object) bool { return o.live() })
}

// ArchivedIDs are the ids of objType's archived records, in string order.
func (s *Server) ArchivedIDs(objType string) []string {
	return s.ids(objType, func(o *object) bool { return o.archivedAt != 0 && o.mergedInto == 0 })
}

// Merged maps each merged-away id of objType to the id it was merged into.
func (s *Server) Merged(objType string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for _, o := range s.table(objType).list {
		if o.mergedInto != 0 {
			out[strconv.FormatInt(o.id, 10)] = strconv.FormatInt(o.mergedInto, 10)
		}
	}
	return out
}

func (s *Server) ids(objType string, keep func(*object) bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, o := range s.table(objType).list {
		if keep(o) {
			out = append(out, strconv.FormatInt(o.id, 10))
		}
	}
	slices.Sort(out)
	return out
}

// Properties are a record's properties as the API would return them (unset ones
// left out), whether or not it is live; nil when there is no such record.
func (s *Server) Properties(objType, id string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(objType)
	n, _ := strconv.ParseInt(id, 10, 64)
	o := t.get(n)
	if o == nil {
		return nil
	}
	out := map[string]string{}
	for name := range t.schema.kinds {
		if v, ok := s.prop(t, o, name); ok {
			out[name] = v
		}
	}
	return out
}
