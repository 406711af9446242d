package salesforcefake

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// maxCollection is the most records one sObject Collections call takes.
const maxCollection = 200

type recordError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

type upsertResult struct {
	ID      string        `json:"id,omitempty"`
	Success bool          `json:"success"`
	Created *bool         `json:"created,omitempty"`
	Errors  []recordError `json:"errors"`
}

// references names the object each lookup field of the touchpoint points at.
func references() [][2]string {
	return [][2]string{{TPLead, Lead}, {TPContact, Contact}, {TPOpportunity, Opportunity}}
}

// upsert answers PATCH /composite/sobjects/{Type}/{ExternalIdField}.
func (s *Server) upsert(w http.ResponseWriter, r *http.Request, typ, extField string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[lower(typ)]
	if !ok {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if o.name != s.opt.TouchpointObject || extField != s.opt.TouchpointExternalID {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: "+extField)
		return
	}
	var body struct {
		AllOrNone bool                         `json:"allOrNone"`
		Records   []map[string]json.RawMessage `json:"records"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeErrors(w, http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character in request body: "+err.Error())
		return
	}
	if len(body.Records) == 0 {
		writeErrors(w, http.StatusBadRequest, "INVALID_FIELD", "records: required field is missing")
		return
	}
	if len(body.Records) > maxCollection {
		writeErrors(w, http.StatusBadRequest, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call")
		return
	}
	rows := make([]map[string]string, len(body.Records))
	for i, rec := range body.Records {
		row, err := s.decodeRow(o, rec)
		if err != nil {
			writeAPIError(w, err)
			return
		}
		rows[i] = row
	}
	results := make([]upsertResult, len(rows))
	seen := map[string]bool{}
	failed := false
	for i, row := range rows {
		if errs := s.check(o, row, extField, seen); len(errs) > 0 {
			results[i] = upsertResult{Errors: errs}
			failed = true
		}
	}
	if failed && body.AllOrNone {
		for i := range results {
			if results[i].Errors == nil {
				results[i].Errors = []recordError{{StatusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK", Message: "Record rolled back because not all records were valid and the request was using AllOrNone header", Fields: []string{}}}
			}
		}
		writeJSON(w, http.StatusOK, results)
		return
	}
	for i, row := range rows {
		if results[i].Errors != nil {
			continue
		}
		ext := row[extField]
		id, exists := s.tpIndex[ext]
		if exists {
			s.change(o, id, row)
		} else {
			id = s.insert(o, s.tick(), row)
			s.tpIndex[ext] = id
		}
		created := !exists
		results[i] = upsertResult{ID: id, Success: true, Created: &created, Errors: []recordError{}}
	}
	writeJSON(w, http.StatusOK, results)
}

// decodeRow reads one record of the request: its attributes must name the type of
// the URL, and every other key must be a field of the object holding a string or
// null. These are request-level errors in Salesforce (400), not per-record ones.
func (s *Server) decodeRow(o *object, rec map[string]json.RawMessage) (map[string]string, error) {
	var attrs struct {
		Type string `json:"type"`
	}
	if raw, ok := rec["attributes"]; !ok || json.Unmarshal(raw, &attrs) != nil || attrs.Type == "" {
		return nil, &apiError{status: 400, code: "INVALID_INPUT", msg: "Each record must have an attributes map with a type"}
	}
	if attrs.Type != o.name {
		return nil, &apiError{status: 400, code: "INVALID_INPUT", msg: "The list can contain objects only of the type " + o.name}
	}
	row := map[string]string{}
	for k, raw := range rec {
		if k == "attributes" {
			continue
		}
		i, ok := o.field(k)
		if !ok || o.fields[i].name != k {
			return nil, &apiError{status: 400, code: "INVALID_FIELD", msg: fmt.Sprintf("No such column '%s' on sobject of type %s", k, o.name)}
		}
		switch k {
		case "Id", "IsDeleted", "CreatedDate", "SystemModstamp":
			return nil, &apiError{status: 400, code: "INVALID_FIELD_FOR_INSERT_UPDATE", msg: "Unable to create/update fields: " + k}
		}
		var v *string
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, &apiError{status: 400, code: "JSON_PARSER_ERROR", msg: fmt.Sprintf("Cannot deserialize instance of %s from %s value for field %s", o.fields[i].describeType, string(raw), k)}
		}
		if v == nil {
			row[k] = ""
			continue
		}
		if o.fields[i].typ == tDateTime {
			at, err := time.Parse(time.RFC3339Nano, *v)
			if err != nil {
				return nil, &apiError{status: 400, code: "JSON_PARSER_ERROR", msg: fmt.Sprintf("Cannot deserialize instance of datetime from VALUE_STRING value %s for field %s", *v, k)}
			}
			row[k] = at.UTC().Format(stampLayout)
			continue
		}
		row[k] = *v
	}
	return row, nil
}

// check finds what Salesforce refuses per record: a missing or repeated external
// id, text over 255 characters, a lookup to a record that does not exist or was
// deleted.
func (s *Server) check(o *object, row map[string]string, extField string, seen map[string]bool) []recordError {
	var errs []recordError
	ext := row[extField]
	switch {
	case ext == "":
		errs = append(errs, recordError{StatusCode: "REQUIRED_FIELD_MISSING", Message: "Required fields are missing: [" + extField + "]", Fields: []string{extField}})
	case seen[ext]:
		errs = append(errs, recordError{StatusCode: "DUPLICATE_VALUE", Message: "Duplicate external id specified: " + ext, Fields: []string{extField}})
	}
	seen[ext] = true
	for _, k := range slices.Sorted(maps.Keys(row)) {
		if utf8.RuneCountInString(row[k]) > maxText {
			errs = append(errs, recordError{StatusCode: "STRING_TOO_LONG", Message: fmt.Sprintf("%s: data value too large", k), Fields: []string{k}})
		}
	}
	for _, ref := range references() {
		field, target := ref[0], ref[1]
		id := row[field]
		if id == "" {
			continue
		}
		to := s.obj(target)
		i, ok := to.byID[id]
		switch {
		case !ok:
			errs = append(errs, recordError{StatusCode: "INVALID_CROSS_REFERENCE_KEY", Message: field + ": id value of incorrect type: " + id, Fields: []string{field}})
		case to.recs[i].vals[to.must("IsDeleted")] == "true":
			errs = append(errs, recordError{StatusCode: "ENTITY_IS_DELETED", Message: "entity is deleted", Fields: []string{field}})
		}
	}
	return errs
}

// Touchpoint returns the written touchpoint with the given external id, or nil.
func (s *Server) Touchpoint(externalID string) map[string]string {
	s.mu.Lock()
	id, ok := s.tpIndex[externalID]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	return s.Get(s.opt.TouchpointObject, id)
}

// TouchpointCount is the number of touchpoint records stored.
func (s *Server) TouchpointCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tpIndex)
}
