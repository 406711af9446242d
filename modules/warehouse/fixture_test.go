package warehouse

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/parquet-go/parquet-go"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/app/secrets"
)

// memTables stands in for the identity, sync and attribution services: rows the
// test sets, paged with the same keyset order as their export queries.
type memTables struct {
	mu       sync.Mutex
	people   []PersonRow
	accounts []AccountRow
	opps     []OpportunityRow
	spend    []SpendRow
	credits  []CreditChange
}

// changed returns the rows after (afterAt, afterKey) and at or before until, in
// (time, key) order, at most limit.
func changed[T any](rows []T, at func(T) time.Time, key func(T) string, afterAt time.Time, afterKey string, until time.Time, limit int) []T {
	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, func(a, b T) int {
		return cmp.Or(at(a).Compare(at(b)), strings.Compare(key(a), key(b)))
	})
	var out []T
	for _, r := range sorted {
		c := cmp.Or(at(r).Compare(afterAt), strings.Compare(key(r), afterKey))
		if c > 0 && !at(r).After(until) && len(out) < limit {
			out = append(out, r)
		}
	}
	return out
}

func (m *memTables) ChangedPeople(_ context.Context, _ int64, afterAt time.Time, afterID int64, until time.Time, limit int) ([]PersonRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return changed(m.people, func(r PersonRow) time.Time { return r.ChangedAt }, func(r PersonRow) string { return fmt.Sprintf("%020d", r.ID) },
		afterAt, fmt.Sprintf("%020d", afterID), until, limit), nil
}

func (m *memTables) ChangedAccounts(_ context.Context, _ int64, afterAt time.Time, afterID int64, until time.Time, limit int) ([]AccountRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return changed(m.accounts, func(r AccountRow) time.Time { return r.ChangedAt }, func(r AccountRow) string { return fmt.Sprintf("%020d", r.ID) },
		afterAt, fmt.Sprintf("%020d", afterID), until, limit), nil
}

func (m *memTables) ChangedOpportunities(_ context.Context, _ int64, afterAt time.Time, k [2]string, until time.Time, limit int) ([]OpportunityRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return changed(m.opps, func(r OpportunityRow) time.Time { return r.ChangedAt }, func(r OpportunityRow) string { return r.Source + "\x00" + r.ExternalID },
		afterAt, k[0]+"\x00"+k[1], until, limit), nil
}

func (m *memTables) ChangedSpend(_ context.Context, _ int64, afterAt time.Time, k [4]string, until time.Time, limit int) ([]SpendRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := func(r SpendRow) string {
		return strings.Join([]string{r.Platform, r.AccountID, r.CampaignID, r.Day.Format(time.DateOnly)}, "\x00")
	}
	return changed(m.spend, func(r SpendRow) time.Time { return r.ChangedAt }, key, afterAt, strings.Join(k[:], "\x00"), until, limit), nil
}

func (m *memTables) ChangedCredits(_ context.Context, _ int64, afterAt time.Time, afterID string, until time.Time, limit int) ([]CreditChange, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return changed(m.credits, func(r CreditChange) time.Time { return r.ChangedAt }, func(r CreditChange) string { return r.OpportunityID },
		afterAt, afterID, until, limit), nil
}

