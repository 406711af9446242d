package warehouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/jackc/pgx/v5"
	"github.com/srgplatform/srg/app/db"
)

// seeded is what seed put in the stores, as the export must deliver it.
type seeded struct {
	touchpoints []tpDoc
	// credits are the opportunities' credit documents.
	credits []creditDoc
}

func seed(f *fixture) *seeded {
	b := f.base
	s := &seeded{touchpoints: []tpDoc{
		{EventID: "e1", Type: "pageview", OccurredAt: b, ReceivedAt: b, UpdatedAt: b, VisitorID: "v1", SessionID: "s1",
			SessionStart: true, Channel: "Paid Search", ChannelRule: "gclid", URL: "https://acme.test/?gclid=x", UTMCampaign: "spring"},
		{EventID: "e2", Type: "form", OccurredAt: b.Add(time.Minute), ReceivedAt: b.Add(time.Minute), UpdatedAt: b.Add(time.Minute),
			VisitorID: "v2", SessionID: "s2", PersonID: "11", Channel: "Email", ChannelRule: "utm_medium"},
		// Indexed before touchpoints had updated_at: a first export takes it too.
		{EventID: "e0", Type: "pageview", OccurredAt: b.Add(-time.Hour), ReceivedAt: b.Add(-time.Hour), VisitorID: "v1",
			SessionID: "s0", Channel: "Direct", ChannelRule: "default", IsBot: true},
	}}
	f.seedTouchpoints(s.touchpoints...)
	credit := func(id, tp string, touched time.Time, linear, first float64) creditTouch {
		return creditTouch{CreditID: id, TouchpointID: tp, Currency: "USD", Channel: "Paid Search", ChannelRule: "gclid", Campaign: "spring",
			TouchedAt: msDate(touched), Credit: map[string]float64{"linear": linear, "first_touch": first},
			Fractions: map[string]float64{"linear": linear / 1000, "first_touch": first / 1000}}
	}
	opportunity := func(id string, touches ...creditTouch) creditDoc {
		return creditDoc{OpportunityID: id, SettingsHash: "h1", Kind: "pipeline", Currency: "USD", OpportunityAmount: 1000,
			OppCreatedAt: msDate(b), ComputedAt: msDate(b), ModelVersions: map[string]string{"linear": "1", "first_touch": "2"}, Touches: touches}
	}
	s.credits = []creditDoc{
		opportunity("o1", credit("o1-e1", "e1", b, 500, 1000), credit("o1-e2", "e2", b.Add(time.Minute), 500, 0)),
		opportunity("o2", credit("o2-e2", "e2", b.Add(time.Minute), 1000, 1000)),
	}
	f.setCredits(b, s.credits[0])
	f.setCredits(b.Add(time.Second), s.credits[1])
	account := int64(5)
	amount := 1000.0
	f.tables.people = []PersonRow{{ID: 11, Email: "Ann@Acme.test", AccountID: &account, FirstSeenAt: b, LastSeenAt: b, CreatedAt: b, ChangedAt: b}}
	f.tables.accounts = []AccountRow{{ID: 5, Domain: "acme.test", Name: "Acme", CreatedAt: b, ChangedAt: b}}
	f.tables.opps = []OpportunityRow{
		{Source: "hubspot", ExternalID: "1", Name: "Big deal", Amount: &amount, Currency: "USD", Stage: "won", IsWon: true, IsClosed: true, CloseDate: &b, ChangedAt: b},
		{Source: "hubspot", ExternalID: "2", Name: "Small deal", Currency: "USD", Stage: "open", ChangedAt: b},
	}
	day := b.Truncate(24 * time.Hour)
	f.tables.spend = []SpendRow{{Platform: "google_ads", AccountID: "a1", CampaignID: "c1", Day: day, CampaignName: "spring", Spend: 12.5, Currency: "USD", Clicks: 3, Impressions: 100, ChangedAt: b}}
	return s
}

func (s *seeded) touchpointRows() [][]any {
	var out [][]any
	for _, d := range s.touchpoints {
		out = append(out, d.row())
	}
	sortRows(out)
	return out
}

