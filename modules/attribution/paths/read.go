// Package paths reads and writes customer-journey path files in the format of the
// ChannelAttribution package (R and Python) and computes its path-level heuristic
// models. Paths are aggregated and their channels interned to small integers so that
// the data-driven models (packages markov and shapley) work on compact arrays.
package paths

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// DefaultSep is the channel separator used when Options.Sep is empty. It matches the
// paths ChannelAttribution's documentation shows ("A > B > C").
const DefaultSep = " > "

// Column names, as ChannelAttribution's examples and data sets spell them.
const (
	ColPath        = "path"
	ColConversions = "total_conversions"
	ColValue       = "total_conversion_value"
	ColNull        = "total_null"
)

// ErrEmpty is returned for a file with no header or no data rows.
var ErrEmpty = errors.New("paths: the file holds no paths")

// Options says how to read a path file.
type Options struct {
	// Sep separates channels in the path column. Like ChannelAttribution, spaces around
	// channel names are ignored, so " > " and ">" read the same files. Default DefaultSep.
	Sep string
}

// Path is one distinct sequence of channels with the totals of every row that had it.
type Path struct {
	// Touches holds the channel ids in order; they index Set.Channels.
	Touches []int32
	// Conversions, Value and Null are the summed total_conversions,
	// total_conversion_value and total_null of the rows with this path.
	Conversions, Value, Null float64
}

// Set is a whole path file: its channels, interned in order of first appearance, and its
// distinct paths, also in order of first appearance, so results are deterministic.
type Set struct {
	Channels []string
	Paths    []Path
	// HasValue and HasNull say whether the optional columns were present.
	HasValue, HasNull bool
	// Rows is the number of data rows read (before identical paths were merged).
	Rows int
}

// TotalConversions is the sum of conversions over all paths.
func (s *Set) TotalConversions() float64 {
	t := 0.0
	for i := range s.Paths {
		t += s.Paths[i].Conversions
	}
	return t
}

// TotalValue is the sum of conversion value over all paths.
func (s *Set) TotalValue() float64 {
	t := 0.0
	for i := range s.Paths {
		t += s.Paths[i].Value
	}
	return t
}

// RowError reports a malformed row with its line number in the file.
type RowError struct {
	Line   int
	Reason string
}

func (e *RowError) Error() string { return fmt.Sprintf("paths: line %d: %s", e.Line, e.Reason) }

// pathAcc is a path while reading: its touches live in the shared arena so that a
// million rows do not make a million small slices.
type pathAcc struct {
	off, n                   int32
	conversions, value, null float64
}

// Read parses a path file. Rows with the same path are merged; a malformed row stops
// reading with a *RowError naming its line.
func Read(r io.Reader, opts Options) (*Set, error) {
	sep := strings.TrimSpace(opts.Sep)
	if opts.Sep == "" {
		sep = strings.TrimSpace(DefaultSep)
	} else if sep == "" {
		sep = opts.Sep // a whitespace separator (tab, space) is used as given
	}
	lr := newLineReader(r)
	header, err := lr.read()
	if errors.Is(err, io.EOF) {
		return nil, ErrEmpty
	}
	if err != nil {
		return nil, fmt.Errorf("paths: header: %w", err)
	}
	names := make([]string, len(header))
	for i, h := range header {
		names[i] = string(h)
	}
	cols, err := columns(names)
	if err != nil {
		return nil, err
	}
	rd := reader{set: &Set{HasValue: cols.value >= 0, HasNull: cols.null >= 0}, sep: sep,
		channelID: map[string]int32{}, byIDs: map[string]int32{}, byText: map[string]int32{}}
	for {
		rec, err := lr.read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &RowError{Line: lr.line, Reason: err.Error()}
		}
		if len(rec) != len(header) {
			return nil, &RowError{Line: lr.line, Reason: fmt.Sprintf("%d columns, the header has %d", len(rec), len(header))}
		}
		if err := rd.row(rec, cols); err != nil {
			return nil, &RowError{Line: lr.line, Reason: err.Error()}
		}
	}
	if rd.set.Rows == 0 {
		return nil, ErrEmpty
	}
	set := rd.set
	set.Paths = make([]Path, len(rd.accs))
	for i, a := range rd.accs {
		set.Paths[i] = Path{Touches: rd.arena[a.off : a.off+a.n : a.off+a.n], Conversions: a.conversions, Value: a.value, Null: a.null}
	}
	return set, nil
}

