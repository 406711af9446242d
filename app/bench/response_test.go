package bench

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func TestResponseReader(t *testing.T) {
	const errBody = `{"error":"unknown event type \"x\"","field":"events[3].type"}`
	long := strings.Repeat("x", 1000)
	tests := []struct {
		name    string
		stream  string
		want    []response // in order; Body compared as a string
		wantErr error      // after the expected responses
	}{
		{
			name:    "204 without a body",
			stream:  "HTTP/1.1 204 No Content\r\nVary: Origin\r\nAccess-Control-Allow-Origin: http://localhost\r\n\r\n",
			want:    []response{{Status: 204}},
			wantErr: io.EOF,
		},
		{
			name: "400 with a JSON body, then a 204 on the same connection",
			stream: "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(errBody)) + "\r\n\r\n" + errBody +
				"HTTP/1.1 204 No Content\r\n\r\n",
			want:    []response{{Status: 400, BodyLen: len(errBody), Body: []byte(errBody)}, {Status: 204}},
			wantErr: io.EOF,
		},
		{
			name:    "503 with Retry-After",
			stream:  "HTTP/1.1 503 Service Unavailable\r\nretry-after: 30\r\ncontent-length: 2\r\n\r\n{}",
			want:    []response{{Status: 503, RetryAfter: 30, BodyLen: 2, Body: []byte("{}")}},
			wantErr: io.EOF,
		},
		{
			name:    "long body is skipped, its start kept",
			stream:  "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 1000\r\n\r\n" + long + "HTTP/1.1 204 No Content\r\n\r\n",
			want:    []response{{Status: 413, BodyLen: 1000, Body: []byte(long[:maxKeptBody])}, {Status: 204}},
			wantErr: io.EOF,
		},
		{
			name:   "Connection: close",
			stream: "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
			want:   []response{{Status: 429, RetryAfter: 1, Close: true}},
		},
		{
			name:   "HTTP/1.0 closes",
			stream: "HTTP/1.0 204 No Content\r\n\r\n",
			want:   []response{{Status: 204, Close: true}},
		},
		{
			name:   "bare LF line ends",
			stream: "HTTP/1.1 204 No Content\n\n",
			want:   []response{{Status: 204}},
		},
		{name: "empty stream", stream: "", wantErr: io.EOF},
		{name: "cut in the status line", stream: "HTTP/1.1 20", wantErr: io.ErrUnexpectedEOF},
		{name: "cut in the headers", stream: "HTTP/1.1 204 No Content\r\nVary: Or", wantErr: io.ErrUnexpectedEOF},
		{name: "cut in the body", stream: "HTTP/1.1 400 Bad Request\r\nContent-Length: 10\r\n\r\n{\"e\"", wantErr: io.ErrUnexpectedEOF},
		{name: "chunked body", stream: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", wantErr: errChunked},
		{name: "no Content-Length", stream: "HTTP/1.1 200 OK\r\n\r\nhello", wantErr: errMalformed},
		{name: "bad status code", stream: "HTTP/1.1 2x4 No Content\r\n\r\n", wantErr: errMalformed},
		{name: "not HTTP", stream: "SSH-2.0-OpenSSH_9.6\r\n", wantErr: errMalformed},
		{name: "bad Content-Length", stream: "HTTP/1.1 400 Bad Request\r\nContent-Length: -1\r\n\r\n", wantErr: errMalformed},
		{name: "header without colon", stream: "HTTP/1.1 204 No Content\r\nbogus\r\n\r\n", wantErr: errMalformed},
	}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"halves":   iotest.HalfReader,
	}
	for _, tt := range tests {
		for rname, wrap := range readers {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				rr := newResponseReader(wrap(strings.NewReader(tt.stream)))
				for i, want := range tt.want {
					got, err := rr.Read()
					if err != nil {
						t.Fatalf("response %d: %v", i, err)
					}
					if got.Status != want.Status || got.RetryAfter != want.RetryAfter || got.Close != want.Close ||
						got.BodyLen != want.BodyLen || string(got.Body) != string(want.Body) {
						t.Errorf("response %d = %+v, want %+v", i, got, want)
					}
				}
				if tt.wantErr == nil {
					return
				}
				if _, err := rr.Read(); !errors.Is(err, tt.wantErr) {
					t.Errorf("then error %v, want %v", err, tt.wantErr)
				}
			})
		}
	}
}

func TestAtoi(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"204", 204, true}, {"123456789", 123456789, true},
		{"", 0, false}, {"1234567890", 0, false}, {"-1", 0, false}, {"1 2", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got, ok := atoi([]byte(tt.in)); got != tt.want || ok != tt.ok {
				t.Errorf("atoi(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
