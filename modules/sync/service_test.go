package syncer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/secrets"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/synctest"

	syncer "github.com/srgplatform/srg/modules/sync"
)

// testSource is a source whose behaviour its credentials choose: {"token":"ok"}
// pulls one account per run, "revoked" refuses the credentials, "broken" fails.
type testSource struct {
	token string
	pulls *atomic.Int32
	hold  chan struct{}
}

func (s testSource) Pull(ctx context.Context, r connector.Run) error {
	s.pulls.Add(1)
	if s.hold != nil {
		<-s.hold
	}
	switch s.token {
	case "revoked":
		return fmt.Errorf("test: %w", connector.ErrReauth)
	case "broken":
		return errors.New("test: the API answered 500 six times")
	}
	n := len(r.Cursor("accounts"))
	return r.Commit(ctx, "accounts", r.Cursor("accounts")+"x", connector.Page{
		Accounts: []connector.Account{{ExternalID: fmt.Sprintf("a%d", n), Name: "Acme"}},
	})
}

type env struct {
	cfg    config.Config
	db     *gorm.DB
	svc    *syncer.Service
	tenant int64
	pulls  *atomic.Int32
	hold   chan struct{}
}

func newEnv(t *testing.T) *env {
	cfg := apptest.Config(t)
	e := &env{cfg: cfg, db: apptest.DB(t, cfg), pulls: &atomic.Int32{}}
	if err := e.db.Raw(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id`).Scan(&e.tenant).Error; err != nil {
		t.Fatal(err)
	}
	e.svc = e.service(t, e.db)
	return e
}

func (e *env) service(t *testing.T, db *gorm.DB) *syncer.Service {
	box, err := secrets.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	factory := func(cfg connector.Config) (connector.Puller, error) {
		var c struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(cfg.Credentials, &c); err != nil || c.Token == "" {
			return nil, errors.New("credentials: token is required")
		}
		return testSource{token: c.Token, pulls: e.pulls, hold: e.hold}, nil
	}
	return syncer.NewService(syncer.ServiceDeps{DB: db, Box: box, Log: apptest.Logger(t),
		Factories: map[connector.Kind]syncer.Factory{connector.HubSpot: factory}})
}

var testKey = apptest.NewKey()

func TestConnectValidates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cases := []struct {
		name  string
		in    syncer.ConnectInput
		field string
	}{
		{"unknown kind", syncer.ConnectInput{Kind: "pipedrive", Credentials: json.RawMessage(`{"token":"ok"}`)}, "kind"},
		{"credentials not an object", syncer.ConnectInput{Kind: connector.HubSpot, Credentials: json.RawMessage(`"ok"`)}, "credentials"},
		{"credentials malformed", syncer.ConnectInput{Kind: connector.HubSpot, Credentials: json.RawMessage(`{"token":`)}, "credentials"},
		{"credentials refused by the connector", syncer.ConnectInput{Kind: connector.HubSpot, Credentials: json.RawMessage(`{}`)}, "credentials"},
		{"settings not an object", syncer.ConnectInput{Kind: connector.HubSpot, Credentials: json.RawMessage(`{"token":"ok"}`), Settings: json.RawMessage(`[1]`)}, "settings"},
		{"bad schedule", syncer.ConnectInput{Kind: connector.HubSpot, Credentials: json.RawMessage(`{"token":"ok"}`), Schedule: "every now and then"}, "schedule"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.svc.Connect(ctx, e.tenant, c.in)
			if errs.KindOf(err) != errs.KindInvalid || errs.FieldOf(err) != c.field {
				t.Fatalf("err = %v (kind %v, field %q), want invalid %q", err, errs.KindOf(err), errs.FieldOf(err), c.field)
			}
		})
	}
	var n int
	apptest.System(e.db).Raw(`SELECT count(*) FROM connectors`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d connectors stored after refused input", n)
	}
}

func TestCredentialsAreSealed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, err := e.svc.Connect(ctx, e.tenant, syncer.ConnectInput{Kind: connector.HubSpot, Credentials: json.RawMessage(`{"token":"ok","secret":"hunter2-secret"}`), Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Schedule != "@every 15m" || c.Status != syncer.StatusOK {
		t.Fatalf("connector = %+v", c)
	}
	tdb := synctest.AsTenant(e.db, e.tenant)
	var raw []byte
	tdb.Raw(`SELECT credentials FROM connectors WHERE id = ?`, c.ID).Row().Scan(&raw)
	if strings.Contains(string(raw), "hunter2") {
		t.Fatal("credentials are stored in the clear")
	}
	out, _ := json.Marshal(c)
	if strings.Contains(string(out), "hunter2") {
		t.Fatalf("the connector's JSON shows credentials: %s", out)
	}
	var audited int
	tdb.Raw(`SELECT count(*) FROM audit_log WHERE action = 'connector.connected'`).Scan(&audited)
	if audited != 1 {
		t.Fatalf("audit rows = %d", audited)
	}
}

// TestConnectorsAreIsolated: a request of one tenant that hands the service another
// tenant's id reaches none of that tenant's connectors, and the database hides them
// even from a query that names that tenant.
func TestConnectorsAreIsolated(t *testing.T) {
	e := newEnv(t)
	bg := context.Background()
	var other int64
	if err := e.db.Raw(`INSERT INTO tenants (slug, name) VALUES ('globex', 'Globex') RETURNING id`).Scan(&other).Error; err != nil {
		t.Fatal(err)
	}
	ok := syncer.ConnectInput{Kind: connector.HubSpot, Credentials: json.RawMessage(`{"token":"ok"}`), Actor: "test"}
	for _, id := range []int64{e.tenant, other} {
		if _, err := e.svc.Connect(bg, id, ok); err != nil {
			t.Fatal(err)
		}
	}
	acme := db.WithTenant(bg, e.tenant)
	calls := []struct {
		name string
		call func() error
		want errs.Kind // "" for any error
	}{
		{"load", func() error { _, err := e.svc.Connector(acme, other, connector.HubSpot); return err }, errs.KindNotFound},
		{"run log", func() error { _, err := e.svc.Runs(acme, other, connector.HubSpot, 10); return err }, errs.KindNotFound},
		{"run now", func() error { _, err := e.svc.RunNow(acme, other, connector.HubSpot); return err }, errs.KindNotFound},
		{"check", func() error { _, err := e.svc.Check(acme, other, connector.HubSpot, "test"); return err }, errs.KindNotFound},
		{"disconnect", func() error { return e.svc.Disconnect(acme, other, connector.HubSpot, "test") }, errs.KindNotFound},
		{"connect", func() error { _, err := e.svc.Connect(acme, other, ok); return err }, ""},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil || (c.want != "" && errs.KindOf(err) != c.want) {
				t.Fatalf("err = %v (kind %v), want a refusal of kind %q", err, errs.KindOf(err), c.want)
			}
		})
	}
	if list, err := e.svc.Connectors(acme, other); err != nil || len(list) != 0 {
		t.Errorf("listed %+v, %v; want nothing", list, err)
	}
	var named int
	if err := e.db.WithContext(acme).Raw(`SELECT count(*) FROM connectors WHERE tenant_id = ?`, other).Scan(&named).Error; err != nil || named != 0 {
		t.Errorf("a query under acme's scope naming globex found %d connectors (%v)", named, err)
	}
	var runs, audited int
	sys := apptest.System(e.db)
	sys.Raw(`SELECT count(*) FROM sync_runs WHERE tenant_id = ?`, other).Scan(&runs)
	sys.Raw(`SELECT count(*) FROM audit_log WHERE tenant_id = ? AND action <> 'connector.connected'`, other).Scan(&audited)
	if c, err := e.svc.Connector(bg, other, connector.HubSpot); err != nil || runs != 0 || audited != 0 {
		t.Fatalf("the other tenant's connector was touched: %+v, %v; %d runs, %d audit entries", c, err, runs, audited)
	}
}

func TestRunOutcomes(t *testing.T) {
	cases := []struct {
		token      string
		wantRun    string
		wantStatus string
		wantError  string
	}{
		{"ok", "ok", "ok", ""},
		{"broken", "error", "error", "500 six times"},
		{"revoked", "needs_reauth", "needs_reauth", "re-authorisation"},
	}
	for _, c := range cases {
		t.Run(c.token, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			if _, err := e.svc.Connect(ctx, e.tenant, syncer.ConnectInput{Kind: connector.HubSpot, Credentials: json.RawMessage(`{"token":"` + c.token + `"}`)}); err != nil {
				t.Fatal(err)
			}
			res, err := e.svc.RunNow(ctx, e.tenant, connector.HubSpot)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != c.wantRun || !strings.Contains(res.Error, c.wantError) {
				t.Fatalf("run = %+v", res)
			}
			conn, _ := e.svc.Connector(ctx, e.tenant, connector.HubSpot)
			if conn.Status != c.wantStatus {
				t.Fatalf("connector status %q, want %q", conn.Status, c.wantStatus)
			}
			runs, err := e.svc.Runs(ctx, e.tenant, connector.HubSpot, 10)
			if err != nil || len(runs) != 1 || runs[0].Status != c.wantRun || runs[0].FinishedAt == nil {
				t.Fatalf("runs = %+v, %v", runs, err)
			}
			if c.token == "ok" && !cmp.Equal(runs[0].Counts, map[string]int{"account": 1}) {
				t.Fatalf("counts = %v", runs[0].Counts)
			}
			// A connector needing re-authorisation is not scheduled again.
			if err := synctest.AsTenant(e.db, e.tenant).Exec(`UPDATE connectors SET next_run_at = now() - interval '1 hour'`).Error; err != nil {
				t.Fatal(err)
			}
			before := e.pulls.Load()
			if err := e.svc.Dispatch(ctx); err != nil {
				t.Fatal(err)
			}
			if ran := e.pulls.Load() - before; (ran == 1) != (c.wantStatus != "needs_reauth") {
				t.Fatalf("dispatch ran the connector %d times with status %s", ran, c.wantStatus)
			}
		})
	}
}

func TestTwoInstancesRunEachConnectorOncePerTick(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 5 {
		var id int64
		if err := e.db.Raw(`INSERT INTO tenants (slug, name) VALUES (?, 'T') RETURNING id`, fmt.Sprintf("t%d", i)).Scan(&id).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Connect(ctx, id, syncer.ConnectInput{Kind: connector.HubSpot, Credentials: json.RawMessage(`{"token":"ok"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	second := e.service(t, apptest.DB(t, e.cfg))
	var wg gosync.WaitGroup
	for _, s := range []*syncer.Service{e.svc, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Dispatch(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	sys := apptest.System(e.db)
	var perConnector []int
	sys.Raw(`SELECT count(*) FROM sync_runs GROUP BY connector_id ORDER BY connector_id`).Scan(&perConnector)
	if !cmp.Equal(perConnector, []int{1, 1, 1, 1, 1}) {
		t.Fatalf("runs per connector = %v", perConnector)
	}
	var next []time.Time
	sys.Raw(`SELECT next_run_at FROM connectors`).Scan(&next)
	for _, n := range next {
		if !n.After(time.Now()) {
			t.Fatalf("next run at %v: not moved to the next tick", n)
		}
	}
}

func TestManualRunWhileRunningIsBusy(t *testing.T) {
	e := newEnv(t)
	e.hold = make(chan struct{})
	e.svc = e.service(t, e.db)
	ctx := context.Background()
	if _, err := e.svc.Connect(ctx, e.tenant, syncer.ConnectInput{Kind: connector.HubSpot, Credentials: json.RawMessage(`{"token":"ok"}`)}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := e.svc.RunNow(ctx, e.tenant, connector.HubSpot)
		done <- err
	}()
	for e.pulls.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := e.svc.RunNow(ctx, e.tenant, connector.HubSpot); !errors.Is(err, syncer.ErrBusy) {
		t.Fatalf("second run: %v, want ErrBusy", err)
	}
	close(e.hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
