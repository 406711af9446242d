package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
)

// Person is a tracked person.
type Person struct {
	ID            int64
	Email         string
	FirstSeenAt   time.Time
	LastSeenAt    time.Time
	AccountID     *int64
	AccountDomain string
}

// Account is a tracked company, named after its CRM account when it has one.
type Account struct {
	ID      int64
	Domain  string
	Name    string
	Sources string
}

// Opportunity is an opportunity of the CRM mirror; ID is "<source>:<CRM id>", as
// credits name it.
type Opportunity struct {
	ID          string
	Source      string
	ExternalID  string
	Name        string
	Amount      *float64
	Currency    string
	Stage       string
	IsWon       bool
	IsClosed    bool
	CreatedDate *time.Time
	CloseDate   *time.Time
	AccountName string
}

// Found is what a journey search found.
type Found struct {
	People        []Person
	Accounts      []Account
	Opportunities []Opportunity
}

// Empty reports whether nothing was found.
func (f Found) Empty() bool {
	return len(f.People) == 0 && len(f.Accounts) == 0 && len(f.Opportunities) == 0
}

const findLimit = 20

// Find looks for people by email, accounts by domain or name, and opportunities by
// name or CRM id, that contain text.
func (s *Service) Find(ctx context.Context, tenantID int64, text string) (Found, error) {
	ctx = db.WithTenant(ctx, tenantID)
	text = strings.TrimSpace(text)
	var f Found
	if text == "" {
		return f, nil
	}
	if len(text) > 200 {
		return f, errs.Invalid("q", "the search text is longer than 200 characters")
	}
	args := map[string]any{"tenant": tenantID, "pattern": "%" + likeEscape(text) + "%", "text": text, "limit": findLimit}
	db := s.db.WithContext(ctx)
	if err := db.Raw(query("find_people"), args).Scan(&f.People).Error; err != nil {
		return f, fmt.Errorf("reports: find people: %w", err)
	}
	if err := db.Raw(query("find_accounts"), args).Scan(&f.Accounts).Error; err != nil {
		return f, fmt.Errorf("reports: find accounts: %w", err)
	}
	if err := db.Raw(query("find_opportunities"), args).Scan(&f.Opportunities).Error; err != nil {
		return f, fmt.Errorf("reports: find opportunities: %w", err)
	}
	return f, nil
}

// likeEscape makes text match literally inside an ILIKE pattern.
func likeEscape(text string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(text)
}

// Entry is one touchpoint of a timeline with what each model credited to it.
type Entry struct {
	TouchpointID string
	At           time.Time
	Type         string
	Channel      string
	// ChannelRule is the rule of the tenant's channel rules that classified it.
	ChannelRule string
	URL         string
	Title       string
	Campaign    string
	Source      string
	Medium      string
	PersonID    string
	// Credits are the amounts credited by each model (summed over the
	// opportunities the touch was credited to); Fractions are the shares of one
	// opportunity's amount, on its own timeline.
	Credits   map[string]float64
	Fractions map[string]float64
	// Opportunities are the opportunities (and lead conversions) it was credited to.
	Opportunities []string
}

// Credited reports whether any model credited the touch.
func (e Entry) Credited() bool { return len(e.Credits) > 0 }

// Timeline is the journey of a person, an account or an opportunity.
type Timeline struct {
	Entries []Entry
	// Totals are the amounts each model credited over the whole timeline.
	Totals map[string]float64
	// Truncated is set when only the latest touchpoints are shown.
	Truncated bool
}

// maxTimeline bounds the touchpoints a timeline shows.
const maxTimeline = 500

// PersonJourney returns a person of the tenant and their timeline; another
// tenant's person is not found.
func (s *Service) PersonJourney(ctx context.Context, tenant string, tenantID int64, id string) (Person, Timeline, error) {
	ctx = db.WithTenant(ctx, tenantID)
	pid, err := strconv.ParseInt(id, 10, 64)
	var people []Person
	if err == nil {
		err = s.db.WithContext(ctx).Raw(query("person"), map[string]any{"tenant": tenantID, "id": pid}).Scan(&people).Error
		if err != nil {
			return Person{}, Timeline{}, fmt.Errorf("reports: person: %w", err)
		}
	}
	if len(people) == 0 {
		return Person{}, Timeline{}, errs.NotFound("no person %q in this workspace", id)
	}
	tl, err := s.timeline(ctx, tenant, "person_id", id)
	return people[0], tl, err
}

