package salesforce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/salesforce/salesforcefake"
)

func TestPullFaults(t *testing.T) {
	tests := []struct {
		name string
		// setup breaks the fake after the seed and before the pull.
		setup func(f *salesforcefake.Server)
		// wantErr is a substring of the error; "" means the pull succeeds.
		wantErr string
		wantIs  error
		// check looks at the fake, the waits and the run afterwards.
		check func(t *testing.T, f *salesforcefake.Server, w []time.Duration, run *memRun)
	}{
		{
			name: "429 with Retry-After is retried after the wait",
			setup: func(f *salesforcefake.Server) {
				f.Inject(salesforcefake.Fault{Match: "FROM Contact", Status: 429, RetryAfter: 7 * time.Second})
			},
			check: func(t *testing.T, _ *salesforcefake.Server, w []time.Duration, _ *memRun) {
				if len(w) != 1 || w[0] < 7*time.Second || w[0] > 8*time.Second {
					t.Errorf("waits = %v, want one of about 7s", w)
				}
			},
		},
		{
			name: "503 and 500 are retried",
			setup: func(f *salesforcefake.Server) {
				f.Inject(salesforcefake.Fault{Match: "/describe", Status: 503}, salesforcefake.Fault{Match: "/queryAll/", Status: 500})
			},
			check: func(t *testing.T, _ *salesforcefake.Server, w []time.Duration, _ *memRun) {
				if len(w) != 2 {
					t.Errorf("waits = %v, want two backoffs", w)
				}
			},
		},
		{
			name: "the concurrent request limit is retried",
			setup: func(f *salesforcefake.Server) {
				f.Inject(salesforcefake.Fault{Match: "FROM Campaign", Status: 403, Code: "REQUEST_LIMIT_EXCEEDED", Message: "ConcurrentPerOrgLongTxn Limit exceeded."})
			},
			check: func(t *testing.T, _ *salesforcefake.Server, w []time.Duration, _ *memRun) {
				if len(w) != 1 {
					t.Errorf("waits = %v, want one backoff", w)
				}
			},
		},
		{
			name: "a 503 that lasts gives up",
			setup: func(f *salesforcefake.Server) {
				f.Inject(repeat(salesforcefake.Fault{Match: "FROM Lead", Status: 503}, 10)...)
			},
			wantErr: "gave up after 6 retries",
		},
		{
			name: "an expired session is refreshed",
			setup: func(f *salesforcefake.Server) {
				f.Inject(salesforcefake.Fault{Match: "FROM Contact", ExpireSession: true})
			},
			check: func(t *testing.T, f *salesforcefake.Server, _ []time.Duration, _ *memRun) {
				if f.Refreshes() != 2 {
					t.Errorf("tokens issued = %d, want 2 (first and after the 401)", f.Refreshes())
				}
			},
		},
		{
			name:    "a revoked refresh token needs re-authorisation",
			setup:   func(f *salesforcefake.Server) { f.RevokeRefreshToken() },
			wantIs:  connector.ErrReauth,
			wantErr: "invalid_grant",
		},
		{
			name:    "the daily limit is not retried",
			setup:   func(f *salesforcefake.Server) { f.SetAPIUsage(5000, 5000) },
			wantIs:  ErrRequestLimit,
			wantErr: "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded",
			check: func(t *testing.T, f *salesforcefake.Server, w []time.Duration, _ *memRun) {
				if f.Requests() != 1 || len(w) != 0 {
					t.Errorf("requests = %d, waits = %v; want one request and no retry", f.Requests(), w)
				}
			},
		},
		{
			name:    "malformed JSON commits nothing of its batch",
			setup:   func(f *salesforcefake.Server) { f.Inject(salesforcefake.Fault{Match: "/queryAll/", Malformed: true}) },
			wantErr: "malformed JSON",
			check: func(t *testing.T, f *salesforcefake.Server, _ []time.Duration, run *memRun) {
				// Account's first batch was committed; its second (malformed) was not,
				// and the cursor still resumes after the first.
				var acc []commit
				for _, c := range run.commits {
					if c.stream == "Account" {
						acc = append(acc, c)
					}
				}
				ids := f.IDs(salesforcefake.Account, false)
				if len(acc) != 1 || acc[0].records != 5 || !strings.HasSuffix(run.cursors["Account"], "|"+ids[4]) {
					t.Errorf("Account commits = %+v, cursor %q; want one of 5 ending at %s", acc, run.cursors["Account"], ids[4])
				}
				if run.cursors["Contact"] != "" {
					t.Errorf("later streams ran: Contact cursor %q", run.cursors["Contact"])
				}
			},
		},
		{
			name: "high API usage slows down",
			setup: func(f *salesforcefake.Server) {
				f.SetAPIUsage(9_700, 10_000)
			},
			check: func(t *testing.T, _ *salesforcefake.Server, w []time.Duration, _ *memRun) {
				if len(w) < 10 {
					t.Fatalf("waits = %v, want a pause before each request", w)
				}
				for _, d := range w {
					if d < 6*time.Second || d > 8*time.Second {
						t.Errorf("pause %v, want about 7s at 97%% usage", d)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := salesforcefake.New(salesforcefake.Options{BatchSize: 5})
			defer fake.Close()
			fake.Seed(40, 12, 10)
			tt.setup(fake)
			c, w := newConnector(t, fake, nil)
			run := newMemRun()
			err := c.Pull(context.Background(), run)
			switch {
			case tt.wantErr == "" && tt.wantIs == nil:
				if err != nil {
					t.Fatalf("Pull: %v", err)
				}
				checkMirror(t, fake, run.ids)
			case err == nil:
				t.Fatalf("Pull succeeded, want an error")
			default:
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("error %v is not %v", err, tt.wantIs)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not say %q", err, tt.wantErr)
				}
			}
			if tt.check != nil {
				tt.check(t, fake, w.all(), run)
			}
		})
	}
}

func repeat(f salesforcefake.Fault, n int) []salesforcefake.Fault {
	out := make([]salesforcefake.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// An expired locator in the middle of a stream: the query restarts after the last
// committed record, so nothing is missed and nothing read twice.
func TestPullLocatorExpiresMidStream(t *testing.T) {
	fake := salesforcefake.New(salesforcefake.Options{BatchSize: 5})
	defer fake.Close()
	fake.Seed(40, 12, 10)
	c, _ := newConnector(t, fake, nil)
	run := &expiringRun{memRun: newMemRun(), fake: fake, stream: "Contact", after: 2}
	if err := c.Pull(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	checkMirror(t, fake, run.ids)
	read := 0
	for _, cm := range run.commits {
		if cm.stream == "Contact" {
			read += cm.records
		}
	}
	if want := len(fake.IDs(salesforcefake.Contact, false)); read != want {
		t.Errorf("read %d contacts, want %d exactly once each", read, want)
	}
	restarts := 0
	for _, q := range fake.Queries() {
		if strings.Contains(q, "FROM Contact WHERE (") {
			restarts++
		}
	}
	if restarts != 1 {
		t.Errorf("Contact query restarted %d times, want 1", restarts)
	}
}

// expiringRun expires the fake's locators after a number of commits of a stream.
type expiringRun struct {
	*memRun
	fake   *salesforcefake.Server
	stream string
	after  int
}

func (r *expiringRun) Commit(ctx context.Context, stream, cursor string, p connector.Page) error {
	if err := r.memRun.Commit(ctx, stream, cursor, p); err != nil {
		return err
	}
	if stream == r.stream {
		r.after--
		if r.after == 0 {
			r.fake.ExpireLocators()
		}
	}
	return nil
}

func TestPullCrashResume(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5, 9, 14} {
		t.Run(fmt.Sprintf("after %d commits", n), func(t *testing.T) {
			fake := salesforcefake.New(salesforcefake.Options{BatchSize: 6})
			defer fake.Close()
			fake.Seed(40, 12, 10)
			c, _ := newConnector(t, fake, nil)
			run := newMemRun()
			run.budget = n
			if err := c.Pull(context.Background(), run); !errors.Is(err, errCrash) {
				t.Fatalf("Pull = %v, want the crash", err)
			}
			// Changes while the connector is down.
			fake.Update(salesforcefake.Contact, fake.IDs(salesforcefake.Contact, false)[0], map[string]string{"LastName": "Later"})
			fake.Delete(salesforcefake.Account, fake.IDs(salesforcefake.Account, false)[1])
			run.budget = -1
			c2, _ := newConnector(t, fake, nil)
			if err := c2.Pull(context.Background(), run); err != nil {
				t.Fatal(err)
			}
			checkMirror(t, fake, run.ids)
		})
	}
}
