package attribution

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	gojson "github.com/goccy/go-json"
	"golang.org/x/sync/errgroup"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/modules/attribution/model"
)

// PeopleSource lists people with touchpoints received since a time; app/search
// implements it.
type PeopleSource interface {
	PeopleTouchedSince(ctx context.Context, tenant string, since time.Time) ([]string, error)
}

// opportunitiesWithNewTouches are the opportunities, not already in have, of people
// with touchpoints received since `since`.
func (s *Service) opportunitiesWithNewTouches(ctx context.Context, tenantID int64, tenant string, st Settings, since time.Time, have []*opportunity) ([]*opportunity, error) {
	ps, ok := s.store.(PeopleSource)
	if !ok {
		return nil, nil
	}
	people, err := ps.PeopleTouchedSince(ctx, tenant, since)
	if err != nil || len(people) == 0 {
		return nil, err
	}
	touched := make(map[string]bool, len(people))
	for _, p := range people {
		touched[p] = true
	}
	seen := make(map[string]bool, len(have))
	for _, o := range have {
		seen[o.ID] = true
	}
	all, err := loadOpportunities(ctx, s.db, tenantID, nil, st.AccountBased)
	if err != nil {
		return nil, err
	}
	var out []*opportunity
	for _, o := range all {
		if seen[o.ID] {
			continue
		}
		if slices.ContainsFunc(o.People, func(p string) bool { return touched[p] }) {
			out = append(out, o)
		}
	}
	return out, nil
}

// journeys reads the opportunities' touchpoints in one pass over their people and
// returns each opportunity's counting touches, ordered, by opportunity id.
func (s *Service) journeys(ctx context.Context, tenant string, st *Settings, opps []*opportunity, at time.Time) (map[string][]*touch, error) {
	lookback := time.Duration(st.LookbackDays) * 24 * time.Hour
	people, from, to := journeyScope(opps, lookback, at)
	byPerson, err := s.touchesOf(ctx, tenant, st, people, from, to)
	if err != nil {
		return nil, err
	}
	return assemble(opps, byPerson, lookback, at), nil
}

// readEveryone reads, in one pass, the counting touches of every identified person
// over the time the opportunities' journeys and the learning of non-converting
// journeys (the lookback before now) span, by person.
func (s *Service) readEveryone(ctx context.Context, tenant string, st *Settings, opps []*opportunity, at time.Time) (map[string][]*touch, error) {
	lookback := time.Duration(st.LookbackDays) * 24 * time.Hour
	_, from, to := journeyScope(opps, lookback, at)
	if from.IsZero() || at.Add(-lookback).Before(from) {
		from = at.Add(-lookback)
	}
	if to.Before(at) {
		to = at
	}
	byPerson := map[string][]*touch{}
	err := s.store.IdentifiedTouchpointsBetween(ctx, tenant, from, to, touchFields, newTouchDecoder(st).into(byPerson))
	return byPerson, err
}

// journeyScope is the people and the time range the opportunities' journeys span.
func journeyScope(opps []*opportunity, lookback time.Duration, at time.Time) (people []string, from, to time.Time) {
	seen := map[string]bool{}
	for _, o := range opps {
		if o.Deleted || len(o.People) == 0 {
			continue
		}
		f, t := o.window(lookback, at)
		if from.IsZero() || f.Before(from) {
			from = f
		}
		if t.After(to) {
			to = t
		}
		for _, p := range o.People {
			if !seen[p] {
				seen[p] = true
				people = append(people, p)
			}
		}
	}
	return people, from, to
}

// assemble builds each opportunity's journey from its people's touches.
func assemble(opps []*opportunity, byPerson map[string][]*touch, lookback time.Duration, at time.Time) map[string][]*touch {
	out := make(map[string][]*touch, len(opps))
	for _, o := range opps {
		if !o.Deleted {
			out[o.ID] = o.journey(byPerson, lookback, at)
		}
	}
	return out
}

// journey is the opportunity's people's touches within its window, ordered.
func (o *opportunity) journey(byPerson map[string][]*touch, lookback time.Duration, at time.Time) []*touch {
	f, t := o.window(lookback, at)
	var touches []*touch
	for _, p := range o.People {
		for _, tp := range byPerson[p] {
			if !tp.OccurredAt.Before(f) && tp.OccurredAt.Before(t) {
				touches = append(touches, tp)
			}
		}
	}
	sortTouches(touches)
	return touches
}

// touchesOf reads the counting touches of people in [from, to), by person.
func (s *Service) touchesOf(ctx context.Context, tenant string, st *Settings, people []string, from, to time.Time) (map[string][]*touch, error) {
	byPerson := map[string][]*touch{}
	collect := newTouchDecoder(st).into(byPerson)
	for i := 0; i < len(people); i += 10000 {
		if err := s.store.PeopleTouchpoints(ctx, tenant, people[i:min(i+10000, len(people))], from, to, touchFields, collect); err != nil {
			return nil, err
		}
	}
	return byPerson, nil
}

// touchDecoder decodes touchpoints, keeps those that count, and shares one copy of
// each repeated value (channel, type, campaign...) among them.
type touchDecoder struct {
	st      *Settings
	strings map[string]string
}

func newTouchDecoder(st *Settings) *touchDecoder {
	return &touchDecoder{st: st, strings: map[string]string{}}
}

// into returns a callback that adds each counting touchpoint to byPerson.
func (d *touchDecoder) into(byPerson map[string][]*touch) func(json.RawMessage) error {
	return func(doc json.RawMessage) error {
		t, err := d.decode(doc)
		if t != nil {
			byPerson[t.PersonID] = append(byPerson[t.PersonID], t)
		}
		return err
	}
}

