package tracking

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	fastjson "github.com/goccy/go-json"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/modules/tracking/enrich"
)

// Indexer writes touchpoints to Elasticsearch; app/search implements it.
type Indexer interface {
	BulkCreate(ctx context.Context, docs []search.Doc) ([]error, error)
}

// Identity is who a visitor is, as far as known (empty: unknown).
type Identity struct {
	PersonID  string
	AccountID string
}

// Identities resolves visitors to people; the identity module implements it.
type Identities interface {
	Identify(ctx context.Context, tenantID int64, tenant, visitorID, email string, traits map[string]any, seenAt time.Time) (Identity, error)
	Lookup(ctx context.Context, tenantID int64, visitorIDs []string) (map[string]Identity, error)
}

// ingester drains the spool into the tenants' touchpoint indices. A batch is
// acknowledged (removed from the spool) only after Elasticsearch confirmed every
// document; documents are created by event id, so a replay after a crash or an
// outage never duplicates.
type ingester struct {
	spool    *Spool
	index    Indexer
	ids      Identities
	store    store
	log      *slog.Logger
	bulkSize int
	metrics  *metrics

	wake  chan struct{}
	sites *siteCache
	ua    *enrich.UAParser

	// burstRate is the indexing rate (events/s) held to during bursts (0: never
	// hold back), when collect requests arrive faster than burstRequests a second;
	// requests counts accepted requests, and arrival is their recent rate.
	burstRate     int
	burstRequests int
	requests      atomic.Int64
	arrival       atomic.Int64 // requests/s, read by Drain's batches too
	lastSample    time.Time
	lastRequests  int64

	mu    sync.Mutex
	known map[visitorKey]knownIdentity

	// drainMu makes batches one at a time: the background loop and Drain (tests,
	// shutdown) would otherwise acknowledge out of order, or rewind under each other.
	drainMu sync.Mutex
}

type visitorKey struct {
	tenant  int64
	visitor string
}

type knownIdentity struct {
	id      Identity
	expires time.Time
}

const identityCacheTTL = 30 * time.Second

// ingestLinger is how long the ingester waits after a part-full batch.
const ingestLinger = 200 * time.Millisecond

func (in *ingester) notify() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// run drains until ctx ends.
func (in *ingester) run(ctx context.Context) {
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		start := time.Now()
		n, err := in.drainOnce(ctx)
		if err == nil && n > 0 {
			in.pace(ctx, n, time.Since(start))
		}
		switch {
		case err != nil:
			backoff = min(max(backoff*2, 500*time.Millisecond), 10*time.Second)
			in.metrics.ingestErrors.Inc()
			in.log.Warn("indexing touchpoints failed; will retry", "err", err, "retry_in", backoff)
			sleep(ctx, backoff)
		case n == 0:
			backoff = 0
			select {
			case <-ctx.Done():
			case <-in.wake:
			case <-time.After(250 * time.Millisecond):
			}
		case n < in.bulkSize/2:
			// A part-full batch means the spool is keeping up: let events gather so
			// the next bulk request is larger, which costs Elasticsearch less per event.
			backoff = 0
			sleep(ctx, ingestLinger)
		default:
			backoff = 0
		}
		records, bytes := in.spool.Len()
		in.metrics.spoolRecords.Set(float64(records))
		in.metrics.spoolBytes.Set(float64(bytes))
	}
}

// pace holds indexing to burstRate events/s while collect requests arrive faster
// than burstRequests a second and the spool is less than half full: during a burst
// the collect endpoint keeps the CPU that Elasticsearch would take, and the spool
// absorbs the difference, drained once the burst is over. Under sustained load the
// spool fills past half and pacing stops.
func (in *ingester) pace(ctx context.Context, indexed int, took time.Duration) {
	if in.burstRate <= 0 {
		return
	}
	now := time.Now()
	requests := in.requests.Load()
	if in.lastSample.IsZero() {
		in.lastSample, in.lastRequests = now, requests
		return
	}
	if elapsed := now.Sub(in.lastSample); elapsed >= 500*time.Millisecond {
		in.arrival.Store(int64(float64(requests-in.lastRequests) / elapsed.Seconds()))
		in.lastSample, in.lastRequests = now, requests
	}
	_, bytes := in.spool.Len()
	if d := paceDelay(in.burstRate, in.burstRequests, in.arrival.Load(), indexed, took, bytes, in.spool.opts.MaxBytes); d > 0 {
		sleep(ctx, d)
	}
}

