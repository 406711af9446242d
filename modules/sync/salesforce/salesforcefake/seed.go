package salesforcefake

import (
	"fmt"
	"strconv"
	"time"
)

// seedPerSecond records share each SystemModstamp when seeding, as after a bulk
// load, so a client's tie-breaking on Id is exercised.
const seedPerSecond = 250

// stages are the org's opportunity stages: api name, sort order, probability,
// closed, won.
var stages = []struct {
	name          string
	prob          int
	closed, isWon bool
}{
	{"Prospecting", 10, false, false},
	{"Qualification", 20, false, false},
	{"Proposal", 60, false, false},
	{"Negotiation", 80, false, false},
	{"Closed Won", 100, true, true},
	{"Closed Lost", 0, true, false},
}

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Niklaus"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Wirth"}
)

// seedStages stores the stage picklist; New calls it before anything else.
func (s *Server) seedStages() {
	o := s.obj(OpportunityStage)
	stamp := s.clock.Format(stampLayout)
	for i, st := range stages {
		s.insert(o, stamp, map[string]string{
			"ApiName": st.name, "MasterLabel": st.name, "IsActive": "true",
			"IsClosed": strconv.FormatBool(st.closed), "IsWon": strconv.FormatBool(st.isWon),
			"SortOrder": strconv.Itoa(i + 1), "DefaultProbability": strconv.Itoa(st.prob),
		})
	}
}

// seeder hands out SystemModstamps seedPerSecond at a time, formatting each second
// once.
type seeder struct {
	s     *Server
	n     int
	stamp string
}

func (sd *seeder) next() string {
	if sd.n%seedPerSecond == 0 {
		sd.stamp = sd.s.tick()
	}
	sd.n++
	return sd.stamp
}

// Seed adds a deterministic org: the given numbers of contacts, accounts and
// opportunities, plus a lead for every four contacts, one campaign per 2,000 contacts
// (at least one), a primary contact role on every opportunity and a second on every
// third, and campaign members for every lead and every fifth contact. It is quick and
// keeps each record as a few strings, so 100,000 contacts fit in a benchmark.
func (s *Server) Seed(contacts, accounts, opportunities int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sd := &seeder{s: s}
	ao, co, lo, oo := s.obj(Account), s.obj(Contact), s.obj(Lead), s.obj(Opportunity)
	cpo, ocr, cmo := s.obj(Campaign), s.obj(OpportunityContactRole), s.obj(CampaignMember)

	campaignIDs := make([]string, max(1, contacts/2000))
	types := []string{"Webinar", "Email", "Advertisement", "Conference"}
	for i := range campaignIDs {
		campaignIDs[i] = s.insert(cpo, sd.next(), map[string]string{
			"Name": fmt.Sprintf("Campaign %d", cpo.nextID+1), "Type": types[i%len(types)], "Status": "In Progress",
		})
	}
	accountIDs := make([]string, accounts)
	for i := range accountIDs {
		n := ao.nextID + 1
		var site string
		switch i % 4 {
		case 0:
			site = fmt.Sprintf("https://www.acc%d.example.com", n)
		case 1:
			site = fmt.Sprintf("acc%d.example.com", n)
		case 2:
			site = fmt.Sprintf("http://Acc%d.Example.com/about", n)
		}
		accountIDs[i] = s.insert(ao, sd.next(), map[string]string{"Name": fmt.Sprintf("Account %d", n), "Website": site})
	}
	contactIDs := make([]string, contacts)
	for i := range contactIDs {
		n := co.nextID + 1
		vals := map[string]string{
			"FirstName": firstNames[n%len(firstNames)], "LastName": lastNames[(n/len(firstNames))%len(lastNames)],
			"Email": fmt.Sprintf("contact%d@example.com", n),
		}
		if accounts > 0 {
			vals["AccountId"] = accountIDs[i%accounts]
		}
		contactIDs[i] = s.insert(co, sd.next(), vals)
	}
	for i := 0; i < contacts/4; i++ {
		n := lo.nextID + 1
		id := s.insert(lo, sd.next(), map[string]string{
			"FirstName": firstNames[n%len(firstNames)], "LastName": lastNames[(n/3)%len(lastNames)],
			"Email": fmt.Sprintf("lead%d@example.org", n), "Company": fmt.Sprintf("Lead Co %d", n),
			"Status": "Open - Not Contacted",
		})
		s.insert(cmo, sd.next(), member(campaignIDs[i%len(campaignIDs)], "LeadId", id, i))
	}
	for i := 0; i < contacts; i += 5 {
		s.insert(cmo, sd.next(), member(campaignIDs[i%len(campaignIDs)], "ContactId", contactIDs[i], i))
	}
	base := s.clock
	for i := range opportunities {
		n := oo.nextID + 1
		st := stages[i%len(stages)]
		vals := map[string]string{
			"Name": fmt.Sprintf("Opportunity %d", n), "StageName": st.name,
			"Amount":    fmt.Sprintf("%d.%02d", 1000+(n*7919)%99000, n%100),
			"CloseDate": base.AddDate(0, 0, i%180).Format(time.DateOnly),
			"IsClosed":  strconv.FormatBool(st.closed), "IsWon": strconv.FormatBool(st.isWon),
		}
		if accounts > 0 {
			vals["AccountId"] = accountIDs[i%accounts]
		}
		if i%3 == 0 {
			vals["CampaignId"] = campaignIDs[i%len(campaignIDs)]
		}
		if _, ok := oo.field("CurrencyIsoCode"); ok {
			vals["CurrencyIsoCode"] = []string{"USD", "EUR"}[i%2]
		}
		id := s.insert(oo, sd.next(), vals)
		if contacts == 0 {
			continue
		}
		s.insert(ocr, sd.next(), map[string]string{"OpportunityId": id, "ContactId": contactIDs[i%contacts], "Role": "Decision Maker", "IsPrimary": "true"})
		if i%3 == 0 && contacts > 1 {
			s.insert(ocr, sd.next(), map[string]string{"OpportunityId": id, "ContactId": contactIDs[(i+1)%contacts], "Role": "Influencer"})
		}
	}
}

func member(campaignID, field, id string, i int) map[string]string {
	vals := map[string]string{"CampaignId": campaignID, field: id, "Status": "Sent"}
	if i%2 == 0 {
		vals["Status"], vals["HasResponded"] = "Responded", "true"
		vals["FirstRespondedDate"] = time.Date(2023, 1, 1+i%28, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	return vals
}
