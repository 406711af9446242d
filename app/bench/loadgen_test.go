package bench

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingServer stands in for srg: it decodes every batch, remembers the event ids
// and answers as respond says for the n-th request (from 1).
type countingServer struct {
	mu       sync.Mutex
	requests int
	events   int // in 2xx-answered requests
	ids      map[string]bool
	dupes    int
	statuses map[int]uint64
	respond  func(n int) (status int, close bool)
}

func (s *countingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var b protocolBatch
	err := json.Unmarshal(body, &b)
	s.mu.Lock()
	s.requests++
	status, closeConn := http.StatusNoContent, false
	if s.respond != nil {
		status, closeConn = s.respond(s.requests)
	}
	if err != nil || r.URL.Path != "/t/collect" {
		status = http.StatusBadRequest
	}
	if status < 300 {
		s.events += len(b.Events)
		for _, ev := range b.Events {
			if s.ids[ev.ID] {
				s.dupes++
			}
			s.ids[ev.ID] = true
		}
	} else {
		s.statuses[status]++
	}
	s.mu.Unlock()
	if closeConn {
		w.Header().Set("Connection", "close")
	}
	switch {
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "30")
		http.Error(w, `{"error":"the event spool is full: retry later"}`, status)
	case status >= 300:
		http.Error(w, `{"error":"invalid"}`, status)
	default:
		w.WriteHeader(status)
	}
}

func TestRunLoad(t *testing.T) {
	errorsAndCloses := func(n int) (int, bool) {
		switch {
		case n%7 == 0:
			return http.StatusServiceUnavailable, false
		case n%11 == 0:
			return http.StatusNoContent, true
		}
		return http.StatusNoContent, false
	}
	tests := []struct {
		name          string
		events        int
		rate          float64
		duration      time.Duration
		respond       func(int) (int, bool)
		wantScheduled uint64 // open loop: Rate × Duration
	}{
		{name: "closed loop, one event", events: 1, duration: 200 * time.Millisecond},
		{name: "closed loop, ten events, errors and closed connections", events: 10, duration: 200 * time.Millisecond, respond: errorsAndCloses},
		{name: "constant rate, one event", events: 1, rate: 200, duration: 400 * time.Millisecond, wantScheduled: 80},
		{name: "constant rate, ten events, errors and closed connections", events: 10, rate: 100, duration: 400 * time.Millisecond, respond: errorsAndCloses, wantScheduled: 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &countingServer{ids: map[string]bool{}, statuses: map[int]uint64{}, respond: tt.respond}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			addr := strings.TrimPrefix(ts.URL, "http://")
			res, err := runLoad(context.Background(), loadConfig{Addr: addr, Conns: 4, Duration: tt.duration,
				Rate: tt.rate, Events: tt.events, Run: "test01", Tag: "01", Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if res.NetErrors != 0 || res.Unknown != 0 {
				t.Fatalf("%d network errors, %d unanswered requests: %s", res.NetErrors, res.Unknown, res.FirstErr)
			}
			if res.Sent == 0 || int(res.Sent) != srv.requests {
				t.Errorf("generator sent %d requests, server saw %d", res.Sent, srv.requests)
			}
			var other uint64
			for code, n := range res.Statuses {
				other += n
				if srv.statuses[code] != n {
					t.Errorf("generator counted %d answers %d, server sent %d", n, code, srv.statuses[code])
				}
			}
			if res.OK+other != res.Sent {
				t.Errorf("%d ok + %d other answers, %d sent", res.OK, other, res.Sent)
			}
			if int(res.Events) != srv.events || res.Events != res.OK*uint64(tt.events) {
				t.Errorf("generator counted %d acknowledged events (%d ok × %d), server accepted %d", res.Events, res.OK, tt.events, srv.events)
			}
			if srv.dupes != 0 || len(srv.ids) != srv.events {
				t.Errorf("%d repeated event ids, %d distinct of %d", srv.dupes, len(srv.ids), srv.events)
			}
			if res.Latency.Count() != res.Sent {
				t.Errorf("%d latencies recorded for %d answers", res.Latency.Count(), res.Sent)
			}
			if tt.respond != nil && other == 0 {
				t.Error("no error answer was counted")
			}
			if tt.rate > 0 {
				if got := res.Sent + res.Missed; got != tt.wantScheduled {
					t.Errorf("%d sent + %d missed, want %d scheduled", res.Sent, res.Missed, tt.wantScheduled)
				}
				if res.SendLag.Count() != res.Sent {
					t.Errorf("%d send lags recorded for %d requests", res.SendLag.Count(), res.Sent)
				}
			}
		})
	}
}

func TestRunLoadRejects(t *testing.T) {
	good := loadConfig{Addr: "127.0.0.1:1", Conns: 1, Duration: time.Millisecond, Events: 1, Run: "test01", Tag: "01"}
	tests := []struct {
		name string
		edit func(*loadConfig)
	}{
		{"not loopback", func(c *loadConfig) { c.Addr = "192.0.2.1:80" }},
		{"host name", func(c *loadConfig) { c.Addr = "localhost:80" }},
		{"no connections", func(c *loadConfig) { c.Conns = 0 }},
		{"negative rate", func(c *loadConfig) { c.Rate = -1 }},
		{"nobody listening", func(*loadConfig) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			if _, err := runLoad(context.Background(), cfg); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestRunLoadCancelled(t *testing.T) {
	srv := &countingServer{ids: map[string]bool{}, statuses: map[int]uint64{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	// A minute-long step must end soon after the cancellation, reporting it.
	res, err := runLoad(ctx, loadConfig{Addr: strings.TrimPrefix(ts.URL, "http://"), Conns: 2, Duration: time.Minute,
		Rate: 100, Events: 1, Run: "test01", Tag: "02"})
	if err == nil {
		t.Fatal("no error after cancellation")
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if int(res.Sent) != srv.requests {
		t.Errorf("generator sent %d requests, server saw %d", res.Sent, srv.requests)
	}
}