// AccountJourney returns an account of the tenant, its people and its timeline.
func (s *Service) AccountJourney(ctx context.Context, tenant string, tenantID int64, id string) (Account, []Person, Timeline, error) {
	ctx = db.WithTenant(ctx, tenantID)
	aid, err := strconv.ParseInt(id, 10, 64)
	var accounts []Account
	if err == nil {
		err = s.db.WithContext(ctx).Raw(query("account"), map[string]any{"tenant": tenantID, "id": aid}).Scan(&accounts).Error
		if err != nil {
			return Account{}, nil, Timeline{}, fmt.Errorf("reports: account: %w", err)
		}
	}
	if len(accounts) == 0 {
		return Account{}, nil, Timeline{}, errs.NotFound("no account %q in this workspace", id)
	}
	var people []Person
	if err := s.db.WithContext(ctx).Raw(query("account_people"), map[string]any{"tenant": tenantID, "id": aid}).Scan(&people).Error; err != nil {
		return Account{}, nil, Timeline{}, fmt.Errorf("reports: account people: %w", err)
	}
	tl, err := s.timeline(ctx, tenant, "account_id", id)
	return accounts[0], people, tl, err
}

// OpportunityJourney returns an opportunity of the tenant and the touchpoints
// credited to it, with each model's share.
func (s *Service) OpportunityJourney(ctx context.Context, tenant string, tenantID int64, id string) (Opportunity, Timeline, error) {
	ctx = db.WithTenant(ctx, tenantID)
	source, ext, ok := strings.Cut(id, ":")
	var opps []Opportunity
	if ok {
		err := s.db.WithContext(ctx).Raw(query("opportunity"), map[string]any{"tenant": tenantID, "source": source, "external_id": ext}).Scan(&opps).Error
		if err != nil {
			return Opportunity{}, Timeline{}, fmt.Errorf("reports: opportunity: %w", err)
		}
	}
	if len(opps) == 0 {
		return Opportunity{}, Timeline{}, errs.NotFound("no opportunity %q in this workspace", id)
	}
	credits, err := s.credits(ctx, tenant, "opportunity_id", id)
	if err != nil {
		return Opportunity{}, Timeline{}, err
	}
	var tl Timeline
	tl.Totals = map[string]float64{}
	ids := make([]string, 0, len(credits))
	for _, c := range credits {
		ids = append(ids, c.TouchpointID)
		e := Entry{TouchpointID: c.TouchpointID, At: time.Time(c.TouchedAt), Channel: c.Channel, ChannelRule: c.ChannelRule, URL: c.LandingPage,
			Campaign: c.Campaign, Source: c.Source, Medium: c.Medium, PersonID: c.PersonID, Credits: c.Credit, Fractions: c.Fractions,
			Opportunities: []string{c.OpportunityID}}
		for m, v := range c.Credit {
			tl.Totals[m] += v
		}
		tl.Entries = append(tl.Entries, e)
	}
	touches, err := s.touchpointsByID(ctx, tenant, ids)
	if err != nil {
		return Opportunity{}, Timeline{}, err
	}
	for i := range tl.Entries {
		if tp, ok := touches[tl.Entries[i].TouchpointID]; ok {
			tl.Entries[i].Type, tl.Entries[i].Title = tp.Type, tp.Title
			if tp.URL != "" {
				tl.Entries[i].URL = tp.URL
			}
		}
	}
	sort.SliceStable(tl.Entries, func(i, j int) bool { return tl.Entries[i].At.Before(tl.Entries[j].At) })
	return opps[0], tl, nil
}

// touchDoc is a touchpoints index document, as far as reports read it.
type touchDoc struct {
	EventID     string    `json:"event_id"`
	Type        string    `json:"type"`
	OccurredAt  time.Time `json:"occurred_at"`
	URL         string    `json:"url"`
	Title       string    `json:"title"`
	Channel     string    `json:"channel"`
	ChannelRule string    `json:"channel_rule"`
	UTMCampaign string    `json:"utm_campaign"`
	UTMSource   string    `json:"utm_source"`
	UTMMedium   string    `json:"utm_medium"`
	PersonID    string    `json:"person_id"`
}

var touchSourceFields = []string{"event_id", "type", "occurred_at", "url", "title", "channel", "channel_rule",
	"utm_campaign", "utm_source", "utm_medium", "person_id"}

// hits runs one search and calls fn with each hit's source; it returns the total.
func (s *Service) hits(ctx context.Context, tenant, kind string, body any, fn func(json.RawMessage) error) error {
	_, err := s.hitsTotal(ctx, tenant, kind, body, fn)
	return err
}

