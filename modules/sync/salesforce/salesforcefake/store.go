package salesforcefake

import (
	"fmt"
	"slices"
	"time"
)

// Object names the fake stores, for the mutation helpers and accessors.
const (
	Account                = "Account"
	Contact                = "Contact"
	Lead                   = "Lead"
	Opportunity            = "Opportunity"
	OpportunityContactRole = "OpportunityContactRole"
	Campaign               = "Campaign"
	CampaignMember         = "CampaignMember"
	OpportunityStage       = "OpportunityStage"
)

// stampLayout is how Salesforce writes a dateTime; at a fixed width and in UTC it
// also sorts as text, which is how the fake compares them.
const stampLayout = "2006-01-02T15:04:05.000+0000"

type link struct{ obj, field string }

// children say which records follow a parent when it is deleted (cascade) or merged
// (re-parented).
func children(obj string) []link {
	switch obj {
	case Account:
		return []link{{Contact, "AccountId"}, {Opportunity, "AccountId"}}
	case Contact:
		return []link{{OpportunityContactRole, "ContactId"}, {CampaignMember, "ContactId"}}
	case Lead:
		return []link{{CampaignMember, "LeadId"}}
	case Opportunity:
		return []link{{OpportunityContactRole, "OpportunityId"}}
	case Campaign:
		return []link{{CampaignMember, "CampaignId"}}
	}
	return nil
}

// obj returns the named object or panics: an unknown name is a bug in the caller.
func (s *Server) obj(name string) *object {
	o, ok := s.objects[lower(name)]
	if !ok {
		panic("salesforcefake: unknown object " + name)
	}
	return o
}

// tick advances the fake clock by a second, so every change made through the
// helpers has its own SystemModstamp, later than any before.
func (s *Server) tick() string {
	s.clock = s.clock.Add(time.Second)
	return s.clock.Format(stampLayout)
}

// insert stores a new record with the given values at stamp and returns its id.
func (s *Server) insert(o *object, stamp string, vals map[string]string) string {
	o.nextID++
	id := fmt.Sprintf("%s0%011dAAA", o.prefix, o.nextID)
	rec := &record{vals: make([]string, len(o.fields))}
	for i, fd := range o.fields {
		if fd.typ == tBool {
			rec.vals[i] = "false"
		}
	}
	rec.vals[fID] = id
	rec.vals[o.must("CreatedDate")] = stamp
	rec.vals[o.must("SystemModstamp")] = stamp
	for k, v := range vals {
		rec.vals[o.must(k)] = v
	}
	o.byID[id] = len(o.recs)
	o.recs = append(o.recs, rec)
	return id
}

// change replaces a record with a copy holding vals and a new SystemModstamp.
func (s *Server) change(o *object, id string, vals map[string]string) {
	i, ok := o.byID[id]
	if !ok {
		panic("salesforcefake: no " + o.name + " " + id)
	}
	rec := &record{vals: slices.Clone(o.recs[i].vals)}
	for k, v := range vals {
		rec.vals[o.must(k)] = v
	}
	if o.name == Opportunity {
		if _, ok := vals["StageName"]; ok {
			s.deriveStage(rec)
		}
	}
	rec.vals[o.must("SystemModstamp")] = s.tick()
	o.recs[i] = rec
}

// deriveStage sets IsClosed and IsWon from the stage, as Salesforce does.
func (s *Server) deriveStage(rec *record) {
	opp, st := s.obj(Opportunity), s.obj(OpportunityStage)
	name := opp.get(rec, "StageName")
	for _, sr := range st.recs {
		if st.get(sr, "ApiName") == name {
			rec.vals[opp.must("IsClosed")] = st.get(sr, "IsClosed")
			rec.vals[opp.must("IsWon")] = st.get(sr, "IsWon")
		}
	}
}

// Create adds a record of obj with the given field values (in the fake's text form:
// "true", "2024-01-02", "2024-01-02T03:04:05.000+0000", "1500.00") and returns its
// id. It panics on an unknown object or field, a bug in the caller.
func (s *Server) Create(obj string, vals map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.obj(obj)
	id := s.insert(o, s.tick(), vals)
	if o.name == Opportunity {
		if _, ok := vals["StageName"]; ok {
			s.deriveStage(o.recs[o.byID[id]])
		}
	}
	return id
}

