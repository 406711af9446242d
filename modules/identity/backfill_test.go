package identity_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/modules/identity"
)

// scriptedUpdater stands in for app/search (whose own tests update real touchpoints):
// it answers with err, and may cancel the backfill's context as it returns, so that
// the queue's bookkeeping afterwards fails.
type scriptedUpdater struct {
	err    error
	cancel context.CancelFunc
	calls  []string
}

func (u *scriptedUpdater) SetVisitorIdentity(_ context.Context, tenant, visitor, person, account string) (int, error) {
	u.calls = append(u.calls, tenant+"/"+visitor+"/"+person+"/"+account)
	if u.cancel != nil {
		u.cancel()
	}
	return 1, u.err
}

func TestBackfillQueue(t *testing.T) {
	type row struct {
		Pass, Attempts int
		LastError      string
		Later          bool // run_after in the future
	}
	tests := []struct {
		name       string
		pass       int
		updaterErr error
		cancel     bool
		wantDone   int
		wantErr    string
		want       *row // nil: the row is gone
	}{
		{name: "first pass done: the second is scheduled", pass: 1, wantDone: 1, want: &row{Pass: 2, Later: true}},
		{name: "second pass done: the row is gone", pass: 2, wantDone: 1},
		{name: "update failed: retried later", pass: 1, updaterErr: errors.New("es down"), wantErr: "es down",
			want: &row{Pass: 1, Attempts: 1, LastError: "es down", Later: true}},
		{name: "bookkeeping failed: reported, the row stays", pass: 2, cancel: true, wantDone: 1, wantErr: "bookkeeping",
			want: &row{Pass: 2}},
	}
	cfg := apptest.Config(t)
	gdb := apptest.DB(t, cfg)
	sys := apptest.System(gdb)
	if err := sys.Exec(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme')`).Error; err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys.Exec(`DELETE FROM identity_backfills`)
			var id int64
			if err := sys.Raw(`INSERT INTO identity_backfills (tenant_id, tenant_slug, visitor_id, person_id, pass)
				SELECT id, slug, 'v1', 7, ? FROM tenants WHERE slug = 'acme' RETURNING id`, tt.pass).Scan(&id).Error; err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			u := &scriptedUpdater{err: tt.updaterErr}
			if tt.cancel {
				u.cancel = cancel
			}
			svc := identity.NewService(identity.Deps{DB: gdb, Updater: u, Log: apptest.Logger(t), SecondPassDelay: time.Hour})
			done, err := svc.Backfill(ctx, 10)
			if done != tt.wantDone || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Backfill = %d, %v; want %d, error with %q", done, err, tt.wantDone, tt.wantErr)
			}
			if strings.Join(u.calls, ",") != "acme/v1/7/" {
				t.Errorf("updates %v", u.calls)
			}
			var rows []row
			sys.Raw(`SELECT pass, attempts, last_error, run_after > now() AS later FROM identity_backfills WHERE id = ?`, id).Scan(&rows)
			switch {
			case tt.want == nil && len(rows) != 0:
				t.Errorf("row left: %+v", rows[0])
			case tt.want != nil && (len(rows) != 1 || rows[0] != *tt.want):
				t.Errorf("row %+v, want %+v", rows, *tt.want)
			}
		})
	}
}