// reader holds the state of one Read.
type reader struct {
	set       *Set
	sep       string
	channelID map[string]int32
	byIDs     map[string]int32 // channel ids, varint-encoded, to path index
	byText    map[string]int32 // the path column as written, to path index
	arena     []int32
	accs      []pathAcc
	key       []byte
	cur       []int32
}

func (rd *reader) row(rec [][]byte, cols columnIndex) error {
	rd.set.Rows++
	// Most rows repeat a path already seen, written the same way: one map lookup
	// finds it without splitting the path or looking up its channels.
	i, ok := rd.byText[string(rec[cols.path])]
	if !ok {
		var err error
		if i, err = rd.newText(string(rec[cols.path])); err != nil {
			return err
		}
	}
	var conv, value, null float64
	var err error
	if conv, err = number(rec[cols.conversions], ColConversions); err != nil {
		return err
	}
	if cols.value >= 0 {
		if value, err = number(rec[cols.value], ColValue); err != nil {
			return err
		}
	}
	if cols.null >= 0 {
		if null, err = number(rec[cols.null], ColNull); err != nil {
			return err
		}
	}
	a := &rd.accs[i]
	a.conversions += conv
	a.value += value
	a.null += null
	return nil
}

// newText splits a path written in a way not seen before and finds or adds its path.
func (rd *reader) newText(text string) (int32, error) {
	rd.cur = rd.cur[:0]
	rest := text
	for {
		name, tail, more := strings.Cut(rest, rd.sep)
		name = strings.TrimSpace(name)
		if name == "" {
			if len(rd.cur) == 0 && !more {
				return 0, errors.New("empty path")
			}
			return 0, fmt.Errorf("empty channel name in path %q", text)
		}
		id, ok := rd.channelID[name]
		if !ok {
			id = int32(len(rd.set.Channels))
			rd.set.Channels = append(rd.set.Channels, name)
			rd.channelID[name] = id
		}
		rd.cur = append(rd.cur, id)
		if !more {
			break
		}
		rest = tail
	}
	rd.key = rd.key[:0]
	for _, id := range rd.cur {
		rd.key = binary.AppendUvarint(rd.key, uint64(id))
	}
	i, ok := rd.byIDs[string(rd.key)]
	if !ok {
		i = int32(len(rd.accs))
		rd.byIDs[string(rd.key)] = i
		rd.accs = append(rd.accs, pathAcc{off: int32(len(rd.arena)), n: int32(len(rd.cur))})
		rd.arena = append(rd.arena, rd.cur...)
	}
	rd.byText[text] = i
	return i, nil
}

type columnIndex struct{ path, conversions, value, null int }

func columns(header []string) (columnIndex, error) {
	c := columnIndex{-1, -1, -1, -1}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		var p *int
		switch h {
		case ColPath:
			p = &c.path
		case ColConversions:
			p = &c.conversions
		case ColValue:
			p = &c.value
		case ColNull:
			p = &c.null
		default:
			continue
		}
		if *p >= 0 {
			return c, fmt.Errorf("paths: header: column %q appears twice", h)
		}
		*p = i
	}
	var missing []string
	if c.path < 0 {
		missing = append(missing, ColPath)
	}
	if c.conversions < 0 {
		missing = append(missing, ColConversions)
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("paths: header: missing column(s) %s (found %s)", strings.Join(missing, ", "), strings.Join(header, ","))
	}
	return c, nil
}

func number(field []byte, name string) (float64, error) {
	field = bytes.TrimSpace(field)
	// Counts are nearly always small integers: parse those without strconv's
	// allocation of a string per field.
	if n := len(field); n > 0 && n < 16 {
		v := 0
		for _, c := range field {
			if c < '0' || c > '9' {
				v = -1
				break
			}
			v = v*10 + int(c-'0')
		}
		if v >= 0 {
			return float64(v), nil
		}
	}
	s := string(field)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s: %q is not a number", name, s)
	}
	if f < 0 {
		return 0, fmt.Errorf("%s: %q is negative", name, s)
	}
	return f, nil
}
