// Package csvimport reads CRM records from a CSV file, for teams whose CRM has no
// connector: contacts, accounts or opportunities, one kind per file, validated row by
// row into a connector.Page.
//
// The caller commits the page (under source connector.CSV, in one transaction) only
// when Result.Errors is empty, so a file is imported whole or not at all. Importing is
// an upsert by id: a record missing from a later file is not deleted, and a record in
// it is replaced whole (a column left out of the file empties that field).
//
// The whole file becomes one Page in memory by design, so that it can be refused
// whole: the page holds about the file's size in values plus some 200 to 250 bytes
// per row in records (under three times the size of a typical 200,000-row file), and
// parsing allocates about twice that in all.
package csvimport

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// Kind is what a file holds.
type Kind string

// The kinds of file that can be imported.
const (
	Contacts      Kind = "contacts"
	Accounts      Kind = "accounts"
	Opportunities Kind = "opportunities"
)

// ParseKind reads a kind given by a user, naming the valid ones when it is not one.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := specFor(k); !ok {
		return "", errs.Invalid("kind", "unknown import kind %q: use contacts, accounts or opportunities", s)
	}
	return k, nil
}

// Columns returns the columns a kind understands, in the order of a template file.
func Columns(k Kind) []Column {
	s, _ := specFor(k)
	return append([]Column(nil), s.columns...)
}

// Limits bound what Parse accepts; a zero field takes its default.
type Limits struct {
	// MaxBytes is the largest file, 50 MB by default.
	MaxBytes int64
	// MaxRows is the most data rows, 200,000 by default.
	MaxRows int
	// MaxErrors stops checking a file after that many problems, 100 by default: past
	// that the user has a systematic problem to fix, not a list to read.
	MaxErrors int
}

// DefaultLimits are the limits a zero Limits stands for.
var DefaultLimits = Limits{MaxBytes: 50 << 20, MaxRows: 200_000, MaxErrors: 100}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultLimits.MaxRows
	}
	if l.MaxErrors <= 0 {
		l.MaxErrors = DefaultLimits.MaxErrors
	}
	return l
}

// RowError is one problem the user fixes in the file.
type RowError struct {
	// Line is the line number in the file, the header being line 1; a value spanning
	// lines (quoted, with line breaks) is reported at its first line.
	Line int
	// Column is the header as written in the file, or the canonical name of a
	// missing column; empty when the problem is the line as a whole.
	Column  string
	Message string
}

func (e RowError) String() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Message)
}

// Result is what Parse read.
type Result struct {
	// Page holds one record per data row; it is empty whenever Errors is not.
	Page connector.Page
	// Errors lists the problems found, in file order, at most Limits.MaxErrors of them.
	Errors []RowError
	// Truncated says checking stopped at Limits.MaxErrors problems.
	Truncated bool
	// Ignored lists the headers, as written, of columns the kind does not use.
	Ignored []string
	// Rows counts the data rows read; blank lines and rows of empty values are skipped
	// and not counted.
	Rows int
}

// Parse reads a CSV file of the given kind. The first line must name the columns
// (matched case-insensitively, with aliases; see Columns); the delimiter is ',' unless
// the header has none and has ';' (or else a tab); a UTF-8 byte order mark is skipped.
//
// Parse returns an error, an errs.Invalid one with a message for the user, when the
// body as a whole cannot be taken: it is empty, not UTF-8 text (a spreadsheet, UTF-16),
// larger than limits.MaxBytes or longer than limits.MaxRows rows; and a wrapped error
// when reading r fails. Everything the user fixes at a given line, the header
// included, is a RowError in the Result instead.
func Parse(kind Kind, r io.Reader, limits Limits) (Result, error) {
	sp, ok := specFor(kind)
	if !ok {
		return Result{}, errs.Invalid("kind", "unknown import kind %q: use contacts, accounts or opportunities", kind)
	}
	limits = limits.withDefaults()
	br := bufio.NewReaderSize(&maxReader{r: r, left: limits.MaxBytes}, 64<<10)
	delim, err := sniff(br, limits)
	if err != nil {
		return Result{}, err
	}
	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	p := parser{spec: sp, limits: limits, cr: cr}
	if err := p.readHeader(); err != nil {
		return Result{}, err
	}
	if len(p.res.Errors) == 0 {
		if err := p.readRows(); err != nil {
			return Result{}, err
		}
	}
	if len(p.res.Errors) == 0 {
		p.res.Page = connector.Page{
			Accounts:      p.out.accounts.join(),
			Contacts:      p.out.contacts.join(),
			Opportunities: p.out.opps.join(),
		}
	}
	return p.res, nil
}

type parser struct {
	spec   spec
	limits Limits
	cr     *csv.Reader
	hdr    header
	// firstLine remembers the line of each id, to point duplicates at the original.
	firstLine map[string]int
	rec       record
	out       piles
	res       Result
}

// addError records a problem and reports whether checking must stop.
func (p *parser) addError(line int, column, msg string) bool {
	if len(p.res.Errors) >= p.limits.MaxErrors {
		p.res.Truncated = true
		return true
	}
	p.res.Errors = append(p.res.Errors, RowError{Line: line, Column: column, Message: msg})
	// The page will not be used: stop holding it.
	p.out = piles{}
	return false
}

