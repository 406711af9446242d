package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// response is what the generator keeps of an HTTP/1.1 response.
type response struct {
	Status     int
	RetryAfter int  // seconds from Retry-After, or 0
	Close      bool // the server will close the connection
	BodyLen    int
	// Body holds the first bytes of the body (up to maxKeptBody); it aliases a
	// buffer reused by the next call.
	Body []byte
}

const maxKeptBody = 256

// responseReader parses responses from one keep-alive connection with as little work
// as the benchmark needs: the status line, three headers and a body of known length.
// Chunked bodies are refused (srg answers 204 with no body, or an error with
// Content-Length).
type responseReader struct {
	br   *bufio.Reader
	body [maxKeptBody]byte
}

func newResponseReader(r io.Reader) *responseReader {
	return &responseReader{br: bufio.NewReaderSize(r, 4096)}
}

var (
	errMalformed = errors.New("bench: malformed HTTP response")
	errChunked   = errors.New("bench: chunked response bodies are not supported")
)

// Read parses the next response and consumes its body.
func (rr *responseReader) Read() (response, error) {
	var res response
	line, err := rr.line()
	if err != nil {
		return res, err
	}
	// "HTTP/1.1 204 No Content"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return res, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	code, ok := atoi(line[9:12])
	if !ok || (len(line) > 12 && line[12] != ' ') {
		return res, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	res.Status = code
	res.Close = line[7] == '0' // HTTP/1.0 closes unless told otherwise
	contentLength := -1
	for range 100 {
		line, err := rr.line()
		if err != nil {
			return res, err
		}
		if len(line) == 0 {
			return rr.finish(res, contentLength)
		}
		name, value, found := bytes.Cut(line, []byte(":"))
		if !found {
			return res, fmt.Errorf("%w: header %q", errMalformed, line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, ok := atoi(value)
			if !ok {
				return res, fmt.Errorf("%w: Content-Length %q", errMalformed, value)
			}
			contentLength = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("identity")) {
				return res, errChunked
			}
		case bytes.EqualFold(name, []byte("Connection")):
			res.Close = bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte("Retry-After")):
			res.RetryAfter, _ = atoi(value)
		}
	}
	return res, fmt.Errorf("%w: too many header lines", errMalformed)
}

func (rr *responseReader) finish(res response, contentLength int) (response, error) {
	noBody := res.Status == 204 || res.Status == 304 || res.Status < 200
	switch {
	case noBody || contentLength == 0:
		return res, nil
	case contentLength < 0:
		// A body delimited by the end of the connection: not worth supporting.
		return res, fmt.Errorf("%w: status %d without Content-Length", errMalformed, res.Status)
	}
	res.BodyLen = contentLength
	kept := min(contentLength, maxKeptBody)
	if _, err := io.ReadFull(rr.br, rr.body[:kept]); err != nil {
		return res, unexpected(err)
	}
	res.Body = rr.body[:kept]
	if _, err := rr.br.Discard(contentLength - kept); err != nil {
		return res, unexpected(err)
	}
	return res, nil
}

// line returns the next line without its CRLF; it aliases the reader's buffer.
func (rr *responseReader) line() ([]byte, error) {
	line, err := rr.br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: line over %d bytes", errMalformed, rr.br.Size())
		}
		if len(line) > 0 {
			return nil, unexpected(err)
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// atoi parses a non-negative decimal number of at most 9 digits without allocating.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