func (s *seeded) creditRows() [][]any {
	var out [][]any
	for _, d := range s.credits {
		out = d.rows(out)
	}
	sortRows(out)
	return out
}

// change identifies visitor v1 (its touchpoints get person 11), reduces o1 to
// one credit and deletes opportunity hubspot/2, as the other modules would.
func change(f *fixture, s *seeded) {
	f.t.Helper()
	if _, err := f.es.SetVisitorIdentity(f.ctx, "acme", "v1", "11", "5"); err != nil {
		f.t.Fatal(err)
	}
	if err := f.es.Refresh(f.ctx, "acme", "touchpoints"); err != nil {
		f.t.Fatal(err)
	}
	now := time.Now().UTC()
	o1 := s.credits[0]
	o1.Touches = o1.Touches[1:]
	f.setCredits(now, o1)
	s.credits[0] = o1
	f.tables.mu.Lock()
	f.tables.opps[1].Deleted, f.tables.opps[1].ChangedAt = true, now
	f.tables.mu.Unlock()
}

func (f *fixture) pgDestination(schema string) Destination {
	creds, _ := json.Marshal(pgCredentials{URL: f.destURL})
	settings, _ := json.Marshal(pgSettings{Schema: schema})
	return f.save(SaveInput{Name: "dw", Kind: KindPostgres, Credentials: creds, Settings: settings, PII: PIIHash, Actor: "test"})
}

