package hubspotfake

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "John",
		"Radia", "Edsger", "Hedy", "Donald", "Katherine", "Tim", "Sophie", "Niklaus", "Anita", "Guido"}
	lastNames = []string{"Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie",
		"Allen", "McCarthy", "Perlman", "Dijkstra", "Lamarr", "Knuth", "Johnson", "Berners-Lee", "Wilson", "Wirth",
		"Borg", "Rossum"}
	companyWords = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell",
		"Cyberdyne", "Soylent", "Vandelay", "Massive", "Aperture", "Gringotts"}
	companySuffixes = []string{"Labs", "Systems", "Group", "Industries", "Partners", "Software", "Holdings"}
)

// Seed adds companies, contacts and deals made up deterministically (the same
// counts give the same portal), spread over the last 400 days: each contact has a
// primary company and every tenth a second one; each deal has a company, one or
// two of that company's contacts (some with a role label), a pipeline and a stage.
// Records are compact, so 100,000 contacts, 20,000 companies and 30,000 deals take
// a fraction of a second and little memory.
func (s *Server) Seed(contacts, companies, deals int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seeded++
	rng := rand.New(rand.NewPCG(uint64(s.seeded), 0x5eed))
	now := s.now()
	const day = int64(24 * time.Hour / time.Millisecond)
	span := 400 * day
	stamps := func(i, n int) (int64, int64) {
		created := now - span + int64(i)*(span/int64(max(n, 1)))
		modified := created + rng.Int64N(30*day)
		if limit := now - 60_000; modified > limit {
			modified = max(created, limit-rng.Int64N(1000))
		}
		return created, min(modified, now)
	}
	add := s.add

	comps := make([]*object, companies)
	for i := range comps {
		word := companyWords[rng.IntN(len(companyWords))]
		n := strconv.Itoa(len(s.tables[Companies].list) + 1)
		c, m := stamps(i, companies)
		comps[i] = add(Companies, []string{word + " " + companySuffixes[rng.IntN(len(companySuffixes))] + " " + n,
			strings.ToLower(word) + n + ".example"}, c, m)
	}
	conts := make([]*object, contacts)
	for i := range conts {
		first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		n := strconv.Itoa(len(s.tables[Contacts].list) + 1)
		vals := []string{strings.ToLower(first+"."+last) + n + "@example.org", first, last, ""}
		var comp *object
		if companies > 0 {
			comp = comps[i%companies]
			vals[3] = comp.vals[0]
			vals[0] = strings.ToLower(first+"."+last) + n + "@" + comp.vals[1]
		}
		c, m := stamps(i, contacts)
		conts[i] = add(Contacts, vals, c, m)
		if comp != nil {
			s.link(Contacts, Companies, conts[i].id, comp.id, true, "")
			if i%10 == 9 && companies > 1 {
				s.link(Contacts, Companies, conts[i].id, comps[(i+1)%companies].id, false, "")
			}
		}
	}
	for i := range deals {
		p := s.pipelines[0]
		if rng.IntN(5) == 0 {
			p = s.pipelines[1]
		}
		st := p.Stages[rng.IntN(len(p.Stages))]
		currency := "USD"
		if rng.IntN(7) == 0 {
			currency = "EUR"
		}
		c, m := stamps(i, deals)
		n := strconv.Itoa(len(s.tables[Deals].list) + 1)
		d := add(Deals, []string{"Deal " + n, strconv.Itoa(1000+rng.IntN(99000)) + ".00", currency, p.ID, st.ID,
			stamp(c + (30+rng.Int64N(60))*day)}, c, m)
		if companies == 0 {
			continue
		}
		ci := i % companies
		s.link(Deals, Companies, d.id, comps[ci].id, true, "")
		for k, j := 0, ci; k < 2 && j < contacts; k, j = k+1, j+companies {
			label := ""
			if k == 0 && i%3 == 0 {
				label = "Decision maker"
			}
			s.link(Deals, Contacts, d.id, conts[j].id, false, label)
		}
	}
}