// Update changes fields of a record and bumps its SystemModstamp.
func (s *Server) Update(obj, id string, vals map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.change(s.obj(obj), id, vals)
}

// Delete moves a record to the recycle bin (IsDeleted, still returned by queryAll),
// with the records Salesforce deletes along with it.
func (s *Server) Delete(obj, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delete(s.obj(obj), id, nil)
}

func (s *Server) delete(o *object, id string, extra map[string]string) {
	vals := map[string]string{"IsDeleted": "true"}
	for k, v := range extra {
		vals[k] = v
	}
	s.change(o, id, vals)
	for _, ch := range children(o.name) {
		co := s.obj(ch.obj)
		for _, cid := range s.where(co, ch.field, id) {
			s.delete(co, cid, nil)
		}
	}
}

// where lists the live records of o whose field equals value.
func (s *Server) where(o *object, field, value string) []string {
	fi, di := o.must(field), o.must("IsDeleted")
	var ids []string
	for _, r := range o.recs {
		if r.vals[fi] == value && r.vals[di] == "false" {
			ids = append(ids, r.vals[fID])
		}
	}
	return ids
}

// Merge merges losers into master (Account, Contact or Lead): their children move
// to master and they are deleted with MasterRecordId naming it.
func (s *Server) Merge(obj, master string, losers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.obj(obj)
	for _, l := range losers {
		for _, ch := range children(o.name) {
			co := s.obj(ch.obj)
			for _, cid := range s.where(co, ch.field, l) {
				s.change(co, cid, map[string]string{ch.field: master})
			}
		}
		s.change(o, l, map[string]string{"IsDeleted": "true", "MasterRecordId": master})
	}
}

// ConvertLead converts a lead into a new account, contact and, when withOpportunity,
// an opportunity, and returns their ids ("" for no opportunity).
func (s *Server) ConvertLead(leadID string, withOpportunity bool) (contactID, accountID, opportunityID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lo := s.obj(Lead)
	i, ok := lo.byID[leadID]
	if !ok {
		panic("salesforcefake: no lead " + leadID)
	}
	lead := lo.recs[i]
	company := lo.get(lead, "Company")
	accountID = s.insert(s.obj(Account), s.tick(), map[string]string{"Name": company})
	contactID = s.insert(s.obj(Contact), s.tick(), map[string]string{
		"AccountId": accountID, "Email": lo.get(lead, "Email"),
		"FirstName": lo.get(lead, "FirstName"), "LastName": lo.get(lead, "LastName"),
	})
	if withOpportunity {
		oo := s.obj(Opportunity)
		opportunityID = s.insert(oo, s.tick(), map[string]string{
			"Name": company + " -", "AccountId": accountID, "StageName": "Prospecting",
			"CloseDate": s.clock.AddDate(0, 3, 0).Format(time.DateOnly),
		})
		s.deriveStage(oo.recs[oo.byID[opportunityID]])
	}
	s.change(lo, leadID, map[string]string{
		"IsConverted": "true", "Status": "Closed - Converted",
		"ConvertedContactId": contactID, "ConvertedAccountId": accountID, "ConvertedOpportunityId": opportunityID,
	})
	return contactID, accountID, opportunityID
}

// IDs lists the sorted ids of obj's live records, or of its deleted ones.
func (s *Server) IDs(obj string, deleted bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.obj(obj)
	di := o.must("IsDeleted")
	var ids []string
	for _, r := range o.recs {
		if (r.vals[di] == "true") == deleted {
			ids = append(ids, r.vals[fID])
		}
	}
	slices.Sort(ids)
	return ids
}

// Get returns a record's values by field name ("" for null), or nil.
func (s *Server) Get(obj, id string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.obj(obj)
	i, ok := o.byID[id]
	if !ok {
		return nil
	}
	out := make(map[string]string, len(o.fields))
	for j, fd := range o.fields {
		out[fd.name] = o.recs[i].vals[j]
	}
	return out
}

// Records calls fn with the values of each of obj's records, deleted ones included.
func (s *Server) Records(obj string, fn func(map[string]string)) {
	s.mu.Lock()
	o := s.obj(obj)
	recs := slices.Clone(o.recs)
	s.mu.Unlock()
	for _, r := range recs {
		out := make(map[string]string, len(o.fields))
		for j, fd := range o.fields {
			out[fd.name] = r.vals[j]
		}
		fn(out)
	}
}