// batchRecords is how many spooled requests the next bulk request takes: during a
// burst a tenth of a second's pace, so that Elasticsearch's work comes in short
// slices between the collect requests rather than in one long bulk request that takes
// both cores.
func (in *ingester) batchRecords() int {
	_, bytes := in.spool.Len()
	if bursting(in.burstRate, in.burstRequests, in.arrival.Load(), bytes, in.spool.opts.MaxBytes) {
		return max(min(in.bulkSize, in.burstRate/10), 1)
	}
	return in.bulkSize
}

// bursting reports whether indexing is held back: pacing is on, collect requests
// arrive faster than burstRequests a second, and the spool is under half full.
func bursting(burstRate, burstRequests int, arrival, spoolBytes, spoolMax int64) bool {
	return burstRate > 0 && arrival > int64(burstRequests) && spoolBytes <= spoolMax/2
}

// paceDelay is how long to wait after indexing a batch so that indexing runs at
// burstRate events/s, or 0 when requests arrive no faster than burstRequests a
// second or the spool is half full or more.
func paceDelay(burstRate, burstRequests int, arrival int64, indexed int, took time.Duration, spoolBytes, spoolMax int64) time.Duration {
	if !bursting(burstRate, burstRequests, arrival, spoolBytes, spoolMax) {
		return 0
	}
	want := time.Duration(float64(indexed) / float64(burstRate) * float64(time.Second))
	return max(want-took, 0)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// spoolBatchBytes bounds how much of the spool one bulk request takes: about 2,000
// single-event requests or 250 of 10 events, so that a bulk request of large
// requests holds a few thousand touchpoints (and megabytes), not tens of thousands.
const spoolBatchBytes = 1 << 20

// pending is one event being turned into a touchpoint.
type pending struct {
	tenantID int64
	email    string
	traits   map[string]any
	tp       Touchpoint
}

// drainOnce indexes one batch from the spool and acknowledges it; after a failure the
// batch is handed out again.
func (in *ingester) drainOnce(ctx context.Context) (int, error) {
	in.drainMu.Lock()
	defer in.drainMu.Unlock()
	n, err := in.indexBatch(ctx)
	if err != nil {
		if rerr := in.spool.Rewind(); rerr != nil {
			in.log.Error("spool rewind failed", "err", rerr)
		}
	}
	return n, err
}

func (in *ingester) indexBatch(ctx context.Context) (int, error) {
	first, raws, err := in.spool.Read(in.batchRecords(), spoolBatchBytes)
	if err != nil || len(raws) == 0 {
		return 0, err
	}
	var size int64
	evs := make([]pending, 0, len(raws))
	for _, raw := range raws {
		size += int64(len(raw)) + 8
		more, err := in.enrich(ctx, raw)
		if err != nil {
			return 0, err
		}
		evs = append(evs, more...)
	}
	if err := in.resolveIdentities(ctx, evs); err != nil {
		return 0, err
	}
	docs := make([]search.Doc, len(evs))
	indexedAt := time.Now().UTC()
	for i := range evs {
		evs[i].tp.UpdatedAt = indexedAt
		src, err := fastjson.Marshal(&evs[i].tp)
		if err != nil {
			return 0, fmt.Errorf("tracking: encode touchpoint: %w", err)
		}
		docs[i] = search.Doc{Tenant: evs[i].tp.Tenant, Kind: search.Touchpoints, ID: evs[i].tp.EventID, Source: src}
	}
	itemErrs, err := in.index.BulkCreate(ctx, docs)
	if err != nil {
		return 0, err
	}
	for i, ierr := range itemErrs {
		if ierr == nil {
			continue
		}
		if ie, ok := ierr.(*search.ItemError); ok && !ie.Retryable() {
			if err := in.store.reject(db.WithTenant(ctx, evs[i].tenantID), evs[i].tenantID, docs[i].ID, docs[i].Source, ie.Error()); err != nil {
				return 0, err
			}
			in.metrics.ingestRejected.Inc()
			continue
		}
		return 0, fmt.Errorf("tracking: index %s: %w", docs[i].ID, ierr)
	}
	if err := in.spool.Ack(first+uint64(len(raws))-1, size); err != nil {
		return 0, err
	}
	in.metrics.indexed.Add(float64(len(docs)))
	return len(docs), nil
}

// enrich turns one spooled request into touchpoints, with the site's settings and
// channel rules as they are now. A request that can no longer be read (its site was
// deleted, or the record is damaged) is logged and dropped: retrying cannot help.
func (in *ingester) enrich(ctx context.Context, raw []byte) ([]pending, error) {
	rec, err := decodeRecord(raw)
	if err != nil {
		in.log.Error("unreadable spool record skipped", "err", err)
		return nil, nil
	}
	_, events, err := DecodeBatch(rec.Body)
	if err != nil {
		in.log.Error("spooled request no longer valid, skipped", "tenant", rec.Tenant, "err", err)
		return nil, nil
	}
	site, err := in.sites.get(ctx, rec.SiteKey)
	if err != nil {
		if errs.KindOf(err) == errs.KindNotFound {
			in.log.Warn("events of a deleted site skipped", "site", rec.SiteKey, "events", len(events))
			return nil, nil
		}
		return nil, err
	}
	req := requestInfo{received: rec.Received, country: rec.Country, device: in.ua.Parse(rec.UA)}
	req.ip, _ = netip.ParseAddr(rec.IP)
	out := make([]pending, len(events))
	for i := range events {
		ev := &events[i]
		tp := buildTouchpoint(ev, site, req, site.Rules)
		p := pending{tenantID: site.TenantID, email: ev.Email}
		switch ev.Type {
		case TypeIdentify:
			p.traits, tp.Props = ev.Props, nil
		case TypeForm:
			tp.Props = allowedFields(ev.Fields, site.Settings.FormFields)
		}
		p.tp = tp
		out[i] = p
	}
	return out, nil
}

// resolveIdentities links emails to people and stamps every touchpoint with the
// person and account of its visitor, when known.
func (in *ingester) resolveIdentities(ctx context.Context, evs []pending) error {
	now := time.Now()
	for i := range evs {
		p := &evs[i]
		if p.email == "" {
			continue
		}
		id, err := in.ids.Identify(db.WithTenant(ctx, p.tenantID), p.tenantID, p.tp.Tenant, p.tp.VisitorID, p.email, p.traits, p.tp.OccurredAt)
		if err != nil {
			if errs.KindOf(err) == errs.KindInvalid {
				in.log.Warn("identify skipped", "event", p.tp.EventID, "err", err)
				continue
			}
			return err
		}
		in.remember(visitorKey{p.tenantID, p.tp.VisitorID}, id, now)
	}
	missing := map[int64][]string{}
	for i := range evs {
		k := visitorKey{evs[i].tenantID, evs[i].tp.VisitorID}
		if _, ok := in.recall(k, now); !ok {
			missing[k.tenant] = append(missing[k.tenant], k.visitor)
		}
	}
	for tenant, visitors := range missing {
		found, err := in.ids.Lookup(db.WithTenant(ctx, tenant), tenant, unique(visitors))
		if err != nil {
			return err
		}
		for _, v := range visitors {
			in.remember(visitorKey{tenant, v}, found[v], now)
		}
	}
	for i := range evs {
		if id, ok := in.recall(visitorKey{evs[i].tenantID, evs[i].tp.VisitorID}, now); ok {
			evs[i].tp.PersonID, evs[i].tp.AccountID = id.PersonID, id.AccountID
		}
	}
	return nil
}

func (in *ingester) remember(k visitorKey, id Identity, now time.Time) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.known == nil || len(in.known) > 100000 {
		in.known = map[visitorKey]knownIdentity{}
	}
	in.known[k] = knownIdentity{id: id, expires: now.Add(identityCacheTTL)}
}

func (in *ingester) recall(k visitorKey, now time.Time) (Identity, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	e, ok := in.known[k]
	if !ok || now.After(e.expires) {
		return Identity{}, false
	}
	return e.id, true
}

func unique(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := list[:0:0]
	for _, v := range list {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
