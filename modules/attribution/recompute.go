package attribution

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"
	"golang.org/x/sync/errgroup"

	"github.com/srgplatform/srg/app/db"
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
	seen := make(map[string]bool, len(have))
	for _, o := range have {
		seen[o.ID] = true
	}
	theirs, err := loadPeoplesOpportunities(ctx, s.db, tenantID, people, st.AccountBased)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(theirs, func(o *opportunity) bool { return seen[o.ID] }), nil
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

// loadEveryone loads the opportunities and reads, in one pass, the counting
// touches of every identified person over the time their journeys and the
// learning of non-converting journeys (the lookback before now) span, by person:
// a full run's reads. Postgres and Elasticsearch work at once: the scan starts
// from bounds a cheap query gives, and touches outside the exact span are dropped
// once the opportunities are known.
func (s *Service) loadEveryone(ctx context.Context, tenantID int64, tenant string, st *Settings, at time.Time) ([]*opportunity, map[string][]*touch, error) {
	lookback := time.Duration(st.LookbackDays) * 24 * time.Hour
	from, to, err := s.spanBounds(ctx, tenantID, lookback, at)
	if err != nil {
		return nil, nil, err
	}
	var opps []*opportunity
	var mu sync.Mutex
	var parts []map[string][]*touch
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		opps, err = loadOpportunities(gctx, s.db, tenantID, nil, st.AccountBased)
		return err
	})
	g.Go(func() error {
		return s.store.IdentifiedTouchpointsBetween(gctx, tenant, from, to, func() func(json.RawMessage) error {
			part := map[string][]*touch{}
			mu.Lock()
			parts = append(parts, part)
			mu.Unlock()
			return newTouchDecoder(st).into(part)
		})
	})
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	byPerson := mergeParts(parts)
	from, to = everyoneSpan(opps, lookback, at)
	trimToSpan(byPerson, from, to)
	return opps, byPerson, nil
}

// mergeParts joins the touches read by person in parts; a person's touches may be
// spread over several (journeys sort them).
func mergeParts(parts []map[string][]*touch) map[string][]*touch {
	if len(parts) == 0 {
		return map[string][]*touch{}
	}
	slices.SortFunc(parts, func(a, b map[string][]*touch) int { return len(b) - len(a) })
	byPerson := parts[0]
	for _, part := range parts[1:] {
		for p, ts := range part {
			byPerson[p] = append(byPerson[p], ts...)
		}
	}
	return byPerson
}

// trimToSpan drops the touches outside [from, to), and the people left with none.
func trimToSpan(byPerson map[string][]*touch, from, to time.Time) {
	for p, ts := range byPerson {
		kept := slices.DeleteFunc(ts, func(t *touch) bool { return t.OccurredAt.Before(from) || !t.OccurredAt.Before(to) })
		if len(kept) == 0 {
			delete(byPerson, p)
		} else {
			byPerson[p] = kept
		}
	}
}

// spanBounds bounds everyoneSpan before the opportunities are loaded: from the
// lookback before the earliest opportunity or person (a lead), to the day after
// the latest close date, the latest lead's identification, or now.
func (s *Service) spanBounds(ctx context.Context, tenantID int64, lookback time.Duration, at time.Time) (from, to time.Time, err error) {
	var firstOpp, firstPerson, lastPerson, lastClose *time.Time
	err = s.db.WithContext(ctx).Raw(`SELECT
		(SELECT least(min(created_date), min(synced_at)) FROM crm_opportunities WHERE tenant_id = @tenant AND NOT deleted),
		(SELECT min(created_at) FROM people WHERE tenant_id = @tenant),
		(SELECT max(created_at) FROM people WHERE tenant_id = @tenant),
		(SELECT max(close_date) FROM crm_opportunities WHERE tenant_id = @tenant AND NOT deleted)`,
		map[string]any{"tenant": tenantID}).Row().Scan(&firstOpp, &firstPerson, &lastPerson, &lastClose)
	if err != nil {
		return from, to, fmt.Errorf("attribution: journey bounds: %w", err)
	}
	from, to = at.Add(-lookback), at
	for _, t := range []*time.Time{firstOpp, firstPerson} {
		if t != nil && t.Add(-lookback).Before(from) {
			from = t.Add(-lookback)
		}
	}
	if lastPerson != nil && lastPerson.Add(time.Second).After(to) {
		to = lastPerson.Add(time.Second)
	}
	if lastClose != nil && lastClose.Add(24*time.Hour).After(to) {
		to = lastClose.Add(24 * time.Hour)
	}
	return from, to, nil
}

