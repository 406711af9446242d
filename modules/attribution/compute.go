package attribution

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/srgplatform/srg/modules/attribution/model"
)

// touch is a touchpoint as read for attribution: only the fields credits need.
type touch struct {
	EventID      string    `json:"event_id"`
	PersonID     string    `json:"person_id"`
	Type         string    `json:"type"`
	OccurredAt   time.Time `json:"occurred_at"`
	SessionStart bool      `json:"session_start"`
	Channel      string    `json:"channel"`
	ChannelRule  string    `json:"channel_rule"`
	UTMCampaign  string    `json:"utm_campaign"`
	UTMSource    string    `json:"utm_source"`
	UTMMedium    string    `json:"utm_medium"`
	UTMContent   string    `json:"utm_content"`
	LandingPage  string    `json:"landing_page"`
	URL          string    `json:"url"`
	AccountID    string    `json:"account_id"`
}

// counts reports whether the tenant's rules let the touchpoint count: its type is
// enabled, a page view is its session's first, and its channel is not excluded.
func (s *Settings) counts(t *touch) bool {
	if !slices.Contains(s.Types, t.Type) {
		return false
	}
	if t.Type == "pageview" && !t.SessionStart {
		return false
	}
	return !slices.Contains(s.ExcludeChannels, t.Channel)
}

// journeyOf marks the milestones of the opportunity's touches, already in order
// (sortTouches): first touch, lead creation (first form or identify), opportunity
// creation (last touch at or before it) and closed-won (last touch at or before the
// close date of a won one).
func journeyOf(o *opportunity, touches []*touch) model.Journey {
	j := model.Journey{Touches: make([]model.Touch, len(touches)), ConvertedAt: o.CreatedAt}
	if o.IsWon && o.CloseDate != nil {
		j.ConvertedAt = o.CloseDate.Add(24*time.Hour - time.Nanosecond)
	}
	lead, created, won := -1, -1, -1
	for i, t := range touches {
		j.Touches[i] = model.Touch{At: t.OccurredAt, Channel: t.Channel, Type: t.Type, Direct: t.Channel == "Direct"}
		if lead < 0 && (t.Type == "form" || t.Type == "identify") {
			lead = i
		}
		if !t.OccurredAt.After(o.CreatedAt) {
			created = i
		}
		if o.IsWon && o.CloseDate != nil && t.OccurredAt.Before(o.CloseDate.Add(24*time.Hour)) {
			won = i
		}
	}
	if len(touches) > 0 {
		j.Touches[0].Milestones |= model.FirstTouch
	}
	if lead >= 0 {
		j.Touches[lead].Milestones |= model.LeadCreation
	}
	if created >= 0 {
		j.Touches[created].Milestones |= model.OpportunityCreation
	}
	if won >= 0 {
		j.Touches[won].Milestones |= model.ClosedWon
	}
	return j
}

// creditFormat is the shape of credit documents; changing it recomputes every
// opportunity, which also deletes the documents of the former shape.
const creditFormat = "3:"

