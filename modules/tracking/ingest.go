package tracking

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/search"
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

	wake chan struct{}

	mu    sync.Mutex
	known map[visitorKey]knownIdentity
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
		n, err := in.drainOnce(ctx)
		switch {
		case err != nil:
			backoff = min(max(backoff*2, 500*time.Millisecond), 10*time.Second)
			in.metrics.ingestErrors.Inc()
			in.log.Warn("indexing touchpoints failed; will retry", "err", err, "retry_in", backoff)
			if rerr := in.spool.Rewind(); rerr != nil {
				in.log.Error("spool rewind failed", "err", rerr)
			}
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

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// drainOnce indexes one batch from the spool and acknowledges it.
func (in *ingester) drainOnce(ctx context.Context) (int, error) {
	first, raws, err := in.spool.Read(in.bulkSize)
	if err != nil || len(raws) == 0 {
		return 0, err
	}
	recs := make([]spoolRecord, 0, len(raws))
	var size int64
	for _, raw := range raws {
		size += int64(len(raw)) + 8
		rec, err := decodeRecord(raw)
		if err != nil {
			// Only this process writes the spool; an unreadable record is kept aside.
			in.log.Error("unreadable spool record skipped", "err", err)
			continue
		}
		recs = append(recs, rec)
	}
	if err := in.resolveIdentities(ctx, recs); err != nil {
		return 0, err
	}
	docs := make([]search.Doc, len(recs))
	for i, r := range recs {
		docs[i] = search.Doc{Tenant: r.Tenant, Kind: search.Touchpoints, ID: r.EventID, Source: r.Doc}
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
			if err := in.store.reject(ctx, recs[i].TenantID, docs[i].ID, docs[i].Source, ie.Error()); err != nil {
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

// resolveIdentities links emails to people and stamps every touchpoint with the
// person and account of its visitor, when known.
func (in *ingester) resolveIdentities(ctx context.Context, recs []spoolRecord) error {
	now := time.Now()
	for i := range recs {
		r := &recs[i]
		if r.Email == "" {
			continue
		}
		id, err := in.ids.Identify(ctx, r.TenantID, r.Tenant, r.VisitorID, r.Email, r.Traits, r.At)
		if err != nil {
			if errs.KindOf(err) == errs.KindInvalid {
				in.log.Warn("identify skipped", "event", r.EventID, "err", err)
				continue
			}
			return err
		}
		in.remember(visitorKey{r.TenantID, r.VisitorID}, id, now)
	}
	missing := map[int64][]string{}
	for i := range recs {
		k := visitorKey{recs[i].TenantID, recs[i].VisitorID}
		if _, ok := in.recall(k, now); !ok {
			missing[k.tenant] = append(missing[k.tenant], k.visitor)
		}
	}
	for tenant, visitors := range missing {
		found, err := in.ids.Lookup(ctx, tenant, unique(visitors))
		if err != nil {
			return err
		}
		for _, v := range visitors {
			in.remember(visitorKey{tenant, v}, found[v], now)
		}
	}
	for i := range recs {
		if id, ok := in.recall(visitorKey{recs[i].TenantID, recs[i].VisitorID}, now); ok && id.PersonID != "" {
			recs[i].Doc = withIdentity(recs[i].Doc, id)
		}
	}
	return nil
}

// withIdentity adds person_id and account_id to a touchpoint document, which never
// carries them when it is spooled.
func withIdentity(doc json.RawMessage, id Identity) json.RawMessage {
	person, _ := json.Marshal(id.PersonID)
	out := make([]byte, 0, len(doc)+64)
	out = append(append(append(out, `{"person_id":`...), person...), ',')
	if id.AccountID != "" {
		account, _ := json.Marshal(id.AccountID)
		out = append(append(append(out, `"account_id":`...), account...), ',')
	}
	return append(out, doc[1:]...)
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