func (p *parser) readHeader() error {
	fields, err := p.cr.Read()
	switch {
	case err == io.EOF:
		return errs.Invalid("file", "the file is empty: its first line must name the columns, e.g. %s", p.spec.example)
	case err != nil:
		if ferr := p.fileError(err); ferr != nil {
			return ferr
		}
		p.addError(startLine(err), "", parseMessage(err))
		return nil
	}
	// Blank lines before the header are skipped, so it is not always line 1.
	line, _ := p.cr.FieldPos(0)
	p.hdr = header{cols: make([]*Column, len(fields)), names: make([]string, len(fields))}
	seen := map[string]string{}
	known := 0
	for i, f := range fields {
		name := strings.TrimSpace(f)
		p.hdr.names[i] = name
		if name == "" {
			continue
		}
		col := p.lookup(normaliseHeader(name))
		if col == nil {
			if !contains(p.res.Ignored, name) {
				p.res.Ignored = append(p.res.Ignored, name)
			}
			continue
		}
		known++
		if first, dup := seen[col.Name]; dup {
			p.addError(line, name, fmt.Sprintf("%q and %q are both the %s column: keep one", first, name, col.Name))
			continue
		}
		seen[col.Name] = name
		p.hdr.cols[i] = col
	}
	if known == 0 {
		p.res.Errors = []RowError{{Line: line, Message: "the first line names no known column: it must be a header such as " + p.spec.example}}
		return nil
	}
	for i := range p.spec.columns {
		c := &p.spec.columns[i]
		if _, ok := seen[c.Name]; c.Required && !ok {
			p.addError(line, c.Name, "required column is missing")
		}
	}
	return nil
}

func (p *parser) lookup(norm string) *Column {
	for i := range p.spec.columns {
		c := &p.spec.columns[i]
		if c.Name == norm || contains(c.Aliases, norm) {
			return c
		}
	}
	return nil
}

func (p *parser) readRows() error {
	p.firstLine = map[string]int{}
	for {
		fields, err := p.cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if ferr := p.fileError(err); ferr != nil {
				return ferr
			}
		}
		if err == nil && blank(fields) {
			continue
		}
		p.res.Rows++
		if p.res.Rows > p.limits.MaxRows {
			return errs.Invalid("file", "the file has more than %d rows: split it into several files", p.limits.MaxRows)
		}
		var stop bool
		if err != nil {
			stop = p.addError(startLine(err), "", parseMessage(err))
		} else {
			stop = p.row(fields)
		}
		if stop {
			return nil
		}
	}
}

// row checks one data row and adds its record to the page; it reports whether
// checking must stop.
func (p *parser) row(fields []string) bool {
	line, _ := p.cr.FieldPos(0)
	if len(fields) < len(p.hdr.cols) || (len(fields) > len(p.hdr.cols) && !blank(fields[len(p.hdr.cols):])) {
		return p.addError(line, "", fmt.Sprintf("the line has %d values but the header has %d columns", len(fields), len(p.hdr.cols)))
	}
	// One record is reused: the set closures make it escape, and a fresh one per row
	// would double what parsing allocates.
	p.rec = record{}
	rec := &p.rec
	bad := false
	for i, col := range p.hdr.cols {
		if col == nil {
			continue
		}
		v := strings.TrimSpace(fields[i])
		if v == "" {
			if col.Required {
				bad = true
				if p.addError(line, p.hdr.names[i], "a value is required") {
					return true
				}
			}
			continue
		}
		fl, _ := p.cr.FieldPos(i)
		var msg string
		switch {
		case !utf8.ValidString(v):
			msg = "not valid UTF-8 text: save the file as \"CSV UTF-8\""
		case strings.IndexByte(v, 0) >= 0:
			msg = "contains a NUL character"
		default:
			msg = col.set(rec, v)
		}
		if msg != "" {
			bad = true
			if p.addError(fl, p.hdr.names[i], msg) {
				return true
			}
		}
	}
	if id := p.recordID(rec); id != "" {
		if first, dup := p.firstLine[id]; dup {
			bad = true
			if p.addError(line, p.hdr.names[p.idIndex()], fmt.Sprintf("duplicate id %q (first on line %d)", id, first)) {
				return true
			}
		} else {
			p.firstLine[id] = line
		}
	}
	if bad || len(p.res.Errors) > 0 {
		// Keep checking for the user's sake, but build no page that will be thrown away.
		return false
	}
	if column, msg := p.spec.finish(rec, &p.out); msg != "" {
		return p.addError(line, p.headerOf(column), msg)
	}
	return false
}

func (p *parser) recordID(rec *record) string {
	switch {
	case rec.contact.ExternalID != "":
		return rec.contact.ExternalID
	case rec.account.ExternalID != "":
		return rec.account.ExternalID
	}
	return rec.opp.ExternalID
}

func (p *parser) idIndex() int {
	for i, c := range p.hdr.cols {
		if c != nil && c.Name == "id" {
			return i
		}
	}
	return 0
}

// headerOf names a spec column as the file does.
func (p *parser) headerOf(column string) string {
	for i, c := range p.hdr.cols {
		if c != nil && c.Name == column {
			return p.hdr.names[i]
		}
	}
	return column
}

// fileError turns read failures into Parse's error, or returns nil for a CSV syntax
// error the user fixes at a line.
func (p *parser) fileError(err error) error {
	var pe *csv.ParseError
	switch {
	case errors.Is(err, errTooLarge):
		return errs.Invalid("file", "the file is larger than %s: split it into several files", sizeString(p.limits.MaxBytes))
	case errors.As(err, &pe) && (errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote)):
		return nil
	}
	return fmt.Errorf("csvimport: read: %w", err)
}

func startLine(err error) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.StartLine
	}
	return 0
}

func parseMessage(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrBareQuote) {
		return `a " appears inside a value that is not quoted: quote the whole value and double each " inside it`
	}
	return `a quoted value is not closed, or text follows its closing "`
}

func blank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
