package paths

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// lineReader splits CSV records (RFC 4180: quoted fields, doubled quotes, CRLF) without
// allocating per row: fields point into a buffer that the next call overwrites. It is
// several times faster than encoding/csv on million-row path files, which is what
// `srg attribute` spends most of its time on.
type lineReader struct {
	r      *bufio.Reader
	line   int    // physical line where the last record started
	next   int    // physical line where the next record starts
	buf    []byte // a line longer than the bufio buffer
	qbuf   []byte // unquoted fields of the current record
	fields [][]byte
	ends   []int
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 1<<20), next: 1}
}

var errBareQuote = errors.New(`a quote (") inside an unquoted field`)
var errOpenQuote = errors.New("a quoted field is not closed")

// read returns the next record's fields, io.EOF at the end, or a parse error for the
// record starting on l.line. Blank lines are skipped.
func (l *lineReader) read() ([][]byte, error) {
	for {
		l.line = l.next
		raw, err := l.physical()
		if err != nil && (err != io.EOF || len(raw) == 0) {
			return nil, err
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			if err == io.EOF {
				return nil, io.EOF
			}
			continue
		}
		if bytes.IndexByte(raw, '"') < 0 { // the common case: split in place
			l.fields = l.fields[:0]
			for {
				i := bytes.IndexByte(raw, ',')
				if i < 0 {
					l.fields = append(l.fields, raw)
					return l.fields, nil
				}
				l.fields = append(l.fields, raw[:i])
				raw = raw[i+1:]
			}
		}
		return l.quoted(raw)
	}
}

// physical reads one line without its line ending.
func (l *lineReader) physical() ([]byte, error) {
	line, err := l.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.buf = append(l.buf[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = l.r.ReadSlice('\n')
			l.buf = append(l.buf, line...)
		}
		line = l.buf
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(line) > 0 && line[len(line)-1] == '\n' {
		l.next++
		line = line[:len(line)-1]
	}
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, err
}

// quoted parses a record with quotes into l.buf, reading further lines while a quoted
// field is open.
func (l *lineReader) quoted(raw []byte) ([][]byte, error) {
	out := l.qbuf[:0]
	l.ends = l.ends[:0]
	for {
		// at the start of a field
		if len(raw) > 0 && raw[0] == '"' {
			raw = raw[1:]
			for {
				i := bytes.IndexByte(raw, '"')
				if i < 0 {
					out = append(out, raw...)
					out = append(out, '\n')
					next, err := l.physical()
					if err != nil && (err != io.EOF || len(next) == 0) {
						if err == io.EOF {
							return nil, errOpenQuote
						}
						return nil, err
					}
					raw = next
					continue
				}
				out = append(out, raw[:i]...)
				raw = raw[i+1:]
				if len(raw) > 0 && raw[0] == '"' {
					out = append(out, '"')
					raw = raw[1:]
					continue
				}
				break
			}
			if len(raw) > 0 && raw[0] != ',' {
				return nil, errBareQuote
			}
		} else {
			i := bytes.IndexByte(raw, ',')
			if i < 0 {
				i = len(raw)
			}
			if bytes.IndexByte(raw[:i], '"') >= 0 {
				return nil, errBareQuote
			}
			out = append(out, raw[:i]...)
			raw = raw[i:]
		}
		l.ends = append(l.ends, len(out))
		if len(raw) == 0 {
			break
		}
		raw = raw[1:] // the comma
	}
	l.qbuf = out
	l.fields = l.fields[:0]
	start := 0
	for _, e := range l.ends {
		l.fields = append(l.fields, out[start:e:e])
		start = e
	}
	return l.fields, nil
}