// journeyHash identifies what a recompute of the opportunity would produce: the
// settings, the opportunity's amount, state and dates, and its touchpoints.
func journeyHash(settingsHash string, o *opportunity, touches []*touch) string {
	h := sha256.New()
	h.Write([]byte(creditFormat + settingsHash))
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(o.Amount))
	h.Write(b[:])
	h.Write([]byte(o.Currency + "|" + o.kind() + "|" + o.CreatedAt.UTC().Format(time.RFC3339)))
	if o.CloseDate != nil {
		h.Write([]byte(o.CloseDate.UTC().Format(time.DateOnly)))
	}
	for _, t := range touches {
		h.Write([]byte("|" + t.EventID + "|" + t.Channel))
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// creditEncoder computes every model's credits for opportunities and encodes them
// as documents: one per opportunity, holding every model's share of each touch that
// at least one model credited. The documents' sources share large byte chunks, which hold
// no pointers for the garbage collector to follow; the scratch space is reused.
type creditEncoder struct {
	tenant, settingsHash string
	models               []model.Model
	names                creditModels
	at                   time.Time
	docs                 []Credit
	chunk                []byte
	shares               []float64
	fractions, amounts   []float64
	touch                creditTouch
	floats               *floatCache
	// encodeTime adds up the time spent encoding.
	encodeTime time.Duration
}

// chunkSize is the size of the byte chunks documents are encoded into.
const chunkSize = 1 << 20

// add appends the credit document of one opportunity's journey, if any touch of it
// is credited.
func (e *creditEncoder) add(o *opportunity, touches []*touch) error {
	if len(touches) == 0 {
		return nil
	}
	j := journeyOf(o, touches)
	n := len(e.models)
	if need := 2 * n * len(touches); cap(e.shares) < need {
		e.shares = make([]float64, need)
	}
	shares := e.shares[:2*n*len(touches)]
	for k, m := range e.models {
		e.fractions = m.Weights(j, e.fractions)
		e.amounts = model.Credit(o.Amount, e.fractions, e.amounts)
		for i := range touches {
			shares[2*i*n+k] = e.amounts[i]
			shares[(2*i+1)*n+k] = e.fractions[i]
		}
	}
	t0 := time.Now()
	defer func() { e.encodeTime += time.Since(t0) }()
	if e.floats == nil {
		e.floats = newFloatCache(2 * n)
	}
	d := creditDoc{Tenant: e.tenant, SettingsHash: e.settingsHash, OpportunityID: o.ID, Kind: o.kind(), Currency: o.Currency,
		OpportunityAmount: o.Amount, OppCreatedAt: o.CreatedAt, ClosedAt: o.CloseDate, ComputedAt: e.at}
	if cap(e.chunk)-len(e.chunk) < 8192 {
		e.chunk = make([]byte, 0, chunkSize)
	}
	start := len(e.chunk)
	b, err := d.appendOpen(e.chunk, e.names)
	if err != nil {
		return fmt.Errorf("attribution: credits of %s: %w", o.ID, err)
	}
	c := &e.touch
	credited := 0
	for i, t := range touches {
		c.Amounts, c.Fractions = shares[2*i*n:(2*i+1)*n], shares[(2*i+1)*n:(2*i+2)*n]
		if !slices.ContainsFunc(c.Fractions, func(f float64) bool { return f != 0 }) {
			continue
		}
		c.CreditID, c.TouchpointID, c.PersonID, c.AccountID = creditID(o.ID, t.EventID), t.EventID, t.PersonID, t.AccountID
		c.Channel, c.ChannelRule, c.Campaign, c.Source, c.Medium = t.Channel, t.ChannelRule, t.UTMCampaign, t.UTMSource, t.UTMMedium
		c.Content, c.LandingPage, c.TouchedAt = t.UTMContent, landing(t), t.OccurredAt
		if b, err = c.appendJSON(b, credited == 0, o.Currency, e.names, e.floats); err != nil {
			return fmt.Errorf("attribution: credit %s of %s: %w", c.CreditID, o.ID, err)
		}
		credited++
	}
	if credited == 0 {
		return nil
	}
	e.chunk = closeCreditDoc(b)
	e.docs = append(e.docs, Credit{ID: o.ID, Source: e.chunk[start:len(e.chunk):len(e.chunk)], Touches: credited})
	return nil
}

// take returns the documents encoded so far and starts a new list.
func (e *creditEncoder) take() []Credit {
	docs := e.docs
	e.docs = nil
	return docs
}

func landing(t *touch) string {
	if t.LandingPage != "" {
		return t.LandingPage
	}
	return t.URL
}

// creditID is stable, so a recompute replaces a credit rather than adding one.
func creditID(opportunityID, touchpointID string) string {
	sum := sha256.Sum256([]byte(opportunityID + "\x00" + touchpointID))
	return hex.EncodeToString(sum[:16])
}