// everyoneSpan is the time the opportunities' journeys and the learning of
// non-converting journeys (the lookback before now) span.
func everyoneSpan(opps []*opportunity, lookback time.Duration, at time.Time) (from, to time.Time) {
	_, from, to = journeyScope(opps, lookback, at)
	if from.IsZero() || at.Add(-lookback).Before(from) {
		from = at.Add(-lookback)
	}
	if to.Before(at) {
		to = at
	}
	return from, to
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

// touchesOf reads the counting touches of people in [from, to), by person. The
// people are read in parts (two at least, 10,000 people at most), two at a time,
// so both of a small node's search threads fetch.
func (s *Service) touchesOf(ctx context.Context, tenant string, st *Settings, people []string, from, to time.Time) (map[string][]*touch, error) {
	size := min(10000, max(1, (len(people)+1)/2))
	var parts []map[string][]*touch
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for i := 0; i < len(people); i += size {
		part := map[string][]*touch{}
		parts = append(parts, part)
		g.Go(func() error {
			return s.store.PeopleTouchpoints(gctx, tenant, people[i:min(i+size, len(people))], from, to, newTouchDecoder(st).into(part))
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return mergeParts(parts), nil
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

// run is what every batch of one recompute shares.
type run struct {
	s            *Service
	tenantID     int64
	tenant       string
	st           *Settings
	settingsHash string
	// encoder computes and encodes the credits; only prepare uses it.
	encoder *creditEncoder
	// everyone is a full run's read of every touch by person; nil in an
	// incremental run, whose batches read their own.
	everyone map[string][]*touch
	// rewrite writes every opportunity's credits, whatever its journey hash: the
	// credit index holds none.
	rewrite bool
	// hashes are the journey hashes a full run read before its first batch
	// (allJourneyHashes); prepare, which reads them, runs on one goroutine.
	hashes map[string]string
	at     time.Time
	res    *Result
}

// prepared is a batch computed and encoded, ready to write.
type prepared struct {
	changed []*opportunity
	hashes  []string
	counts  []int
	// stale are the opportunities computed before that now credit no touch (they
	// lost their journey, or were deleted): their documents were not replaced.
	stale []string
	docs  []Credit
}

// recomputeAll recomputes the opportunities; a full run sets the credit index up
// for a bulk load while it writes (Elasticsearch's advice), and sets it back
// whatever happens.
func (r *run) recomputeAll(ctx context.Context, opps []*opportunity) (err error) {
	if l, ok := r.s.store.(BulkLoader); ok && r.everyone != nil {
		done, err := l.BulkLoad(ctx, r.tenant, "credits")
		if err != nil {
			return err
		}
		defer func() {
			if derr := done(context.WithoutCancel(ctx)); err == nil {
				err = derr
			}
		}()
	}
	return r.recompute(ctx, opps)
}

// recompute runs the batches of opps through two stages at once: while one batch's
// credits are written, the next is read, computed and encoded, so Elasticsearch
// always has work.
func (r *run) recompute(ctx context.Context, opps []*opportunity) error {
	g, gctx := errgroup.WithContext(ctx)
	ready := make(chan *prepared, 1)
	g.Go(func() error {
		defer close(ready)
		for i := 0; i < len(opps); i += r.s.batch {
			p, err := r.prepare(gctx, opps[i:min(i+r.s.batch, len(opps))])
			if err != nil {
				return err
			}
			select {
			case ready <- p:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	g.Go(func() error {
		for p := range ready {
			if err := r.commit(gctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}

// prepare reads the batch's touchpoints in one pass (or takes them from a full
// run's read), and computes and encodes (as JSON) the credits of the opportunities whose
// journey hash changed.
func (r *run) prepare(ctx context.Context, opps []*opportunity) (*prepared, error) {
	t0 := time.Now()
	st := r.st
	var journeys map[string][]*touch
	var err error
	if r.everyone != nil {
		journeys = assemble(opps, r.everyone, time.Duration(st.LookbackDays)*24*time.Hour, r.at)
	} else if journeys, err = r.s.journeys(ctx, r.tenant, st, opps, r.at); err != nil {
		return nil, err
	}
	r.res.Read += time.Since(t0)

	t0 = time.Now()
	encoded0 := r.encoder.encodeTime
	prev, err := r.journeyHashes(ctx, opps)
	if err != nil {
		return nil, err
	}
	p := &prepared{}
	for _, o := range opps {
		touches := journeys[o.ID]
		h := journeyHash(r.settingsHash, o, touches)
		if o.Deleted {
			h = "deleted"
		}
		old, before := prev[o.ID]
		if before && old == h {
			continue
		}
		p.changed = append(p.changed, o)
		p.hashes = append(p.hashes, h)
		p.counts = append(p.counts, len(touches))
		encoded := len(r.encoder.docs)
		if err := r.encoder.add(o, touches); err != nil {
			return nil, err
		}
		if before && len(r.encoder.docs) == encoded {
			p.stale = append(p.stale, o.ID)
		}
	}
	p.docs = r.encoder.take()
	encoded := r.encoder.encodeTime - encoded0
	r.res.Compute += time.Since(t0) - encoded
	r.res.Encode += encoded
	r.res.Changed += len(p.changed)
	return p, nil
}

// Bulk requests: bulkWriters at a time keep both write threads of a small node
// busy; a batch's credits are cut into as many bulks of about the same size, or a
// multiple of it, so that no thread idles while the other writes the batch's last
// bulk, each at most maxBulkBytes (Elasticsearch advises a few MB to a few tens).
const (
	bulkWriters  = 2
	maxBulkBytes = 10 << 20
)

// bulks cuts docs into the bulk requests that write them, all at once.
func bulks(docs []Credit) [][]Credit {
	size := 0
	for _, d := range docs {
		size += len(d.Source) + len(d.ID)
	}
	n := bulkWriters * max(1, (size+bulkWriters*maxBulkBytes-1)/(bulkWriters*maxBulkBytes))
	n = min(n, len(docs))
	out := make([][]Credit, 0, n)
	for i := range n {
		out = append(out, docs[i*len(docs)/n:(i+1)*len(docs)/n])
	}
	return out
}

// journeyHashes are the journey hashes the opportunities' credits were last
// computed from, by opportunity id: none when the run rewrites every credit.
func (r *run) journeyHashes(ctx context.Context, opps []*opportunity) (map[string]string, error) {
	if r.rewrite {
		return map[string]string{}, nil
	}
	if r.everyone != nil {
		return r.allJourneyHashes(ctx)
	}
	prev := make(map[string]string, len(opps))
	ids := make([]string, len(opps))
	for i, o := range opps {
		ids[i] = o.ID
	}
	var rows []struct{ OpportunityID, JourneyHash string }
	if err := r.s.db.WithContext(ctx).Raw(`SELECT opportunity_id, journey_hash FROM attribution_state WHERE tenant_id = ? AND opportunity_id IN ?`, r.tenantID, ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("attribution: read state: %w", err)
	}
	for _, row := range rows {
		prev[row.OpportunityID] = row.JourneyHash
	}
	return prev, nil
}

// allJourneyHashes reads the journey hash of every opportunity of the tenant once,
// for a full run's batches. Asked batch by batch, Postgres planned the lookups
// for the state table as it was when last analyzed: on a tenant's first run,
// empty, so every batch scanned the rows the earlier ones had written (38 s of a
// 100,000-opportunity run, against 0.1 s for one read).
func (r *run) allJourneyHashes(ctx context.Context) (map[string]string, error) {
	if r.hashes != nil {
		return r.hashes, nil
	}
	var rows []struct{ OpportunityID, JourneyHash string }
	if err := r.s.db.WithContext(ctx).Raw(`SELECT opportunity_id, journey_hash FROM attribution_state WHERE tenant_id = ?`, r.tenantID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("attribution: read state: %w", err)
	}
	r.hashes = make(map[string]string, len(rows))
	for _, row := range rows {
		r.hashes[row.OpportunityID] = row.JourneyHash
	}
	return r.hashes, nil
}

// commit writes a prepared batch's credits, deletes its opportunities' credits
// that no longer apply, and saves their journey hashes.
func (r *run) commit(ctx context.Context, p *prepared) error {
	if len(p.changed) == 0 {
		return nil
	}
	t0 := time.Now()
	docs := p.docs
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(bulkWriters)
	for _, chunk := range bulks(docs) {
		g.Go(func() error { return r.s.store.WriteCredits(gctx, r.tenant, chunk) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, d := range docs {
		r.res.Credits += d.Touches
	}
	if len(p.stale) > 0 {
		if err := r.s.store.DeleteCredits(ctx, r.tenant, p.stale); err != nil {
			return err
		}
		r.res.Deleted += len(p.stale)
	}
	changedIDs := make([]string, len(p.changed))
	for i, o := range p.changed {
		changedIDs[i] = o.ID
	}
	r.res.Write += time.Since(t0)
	touchCounts := make([]string, len(p.counts))
	for i, n := range p.counts {
		touchCounts[i] = strconv.Itoa(n)
	}
	if err := r.s.db.WithContext(ctx).Exec(`INSERT INTO attribution_state (tenant_id, opportunity_id, journey_hash, touchpoints, computed_at)
		SELECT ?, o, h, n::int, ? FROM unnest(?::text[], ?::text[], ?::text[]) AS u(o, h, n)
		ON CONFLICT (tenant_id, opportunity_id) DO UPDATE SET journey_hash = EXCLUDED.journey_hash,
		touchpoints = EXCLUDED.touchpoints, computed_at = EXCLUDED.computed_at`,
		r.tenantID, r.at, db.StringArray(changedIDs), db.StringArray(p.hashes), db.StringArray(touchCounts)).Error; err != nil {
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