// destRows reads a destination table in column order, times in UTC.
func destRows(t *testing.T, url, table string, columns []Column) [][]any {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT `+idents(columnNames(columns))+` FROM srg.`+table)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) {
		vals, err := r.Values()
		for i, v := range vals {
			if tm, ok := v.(time.Time); ok {
				vals[i] = tm.UTC()
			}
		}
		return vals, err
	})
	if err != nil {
		t.Fatal(err)
	}
	sortRows(out)
	return out
}

func count(t *testing.T, url, sql string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestExportToPostgres(t *testing.T) {
	f := newFixture(t)
	s := seed(f)
	d := f.pgDestination("srg")

	res := f.run(d)
	want := map[string]int64{Touchpoints: 3, Credits: 6, Opportunities: 2, People: 1, Accounts: 1, AdSpend: 1, ChannelDaily: 2}
	if diff := gocmp.Diff(want, res.Rows); diff != "" {
		t.Fatalf("rows exported (-want +got):\n%s", diff)
	}
	ds := DatasetByName
	if diff := gocmp.Diff(s.touchpointRows(), destRows(t, f.destURL, Touchpoints, ds(Touchpoints).Columns)); diff != "" {
		t.Errorf("touchpoints at the destination (-want +got):\n%s", diff)
	}
	if diff := gocmp.Diff(s.creditRows(), destRows(t, f.destURL, Credits, ds(Credits).Columns)); diff != "" {
		t.Errorf("credits at the destination (-want +got):\n%s", diff)
	}
	salt, err := f.svc.store.salt(db.WithTenant(f.ctx, f.tenantID), f.tenantID)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append(salt, "ann@acme.test"...))
	people := destRows(t, f.destURL, People, ds(People).Columns)
	if len(people) != 1 || people[0][1] != hex.EncodeToString(sum[:]) {
		t.Errorf("people = %v, want the email hashed with the tenant's salt", people)
	}
	daily := destRows(t, f.destURL, ChannelDaily, ds(ChannelDaily).Columns)
	day := f.base.Truncate(24 * time.Hour)
	wantDaily := [][]any{
		{day, "first_touch", "Paid Search", "spring", "USD", int64(3), 2000.0},
		{day, "linear", "Paid Search", "spring", "USD", int64(3), 2000.0},
	}
	if diff := gocmp.Diff(wantDaily, daily); diff != "" {
		t.Errorf("channel_daily (-want +got):\n%s", diff)
	}

	// Nothing changed: nothing exported, nothing duplicated.
	if again := f.run(d); len(again.Rows) != 0 {
		t.Errorf("second run exported %v, want nothing", again.Rows)
	}
	if n := count(t, f.destURL, `SELECT count(*) FROM srg.touchpoints`); n != 3 {
		t.Errorf("%d touchpoints after a second run, want 3", n)
	}

	change(f, s)
	res = f.run(d)
	if res.Rows[Touchpoints] != 2 || res.Rows[Credits] != 2 {
		t.Errorf("after changes exported %v, want the 2 touchpoints of v1 and o1's 2 credit rows", res.Rows)
	}
	if n := count(t, f.destURL, `SELECT count(*) FROM srg.touchpoints WHERE person_id = '11'`); n != 3 {
		t.Errorf("%d touchpoints of person 11 at the destination, want 3", n)
	}
	if diff := gocmp.Diff(s.creditRows(), destRows(t, f.destURL, Credits, ds(Credits).Columns)); diff != "" {
		t.Errorf("credits after o1 changed (-want +got):\n%s", diff)
	}
	if n := count(t, f.destURL, `SELECT count(*) FROM srg.opportunities WHERE external_id = '2'`); n != 0 {
		t.Errorf("deleted opportunity still at the destination")
	}
	if n := count(t, f.destURL, `SELECT count(*) FROM srg._srg_runs`); n != 2 {
		t.Errorf("%d runs recorded at the destination, want 2 (the run with nothing to export commits nothing)", n)
	}
	marks, err := f.svc.Marks(f.ctx, f.tenantID, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m := marks[Touchpoints]; m.ID != "e1" || m.At.Before(f.base.Add(time.Minute)) {
		t.Errorf("touchpoints watermark = %+v, want e1 at its identification", m)
	}

	// A backfill from before the seeded changes exports them again, as updates.
	from := f.base.Add(-time.Minute)
	time.Sleep(5 * time.Millisecond)
	res, err = f.svc.RunNow(f.ctx, f.tenantID, d.ID, &from, "test")
	if err != nil || res.Status != RunOK || res.Rows[Touchpoints] != 3 || res.Rows[People] != 1 || res.Rows[Credits] != 4 {
		t.Fatalf("backfill: %+v %v, want the 3 touchpoints (all written or updated since), the person and the 4 credit rows", res, err)
	}
	if n := count(t, f.destURL, `SELECT count(*) FROM srg.touchpoints`); n != 3 {
		t.Errorf("%d touchpoints after the backfill, want 3", n)
	}
}

func TestExportToFiles(t *testing.T) {
	s3 := newFakeS3(t)
	tests := []struct {
		name   string
		kind   string
		creds  string
		bucket func(f *fixture) bucket
	}{
		{"local directory", KindLocal, `{}`, func(f *fixture) bucket { return localBucket(f, "exports/daily") }},
		{"s3", KindS3, `{"access_key_id": "` + testAccessKey + `", "secret_access_key": "secret"}`, func(f *fixture) bucket {
			return s3.bucket(t, "acme/srg")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			s := seed(f)
			settings := json.RawMessage(`{"path": "exports/daily"}`)
			if tt.kind == KindS3 {
				settings = s3.settings("acme/srg")
			}
			d := f.save(SaveInput{Name: "files", Kind: tt.kind, Credentials: json.RawMessage(tt.creds), Settings: settings, PII: PIIOmit})
			if res, err := f.svc.Check(f.ctx, f.tenantID, d.ID); err != nil || !res.OK {
				t.Fatalf("check: %+v %v", res, err)
			}
			f.run(d)
			b := tt.bucket(f)
			got, total := exported(t, b, 1)
			if diff := gocmp.Diff(s.touchpointRows(), got[Touchpoints]); diff != "" {
				t.Errorf("touchpoints read back (-want +got):\n%s", diff)
			}
			if diff := gocmp.Diff(s.creditRows(), got[Credits]); diff != "" {
				t.Errorf("credits read back (-want +got):\n%s", diff)
			}
			if people := got[People]; len(people) != 1 || people[0][1] != nil {
				t.Errorf("people = %v, want the email omitted", people)
			}
			if total[Touchpoints] != 3 {
				t.Errorf("files hold %d touchpoints, want 3", total[Touchpoints])
			}
			raw, _ := b.get(f.ctx, manifestKey(1))
			var m Manifest
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			date := f.base.Format(time.DateOnly)
			tp := m.Datasets[0]
			if tp.Name != Touchpoints || len(tp.Files) != 2 || !strings.HasPrefix(tp.Files[1], "touchpoints/date="+date+"/run-000000000001-") {
				t.Errorf("touchpoint files %v: want two (2 rows a file), partitioned by the day they changed", tp.Files)
			}

			change(f, s)
			f.run(d)
			got, _ = exported(t, b, 2)
			if diff := gocmp.Diff(s.creditRows(), got[Credits]); diff != "" {
				t.Errorf("credits after o1 changed, delete files applied (-want +got):\n%s", diff)
			}
			if n := len(got[Opportunities]); n != 1 {
				t.Errorf("%d opportunities after one was deleted, want 1", n)
			}
		})
	}
}

func TestCrashAfterDestinationCommit(t *testing.T) {
	tests := []struct {
		name string
		dest func(f *fixture) Destination
		// touchpoints counts the touchpoints the destination holds, duplicates included.
		touchpoints func(f *fixture) int
	}{
		{"postgres", func(f *fixture) Destination { return f.pgDestination("srg") }, func(f *fixture) int {
			return count(f.t, f.destURL, `SELECT count(*) FROM srg.touchpoints`)
		}},
		{"parquet", func(f *fixture) Destination {
			return f.save(SaveInput{Name: "files", Kind: KindLocal, Credentials: json.RawMessage(`{}`), Settings: json.RawMessage(`{"path": "out"}`)})
		}, func(f *fixture) int {
			_, total := exported(f.t, localBucket(f, "out"), 1)
			return total[Touchpoints]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			seed(f)
			d := tt.dest(f)
			f.svc.afterCommit = func(int64) error { return errCrash }
			if _, err := f.svc.RunNow(f.ctx, f.tenantID, d.ID, nil, "test"); err != errCrash {
				t.Fatalf("run = %v, want the simulated crash", err)
			}
			f.svc.afterCommit = nil
			var status string
			f.scoped().Raw(`SELECT status FROM warehouse_runs WHERE id = 1`).Scan(&status)
			if status != RunRunning {
				t.Fatalf("crashed run is %q, want still running", status)
			}
			res := f.run(d)
			if len(res.Rows) != 0 {
				t.Errorf("run after the crash exported %v again, want nothing: the destination had it", res.Rows)
			}
			f.scoped().Raw(`SELECT status FROM warehouse_runs WHERE id = 1`).Scan(&status)
			if status != RunRecovered {
				t.Errorf("crashed run is %q after the next run, want recovered", status)
			}
			if n := tt.touchpoints(f); n != 3 {
				t.Errorf("destination holds %d touchpoints, want 3 (no duplicate)", n)
			}
		})
	}
}

func TestInterruptedRunIsExportedAgain(t *testing.T) {
	f := newFixture(t)
	seed(f)
	d := f.pgDestination("srg")
	// A run that died before the destination committed anything.
	if err := f.scoped().Exec(`INSERT INTO warehouse_runs (destination_id, tenant_id, trigger) VALUES (?, ?, 'schedule')`, d.ID, f.tenantID).Error; err != nil {
		t.Fatal(err)
	}
	res := f.run(d)
	if res.Rows[Touchpoints] != 3 {
		t.Errorf("exported %v, want everything", res.Rows)
	}
	var status string
	f.scoped().Raw(`SELECT status FROM warehouse_runs WHERE id = 1`).Scan(&status)
	if status != RunInterrupted {
		t.Errorf("dead run is %q, want interrupted", status)
	}
}

func TestDestinationOutageMidRun(t *testing.T) {
	s3 := newFakeS3(t)
	f := newFixture(t)
	seed(f)
	creds := json.RawMessage(`{"access_key_id": "` + testAccessKey + `", "secret_access_key": "secret"}`)
	d := f.save(SaveInput{Name: "lake", Kind: KindS3, Credentials: creds, Settings: s3.settings("")})
	s3.failAfter(3)
	res := f.runAny(d)
	if res.Status != RunError || !strings.Contains(res.Error, "Please reduce your request rate") {
		t.Fatalf("run during the outage = %s %q, want an error saying what S3 answered", res.Status, res.Error)
	}
	if marks, _ := f.svc.Marks(f.ctx, f.tenantID, d.ID); len(marks) != 0 {
		t.Fatalf("watermarks %v saved by a failed run", marks)
	}
	s3.failAfter(-1)
	f.run(d)
	got, total := exported(t, s3.bucket(t, ""), 1)
	if total[Touchpoints] != 3 || len(got[Touchpoints]) != 3 {
		t.Errorf("after the outage the manifests list %d touchpoints (%d distinct), want 3", total[Touchpoints], len(got[Touchpoints]))
	}
}

func TestSchemaChangeAddsColumns(t *testing.T) {
	f := newFixture(t)
	seed(f)
	conn, err := pgx.Connect(f.ctx, f.destURL)
	if err != nil {
		t.Fatal(err)
	}
	// The table as an earlier version of the dataset made it, with a row.
	if _, err := conn.Exec(f.ctx, `CREATE SCHEMA srg; CREATE TABLE srg.accounts (id bigint PRIMARY KEY, domain text);
		INSERT INTO srg.accounts VALUES (4, 'old.test')`); err != nil {
		t.Fatal(err)
	}
	conn.Close(f.ctx)
	creds, _ := json.Marshal(pgCredentials{URL: f.destURL})
	d := f.save(SaveInput{Name: "dw", Kind: KindPostgres, Credentials: creds, Datasets: []string{Accounts}})
	f.run(d)
	got := destRows(t, f.destURL, Accounts, DatasetByName(Accounts).Columns)
	b := f.base
	want := [][]any{{int64(4), "old.test", nil, nil, nil}, {int64(5), "acme.test", "Acme", b, b}}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("accounts after the new columns (-want +got):\n%s", diff)
	}
}

func TestBadCredentials(t *testing.T) {
	s3 := newFakeS3(t)
	f := newFixture(t)
	seed(f)
	wrongPG, _ := json.Marshal(pgCredentials{URL: strings.Replace(f.destURL, "srg:srg@", "srg:wrong@", 1)})
	tests := []struct {
		name     string
		in       SaveInput
		wantErr  string
		anything func() bool
	}{
		{"postgres password", SaveInput{Name: "pg", Kind: KindPostgres, Credentials: wrongPG}, "password authentication failed",
			func() bool {
				return count(t, f.destURL, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'srg'`) > 0
			}},
		{"s3 access key", SaveInput{Name: "s3", Kind: KindS3, Credentials: json.RawMessage(`{"access_key_id": "AKIDWRONG", "secret_access_key": "x"}`),
			Settings: s3.settings("")}, "InvalidAccessKeyId",
			func() bool {
				raw, _ := s3.bucket(t, "").get(f.ctx, manifestKey(1))
				return raw != nil
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := f.save(tt.in)
			if res, _ := f.svc.Check(f.ctx, f.tenantID, d.ID); res.OK || !strings.Contains(res.Message, tt.wantErr) {
				t.Errorf("check = %+v, want it to say %q", res, tt.wantErr)
			}
			res := f.runAny(d)
			if res.Status != RunError || !strings.Contains(res.Error, tt.wantErr) {
				t.Errorf("run = %s %q, want an error saying %q", res.Status, res.Error, tt.wantErr)
			}
			if strings.Contains(res.Error, "srg:wrong") {
				t.Errorf("error shows the connection string: %s", res.Error)
			}
			if marks, _ := f.svc.Marks(f.ctx, f.tenantID, d.ID); len(marks) != 0 {
				t.Errorf("watermarks %v committed", marks)
			}
			got, _ := f.svc.Destination(f.ctx, f.tenantID, d.ID)
			if got.Status != "error" || !strings.Contains(got.LastError, tt.wantErr) {
				t.Errorf("destination status %s %q", got.Status, got.LastError)
			}
			if tt.anything() {
				t.Errorf("something was written at the destination")
			}
		})
	}
}
