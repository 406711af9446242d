package csvimport

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/srgplatform/srg/app/errs"
)

// sniff skips a UTF-8 byte order mark, refuses bodies that are not text, and picks
// the delimiter from the first line.
func sniff(br *bufio.Reader, limits Limits) (rune, error) {
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
	}
	head, err := br.Peek(br.Size())
	if err != nil && err != io.EOF {
		if errors.Is(err, errTooLarge) {
			return 0, errs.Invalid("file", "the file is larger than %s: split it into several files", sizeString(limits.MaxBytes))
		}
		return 0, fmt.Errorf("csvimport: read: %w", err)
	}
	notCSV := func(what string) error {
		return errs.Invalid("file", "the file is %s, not a CSV file: export or save it as \"CSV UTF-8\"", what)
	}
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return 0, notCSV("a zip archive or Excel workbook")
	case bytes.HasPrefix(head, []byte("\xD0\xCF\x11\xE0")):
		return 0, notCSV("an Excel 97-2003 workbook")
	case bytes.HasPrefix(head, []byte("\xFF\xFE")), bytes.HasPrefix(head, []byte("\xFE\xFF")):
		return 0, notCSV("UTF-16 text")
	case bytes.IndexByte(head, 0) >= 0:
		return 0, notCSV("binary")
	}
	first := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		first = head[:i]
	}
	if err == nil && len(first) == len(head) {
		// A first line longer than the buffer may end inside a character.
		first = first[:max(0, len(first)-utf8.UTFMax)]
	}
	if !utf8.Valid(first) {
		return 0, notCSV("not UTF-8 text")
	}
	switch {
	case bytes.IndexByte(first, ',') >= 0:
		return ',', nil
	case bytes.IndexByte(first, ';') >= 0:
		return ';', nil
	case bytes.IndexByte(first, '\t') >= 0:
		return '\t', nil
	}
	return ',', nil
}

func sizeString(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

var errTooLarge = errors.New("csvimport: body larger than the limit")

// maxReader fails once more than left bytes are read, so a large body is refused
// without being read whole.
type maxReader struct {
	r    io.Reader
	left int64
}

func (m *maxReader) Read(b []byte) (int, error) {
	if m.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(b)) > m.left+1 {
		b = b[:m.left+1]
	}
	n, err := m.r.Read(b)
	m.left -= int64(n)
	if m.left < 0 {
		return n, errTooLarge
	}
	return n, err
}
