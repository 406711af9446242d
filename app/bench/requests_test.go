package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	eventIDPattern   = regexp.MustCompile(`^[A-Za-z0-9_-]{20,64}$`)
	visitorIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)
)

// protocolBatch mirrors docs/tracking-protocol.md; decoding with unknown fields
// disallowed catches a misspelt key.
type protocolBatch struct {
	V      int    `json:"v"`
	Site   string `json:"site"`
	Events []struct {
		ID    string `json:"id"`
		Type  string `json:"type"`
		TS    int64  `json:"ts"`
		VID   string `json:"vid"`
		SID   string `json:"sid"`
		SS    bool   `json:"ss"`
		SPA   bool   `json:"spa"`
		URL   string `json:"url"`
		Ref   string `json:"ref"`
		Title string `json:"title"`
		SW    int    `json:"sw"`
		SH    int    `json:"sh"`
		Lang  string `json:"lang"`
		TZ    string `json:"tz"`
	} `json:"events"`
}

// decodeCollect parses one serialised request as the server would and returns its
// event ids.
func decodeCollect(t *testing.T, raw []byte, wantEvents int) []string {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("request does not parse: %v\n%s", err, raw)
	}
	if req.Method != http.MethodPost || req.URL.Path != "/t/collect" {
		t.Errorf("request line %s %s, want POST /t/collect", req.Method, req.URL.Path)
	}
	for name, want := range map[string]string{"Content-Type": "text/plain", "Origin": "http://localhost"} {
		if got := req.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !strings.HasPrefix(req.UserAgent(), "Mozilla/5.0 (") {
		t.Errorf("User-Agent %q is not a browser's", req.UserAgent())
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	if rest := raw[len(raw)-len(body):]; !bytes.Equal(rest, body) || int64(len(body)) != req.ContentLength {
		t.Fatalf("Content-Length %d does not frame the %d-byte body exactly", req.ContentLength, len(body))
	}
	if len(body) > maxBody {
		t.Errorf("body is %d bytes, over 64 KB", len(body))
	}
	var b protocolBatch
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("body is not protocol JSON: %v\n%s", err, body)
	}
	if b.V != 1 || b.Site != "bench-site" || len(b.Events) != wantEvents {
		t.Fatalf("batch v=%d site=%q with %d events, want v=1 site=bench-site with %d", b.V, b.Site, len(b.Events), wantEvents)
	}
	var ids []string
	for i, ev := range b.Events {
		u, err := url.Parse(ev.URL)
		switch {
		case !eventIDPattern.MatchString(ev.ID):
			t.Errorf("events[%d].id %q", i, ev.ID)
		case ev.Type != "pageview":
			t.Errorf("events[%d].type %q", i, ev.Type)
		case ev.TS <= 0:
			t.Errorf("events[%d].ts %d", i, ev.TS)
		case !visitorIDPattern.MatchString(ev.VID) || !visitorIDPattern.MatchString(ev.SID):
			t.Errorf("events[%d] vid %q sid %q", i, ev.VID, ev.SID)
		case err != nil || u.Scheme != "http" || u.Hostname() != "localhost" || len(ev.URL) > 2048:
			t.Errorf("events[%d].url %q", i, ev.URL)
		case ev.Title == "" || ev.SW <= 0 || ev.SH <= 0 || ev.Lang == "" || ev.TZ == "":
			t.Errorf("events[%d] lacks title, screen, language or time zone", i)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

func TestRequestRing(t *testing.T) {
	tests := []struct {
		name   string
		events int
		conns  int
		tags   []string
	}{
		{"one event", 1, 2, []string{"01"}},
		{"ten events", 10, 3, []string{"02"}},
		{"the protocol's maximum of 50 events", 50, 1, []string{"03"}},
		{"steps of a run do not repeat ids", 10, 2, []string{"04", "05"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			withUTM := 0
			for _, tag := range tt.tags {
				for conn := range tt.conns {
					spec := requestSpec{Host: "127.0.0.1:8080", Events: tt.events, Run: "abc123", Tag: tag}
					ring, err := newRequestRing(spec, conn, 1)
					if err != nil {
						t.Fatal(err)
					}
					for range 3 * ringSize {
						raw := ring.Next()
						if bytes.Contains(raw, []byte("utm_source=")) {
							withUTM++
						}
						for _, id := range decodeCollect(t, raw, tt.events) {
							if seen[id] {
								t.Fatalf("id %s sent twice", id)
							}
							seen[id] = true
						}
					}
				}
			}
			if want := len(tt.tags) * tt.conns * 3 * ringSize * tt.events; len(seen) != want {
				t.Errorf("%d distinct ids, want %d", len(seen), want)
			}
			if withUTM == 0 {
				t.Error("no request carries campaign parameters")
			}
		})
	}
}

func TestRequestRingRejects(t *testing.T) {
	good := requestSpec{Host: "127.0.0.1:1", Events: 1, Run: "abc123", Tag: "01"}
	tests := []struct {
		name string
		edit func(*requestSpec)
		conn int
	}{
		{"no events", func(s *requestSpec) { s.Events = 0 }, 0},
		{"over 50 events", func(s *requestSpec) { s.Events = 51 }, 0},
		{"short run token", func(s *requestSpec) { s.Run = "abc" }, 0},
		{"upper-case tag", func(s *requestSpec) { s.Tag = "AB" }, 0},
		{"connection number too large", func(*requestSpec) {}, maxConns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := good
			tt.edit(&spec)
			if _, err := newRequestRing(spec, tt.conn, 1); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestSequenceIncrement(t *testing.T) {
	tests := []struct{ from, want string }{
		{"000000000000", "000000000001"},
		{"000000000009", "00000000000a"},
		{"00000000000z", "000000000010"},
		{"0000000zzzzz", "000000100000"},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			var r requestRing
			copy(r.seq[:], tt.from)
			r.increment()
			if got := string(r.seq[:]); got != tt.want {
				t.Errorf("after %s comes %s, want %s", tt.from, got, tt.want)
			}
		})
	}
}

func TestFixed36(t *testing.T) {
	for v, want := range map[uint64]string{0: "000", 35: "00z", 36: "010", maxConns - 1: "zzz"} {
		if got := fixed36(v, connLen); got != want {
			t.Errorf("fixed36(%d) = %s, want %s", v, got, want)
		}
	}
	if idLen < 20 || idLen > 64 {
		t.Errorf("ids are %d characters, want 20-64", idLen)
	}
}