// fixture is a tenant with touchpoints and credits in Elasticsearch, the rows of
// the other modules in memTables, and the service exporting them.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	db       *gorm.DB
	es       *search.Client
	tables   *memTables
	svc      *Service
	tenantID int64
	// localRoot is the local destinations' root; destURL a second database.
	localRoot string
	destURL   string
	// base is a time the seeded rows changed at.
	base time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	cfg := apptest.Config(t)
	f := &fixture{t: t, ctx: context.Background(), db: apptest.DB(t, cfg), es: apptest.Search(t, cfg), tables: &memTables{},
		localRoot: t.TempDir(), destURL: apptest.Config(t).Database.URL, base: time.Now().UTC().Truncate(24 * time.Hour).Add(-12 * time.Hour)}
	if err := f.db.Raw(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id`).Scan(&f.tenantID).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.es.EnsureTenant(f.ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	box, err := secrets.New(apptest.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	f.svc = NewService(ServiceDeps{DB: f.db, Box: box, Index: f.es, Tables: f.tables, Log: apptest.Logger(t),
		Options: Options{LocalRoot: f.localRoot, FileRows: 2, PostgresFlushRows: 2}})
	return f
}

// seedTouchpoints indexes touchpoint documents (updated_at zero: a document from
// before touchpoints had one).
func (f *fixture) seedTouchpoints(docs ...tpDoc) {
	f.t.Helper()
	out := make([]search.Doc, len(docs))
	for i, d := range docs {
		src := map[string]any{"event_id": d.EventID, "tenant": "acme", "type": d.Type, "occurred_at": d.OccurredAt,
			"received_at": d.ReceivedAt, "visitor_id": d.VisitorID, "session_id": d.SessionID, "channel": d.Channel,
			"channel_rule": d.ChannelRule, "is_bot": d.IsBot, "session_start": d.SessionStart, "ip": "192.0.2.1"}
		if !d.UpdatedAt.IsZero() {
			src["updated_at"] = d.UpdatedAt
		}
		for k, v := range map[string]string{"person_id": d.PersonID, "url": d.URL, "utm_campaign": d.UTMCampaign} {
			if v != "" {
				src[k] = v
			}
		}
		raw, _ := json.Marshal(src)
		out[i] = search.Doc{Tenant: "acme", Kind: search.Touchpoints, ID: d.EventID, Source: raw}
	}
	f.bulk(f.es.BulkIndex, out)
	if err := f.es.Refresh(f.ctx, "acme", search.Touchpoints); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) bulk(op func(context.Context, []search.Doc) ([]error, error), docs []search.Doc) {
	f.t.Helper()
	itemErrs, err := op(f.ctx, docs)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range itemErrs {
		if e != nil {
			f.t.Fatal(e)
		}
	}
}

// setCredits replaces an opportunity's credit document (_id the opportunity id),
// or deletes it when it has no touches, and records the change.
func (f *fixture) setCredits(at time.Time, d creditDoc) {
	f.t.Helper()
	doc := search.Doc{Tenant: "acme", Kind: search.Credits, ID: d.OpportunityID}
	if len(d.Touches) == 0 {
		f.bulk(f.es.BulkDelete, []search.Doc{doc})
	} else {
		doc.Source, _ = json.Marshal(d)
		f.bulk(f.es.BulkIndex, []search.Doc{doc})
	}
	if err := f.es.Refresh(f.ctx, "acme", search.Credits); err != nil {
		f.t.Fatal(err)
	}
	f.tables.mu.Lock()
	defer f.tables.mu.Unlock()
	f.tables.credits = slices.DeleteFunc(f.tables.credits, func(c CreditChange) bool { return c.OpportunityID == d.OpportunityID })
	f.tables.credits = append(f.tables.credits, CreditChange{OpportunityID: d.OpportunityID, ChangedAt: at})
}

// scoped is the database under the tenant's scope, for the tests' own queries.
func (f *fixture) scoped() *gorm.DB { return f.db.WithContext(db.WithTenant(f.ctx, f.tenantID)) }

func (f *fixture) save(in SaveInput) Destination {
	f.t.Helper()
	d, err := f.svc.Save(f.ctx, f.tenantID, "acme", 0, in)
	if err != nil {
		f.t.Fatalf("save destination: %v", err)
	}
	return d
}

// run exports the destination now and fails the test unless the run is ok.
func (f *fixture) run(d Destination) RunResult {
	f.t.Helper()
	res := f.runAny(d)
	if res.Status != RunOK {
		f.t.Fatalf("run %d: %s: %s", res.RunID, res.Status, res.Error)
	}
	return res
}

func (f *fixture) runAny(d Destination) RunResult {
	f.t.Helper()
	// Times are stamped by this process and by Postgres: let the clock pass them.
	time.Sleep(5 * time.Millisecond)
	res, err := f.svc.RunNow(f.ctx, f.tenantID, d.ID, nil, "test")
	if err != nil {
		f.t.Fatalf("run: %v", err)
	}
	return res
}

// parquetRows reads a Parquet file back into values in the columns' order.
func parquetRows(t *testing.T, raw []byte, columns []Column) [][]any {
	t.Helper()
	r := parquet.NewReader(bytes.NewReader(raw))
	defer r.Close()
	leaves := make([]int, len(columns))
	for i, c := range columns {
		lc, ok := r.Schema().Lookup(c.Name)
		if !ok {
			t.Fatalf("file lacks column %s", c.Name)
		}
		leaves[i] = lc.ColumnIndex
	}
	var out [][]any
	buf := make([]parquet.Row, 64)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			vals := make([]any, len(columns))
			for i, c := range columns {
				vals[i] = valueAsAny(c, row[leaves[i]])
			}
			out = append(out, vals)
		}
		if err != nil {
			break
		}
	}
	return out
}

// valueAsAny is a Parquet value of column c as the boxed value the export started
// from.
func valueAsAny(c Column, v parquet.Value) any {
	if v.IsNull() {
		return nil
	}
	switch c.Type {
	case Int:
		return v.Int64()
	case Float:
		return v.Double()
	case Bool:
		return v.Boolean()
	case Timestamp:
		return time.UnixMicro(v.Int64()).UTC()
	case Date:
		return time.Unix(int64(v.Int32())*86400, 0).UTC()
	}
	return v.String()
}

// exported reads every manifest of a file destination in run order and returns,
// per dataset, the rows of the files they list (delete files applied) as the
// loader would keep them, and how many rows the files held in all.
func exported(t *testing.T, b bucket, manifests int) (map[string][][]any, map[string]int) {
	t.Helper()
	kept, total := map[string]map[string][]any{}, map[string]int{}
	found := 0
	for run := int64(1); run < 100 && found < manifests; run++ {
		raw, err := b.get(context.Background(), manifestKey(run))
		if err != nil {
			t.Fatal(err)
		}
		if raw == nil {
			continue
		}
		found++
		var m Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		for _, md := range m.Datasets {
			ds := DatasetByName(md.Name)
			if kept[md.Name] == nil || md.Mode == "replace" {
				kept[md.Name] = map[string][]any{}
			}
			for _, key := range md.DeleteFiles {
				raw, _ := b.get(context.Background(), key)
				for _, del := range parquetRows(t, raw, ds.columnsOf(ds.DeleteBy)) {
					for k, row := range kept[md.Name] {
						if slices.Equal(pick(row, ds.index(ds.DeleteBy)), del) {
							delete(kept[md.Name], k)
						}
					}
				}
			}
			for _, key := range md.Files {
				raw, err := b.get(context.Background(), key)
				if err != nil || raw == nil {
					t.Fatalf("manifest lists %s, not found: %v", key, err)
				}
				for _, row := range parquetRows(t, raw, ds.Columns) {
					kept[md.Name][string(keyOf(nil, row, ds.index(ds.Key)))] = row
					total[md.Name]++
				}
			}
		}
	}
	if found != manifests {
		t.Fatalf("found %d manifests, want %d", found, manifests)
	}
	out := map[string][][]any{}
	for name, rows := range kept {
		for _, r := range rows {
			out[name] = append(out[name], r)
		}
		sortRows(out[name])
	}
	return out, total
}

func pick(row []any, idx []int) []any {
	out := make([]any, len(idx))
	for i, j := range idx {
		out[i] = row[j]
	}
	return out
}

func sortRows(rows [][]any) {
	slices.SortFunc(rows, func(a, b []any) int { return strings.Compare(fmt.Sprint(a...), fmt.Sprint(b...)) })
}

// fakeS3 serves an in-memory S3 bucket "exports"; other access keys than
// testAccessKey are refused as S3 does. failAfter(n) lets n more requests through
// and fails the others with 503 (n < 0: none fails).
type fakeS3 struct {
	url       string
	failAfter func(n int)
}

func newFakeS3(t *testing.T) fakeS3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("exports"); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(backend).Server()
	var mu sync.Mutex
	left := -1
	failing := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if left < 0 {
			return false
		}
		if left == 0 {
			return true
		}
		left--
		return false
	}
	srv := httptest.NewServer(s3Auth{next: h, failing: failing})
	t.Cleanup(srv.Close)
	return fakeS3{url: srv.URL, failAfter: func(n int) { mu.Lock(); left = n; mu.Unlock() }}
}

// bucket reads the fake's bucket under prefix, with the right key.
func (s fakeS3) bucket(t *testing.T, prefix string) bucket {
	t.Helper()
	b, err := newS3Bucket(S3Settings{Endpoint: strings.TrimPrefix(s.url, "http://"), Bucket: "exports", Prefix: prefix, Insecure: true, Region: "us-east-1"},
		S3Credentials{AccessKeyID: testAccessKey, SecretAccessKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (s fakeS3) settings(prefix string) json.RawMessage {
	raw, _ := json.Marshal(S3Settings{Endpoint: strings.TrimPrefix(s.url, "http://"), Bucket: "exports", Prefix: prefix, Insecure: true, Region: "us-east-1"})
	return raw
}

func localBucket(f *fixture, path string) bucket {
	return dirBucket{root: filepath.Join(f.localRoot, "acme", path)}
}

// s3Auth answers as S3 does a request signed with an unknown access key (403
// InvalidAccessKeyId) and, while failing, any request (503 ServiceUnavailable).
type s3Auth struct {
	next    http.Handler
	failing func() bool
}

const testAccessKey = "AKIDTEST"

func (a s3Auth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>1</RequestId></Error>`, code, msg)
	}
	if a.failing() {
		fail(http.StatusServiceUnavailable, "ServiceUnavailable", "Please reduce your request rate.")
		return
	}
	if !strings.Contains(r.Header.Get("Authorization"), "Credential="+testAccessKey+"/") {
		fail(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
		return
	}
	a.next.ServeHTTP(w, r)
}
