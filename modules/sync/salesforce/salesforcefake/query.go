package salesforcefake

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxLocators is how many query cursors a user may hold open; opening another
// drops the oldest, as in Salesforce.
const maxLocators = 10

// locator is an open query cursor: the snapshot of matching records and the
// fields selected.
type locator struct {
	seq    int
	obj    *object
	fields []int
	recs   []*record
	base   string // "query" or "queryAll"
}

// query answers GET /query?q= and /queryAll?q=.
func (s *Server) query(w http.ResponseWriter, r *http.Request, version, resource string) {
	q := r.URL.Query().Get("q")
	if q == "" {
		writeErrors(w, http.StatusBadRequest, "MALFORMED_QUERY", "A query string has to be specified")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries = append(s.queries, q)
	parsed, err := s.parse(q)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	loc := &locator{obj: parsed.obj, fields: parsed.fields, recs: parsed.run(resource == "queryAll"), base: resource}
	s.writeBatch(w, version, loc, 0)
}

// more answers GET /query/{locator}-{offset}, a nextRecordsUrl.
func (s *Server) more(w http.ResponseWriter, version, ref string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, off, ok := strings.Cut(ref, "-")
	n, err := strconv.Atoi(off)
	loc := s.locators[id]
	if !ok || err != nil || loc == nil || n < 0 || n > len(loc.recs) {
		writeErrors(w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	s.writeBatch(w, version, loc, n)
}

// writeBatch writes the batch of loc starting at off, opening or closing its cursor
// as needed. Callers hold s.mu.
func (s *Server) writeBatch(w http.ResponseWriter, version string, loc *locator, off int) {
	end := min(off+s.opt.BatchSize, len(loc.recs))
	done := end == len(loc.recs)
	next := ""
	if !done {
		if loc.seq == 0 {
			s.openLocator(loc)
		}
		next = fmt.Sprintf("/services/data/%s/%s/01gFAKE%08dAAA-%d", version, loc.base, loc.seq, end)
	} else if loc.seq != 0 {
		delete(s.locators, locID(loc.seq))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"totalSize":%d,"done":%t,`, len(loc.recs), done)
	if next != "" {
		fmt.Fprintf(&b, `"nextRecordsUrl":%q,`, next)
	}
	b.WriteString(`"records":[`)
	for i, r := range loc.recs[off:end] {
		if i > 0 {
			b.WriteByte(',')
		}
		s.appendRecord(&b, version, loc.obj, loc.fields, r)
	}
	b.WriteString("]}\n")
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

func locID(seq int) string { return fmt.Sprintf("01gFAKE%08dAAA", seq) }

func (s *Server) openLocator(loc *locator) {
	s.locSeq++
	loc.seq = s.locSeq
	s.locators[locID(loc.seq)] = loc
	if len(s.locators) > maxLocators {
		oldest := ""
		for id := range s.locators {
			if oldest == "" || id < oldest {
				oldest = id
			}
		}
		delete(s.locators, oldest)
	}
}

// appendRecord writes one record as Salesforce does: attributes first, then the
// selected fields by their canonical names, nulls included.
func (s *Server) appendRecord(b *bytes.Buffer, version string, o *object, fields []int, r *record) {
	fmt.Fprintf(b, `{"attributes":{"type":%q,"url":"/services/data/%s/sobjects/%s/%s"}`, o.name, version, o.name, r.vals[fID])
	for _, fi := range fields {
		fd := o.fields[fi]
		b.WriteString(`,"`)
		b.WriteString(fd.name)
		b.WriteString(`":`)
		v := r.vals[fi]
		switch {
		case v == "":
			b.WriteString("null")
		case fd.typ == tBool || fd.typ == tNumber:
			b.WriteString(v)
		default:
			appendString(b, v)
		}
	}
	b.WriteByte('}')
}

// appendString writes s as a JSON string.
func appendString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c < 0x20:
			fmt.Fprintf(b, `\u%04x`, c)
		case c == utf8.RuneError:
			b.WriteString(`\ufffd`)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
}

// describe answers GET /sobjects/{Type}/describe with the fields list.
func (s *Server) describe(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[lower(name)]
	if !ok {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	type field struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Label    string `json:"label"`
		Nillable bool   `json:"nillable"`
	}
	fields := make([]field, len(o.fields))
	for i, fd := range o.fields {
		fields[i] = field{Name: fd.name, Type: fd.describeType, Label: fd.name, Nillable: fd.typ != tBool && fd.name != "Id"}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name": o.name, "label": o.name, "custom": strings.HasSuffix(o.name, "__c"),
		"queryable": true, "fields": fields,
	})
}