func (s *Service) hitsTotal(ctx context.Context, tenant, kind string, body any, fn func(json.RawMessage) error) (int64, error) {
	raw, err := s.es.Query(ctx, tenant, kind, body)
	if err != nil {
		return 0, fmt.Errorf("reports: %s: %w", kind, err)
	}
	if raw == nil {
		return 0, nil
	}
	var res struct {
		Hits struct {
			Total struct {
				Value int64 `json:"value"`
			} `json:"total"`
			Hits []struct {
				Source json.RawMessage `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return 0, fmt.Errorf("reports: %s answer: %w", kind, err)
	}
	for _, h := range res.Hits.Hits {
		if err := fn(h.Source); err != nil {
			return 0, err
		}
	}
	return res.Hits.Total.Value, nil
}

func (s *Service) touchpointsByID(ctx context.Context, tenant string, ids []string) (map[string]touchDoc, error) {
	out := map[string]touchDoc{}
	if len(ids) == 0 {
		return out, nil
	}
	body := map[string]any{
		"size":    len(ids),
		"query":   map[string]any{"terms": map[string]any{"event_id": ids}},
		"_source": touchSourceFields,
	}
	err := s.hits(ctx, tenant, touchpointsIndex, body, func(raw json.RawMessage) error {
		var t touchDoc
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("reports: touchpoint document: %w", err)
		}
		out[t.EventID] = t
		return nil
	})
	return out, err
}

// timeline is the latest touchpoints whose field (person_id, account_id) is value,
// oldest first, each with the credits it received.
func (s *Service) timeline(ctx context.Context, tenant, field, value string) (Timeline, error) {
	var tl Timeline
	body := map[string]any{
		"size":             maxTimeline,
		"track_total_hits": true,
		"query": map[string]any{"bool": map[string]any{
			"filter":   []any{map[string]any{"term": map[string]any{field: value}}},
			"must_not": []any{map[string]any{"term": map[string]any{"is_bot": true}}},
		}},
		"sort":    []any{map[string]any{"occurred_at": "desc"}, map[string]any{"event_id": "desc"}},
		"_source": touchSourceFields,
	}
	total, err := s.hitsTotal(ctx, tenant, touchpointsIndex, body, func(raw json.RawMessage) error {
		var t touchDoc
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("reports: touchpoint document: %w", err)
		}
		tl.Entries = append(tl.Entries, Entry{TouchpointID: t.EventID, At: t.OccurredAt, Type: t.Type, Channel: t.Channel,
			ChannelRule: t.ChannelRule, URL: t.URL, Title: t.Title, Campaign: t.UTMCampaign, Source: t.UTMSource,
			Medium: t.UTMMedium, PersonID: t.PersonID})
		return nil
	})
	if err != nil {
		return tl, err
	}
	tl.Truncated = total > int64(len(tl.Entries))
	credits, err := s.credits(ctx, tenant, field, value)
	if err != nil {
		return tl, err
	}
	byTouch := map[string]int{}
	for i := range tl.Entries {
		byTouch[tl.Entries[i].TouchpointID] = i
	}
	tl.Totals = map[string]float64{}
	for _, c := range credits {
		if c.Kind == KindLead {
			// Lead conversions count people, not money: the timeline shows amounts.
			continue
		}
		for m, v := range c.Credit {
			tl.Totals[m] += v
		}
		i, ok := byTouch[c.TouchpointID]
		if !ok {
			continue
		}
		e := &tl.Entries[i]
		if e.Credits == nil {
			e.Credits = map[string]float64{}
		}
		for m, v := range c.Credit {
			e.Credits[m] += v
		}
		if !slices.Contains(e.Opportunities, c.OpportunityID) {
			e.Opportunities = append(e.Opportunities, c.OpportunityID)
		}
	}
	for i, j := 0, len(tl.Entries)-1; i < j; i, j = i+1, j-1 {
		tl.Entries[i], tl.Entries[j] = tl.Entries[j], tl.Entries[i]
	}
	return tl, nil
}

// esDate is a date field of a document's source: epoch milliseconds (what srg
// writes to the credits index) or an RFC 3339 string (what it wrote before, and
// what a document indexed by hand may hold).
type esDate time.Time

func (d *esDate) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var t time.Time
		if err := json.Unmarshal(b, &t); err != nil {
			return err
		}
		*d = esDate(t.UTC())
		return nil
	}
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("date %s is neither epoch milliseconds nor an RFC 3339 string", b)
	}
	*d = esDate(time.UnixMilli(ms).UTC())
	return nil
}