// decode returns nil for a touchpoint that does not count.
func (d *touchDecoder) decode(doc json.RawMessage) (*touch, error) {
	t := &touch{}
	if err := gojson.Unmarshal(doc, t); err != nil {
		return nil, fmt.Errorf("attribution: touchpoint: %w", err)
	}
	if !d.st.counts(t) {
		return nil, nil
	}
	for _, f := range []*string{&t.Type, &t.Channel, &t.ChannelRule, &t.UTMCampaign, &t.UTMSource, &t.UTMMedium, &t.UTMContent, &t.LandingPage} {
		if v, ok := d.strings[*f]; ok {
			*f = v
		} else {
			d.strings[*f] = *f
		}
	}
	if t.LandingPage != "" {
		t.URL = ""
	}
	return t, nil
}

// recomputeBatch reads the batch's touchpoints in one pass (or takes them from a full
// run's read), and writes credits for
// the opportunities whose journey hash changed.
func (s *Service) recomputeBatch(ctx context.Context, tenantID int64, tenant string, st *Settings, settingsHash string, models []model.Model, opps []*opportunity, everyone map[string][]*touch, at time.Time, res *Result) error {
	t0 := time.Now()
	var journeys map[string][]*touch
	var err error
	if everyone != nil {
		journeys = assemble(opps, everyone, time.Duration(st.LookbackDays)*24*time.Hour, at)
	} else if journeys, err = s.journeys(ctx, tenant, st, opps, at); err != nil {
		return err
	}
	res.Read += time.Since(t0)

	t0 = time.Now()
	var ids []string
	var hashes []string
	for _, o := range opps {
		ids = append(ids, o.ID)
	}
	prev := map[string]string{}
	var rows []struct{ OpportunityID, JourneyHash string }
	if err := s.db.WithContext(ctx).Raw(`SELECT opportunity_id, journey_hash FROM attribution_state WHERE tenant_id = ? AND opportunity_id IN ?`, tenantID, ids).Scan(&rows).Error; err != nil {
		return fmt.Errorf("attribution: read state: %w", err)
	}
	for _, r := range rows {
		prev[r.OpportunityID] = r.JourneyHash
	}
	var computed []credit
	var changed []*opportunity
	var counts []int
	for _, o := range opps {
		touches := journeys[o.ID]
		h := journeyHash(settingsHash, o, touches)
		if o.Deleted {
			h = "deleted"
		}
		if prev[o.ID] == h {
			continue
		}
		changed = append(changed, o)
		hashes = append(hashes, h)
		counts = append(counts, len(touches))
		computed = append(computed, credits(tenant, settingsHash, models, o, touches, at)...)
	}
	res.Compute += time.Since(t0)
	res.Changed += len(changed)
	if len(changed) == 0 {
		return nil
	}

	t0 = time.Now()
	docs := make([]Credit, len(computed))
	for i := range computed {
		raw, err := gojson.Marshal(&computed[i])
		if err != nil {
			return fmt.Errorf("attribution: credit: %w", err)
		}
		docs[i] = Credit{ID: computed[i].CreditID, Source: raw}
	}
	// Two bulk requests at a time keep both of a small node's write threads busy.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for i := 0; i < len(docs); i += 2500 {
		chunk := docs[i:min(i+2500, len(docs))]
		g.Go(func() error { return s.store.WriteCredits(gctx, tenant, chunk) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	res.Credits += len(docs)
	// Only opportunities computed before can have credits this run did not rewrite.
	var changedIDs, recomputed []string
	for _, o := range changed {
		changedIDs = append(changedIDs, o.ID)
		if _, before := prev[o.ID]; before {
			recomputed = append(recomputed, o.ID)
		}
	}
	// Credits of these opportunities that this run did not write are stale. Ids are
	// stable, so a credit rewritten but not yet searchable is found under its id and
	// kept.
	var existing []string
	if len(recomputed) > 0 {
		if existing, err = s.store.CreditIDs(ctx, tenant, recomputed); err != nil {
			return err
		}
	}
	written := make(map[string]bool, len(docs))
	for _, d := range docs {
		written[d.ID] = true
	}
	var stale []string
	for _, id := range existing {
		if !written[id] {
			stale = append(stale, id)
		}
	}
	if len(stale) > 0 {
		if err := s.store.DeleteCredits(ctx, tenant, stale); err != nil {
			return err
		}
	}
	res.Deleted += len(stale)
	res.Write += time.Since(t0)
	touchCounts := make([]string, len(counts))
	for i, n := range counts {
		touchCounts[i] = strconv.Itoa(n)
	}
	if err := s.db.WithContext(ctx).Exec(`INSERT INTO attribution_state (tenant_id, opportunity_id, journey_hash, touchpoints, computed_at)
		SELECT ?, o, h, n::int, ? FROM unnest(?::text[], ?::text[], ?::text[]) AS u(o, h, n)
		ON CONFLICT (tenant_id, opportunity_id) DO UPDATE SET journey_hash = EXCLUDED.journey_hash,
		touchpoints = EXCLUDED.touchpoints, computed_at = EXCLUDED.computed_at`,
		tenantID, at, db.StringArray(changedIDs), db.StringArray(hashes), db.StringArray(touchCounts)).Error; err != nil {
		return fmt.Errorf("attribution: save state: %w", err)
	}
	return nil
}

func sortTouches(ts []*touch) {
	slices.SortStableFunc(ts, func(a, b *touch) int {
		if c := a.OccurredAt.Compare(b.OccurredAt); c != 0 {
			return c
		}
		if a.EventID < b.EventID {
			return -1
		}
		if a.EventID > b.EventID {
			return 1
		}
		return 0
	})
}
