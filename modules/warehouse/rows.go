package warehouse

import (
	"slices"
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// anyRows collects rows as boxed values ([]any, Batch.Rows), what the Postgres
// target copies. The values a column repeats (channels, browsers, campaigns,
// models) are boxed once.
type anyRows struct {
	zero    []any
	row     []any
	interns []intern
	rows    [][]any
}

// intern holds the boxed values of a column. A column whose distinct values fill
// it and miss more often than they hit (ids, URLs) stops being looked up.
type intern struct {
	values       map[string]any
	hits, misses int
}

// internMax is how many distinct values of a column are kept boxed; a column with
// more (ids, URLs) is boxed value by value past that.
const internMax = 2048

func newAnyRows(columns []Column) *anyRows {
	r := &anyRows{zero: make([]any, len(columns)), row: make([]any, len(columns)), interns: make([]intern, len(columns))}
	for i, c := range columns {
		r.interns[i].values = map[string]any{}
		switch c.Type {
		case Bool:
			r.zero[i] = false
		case Float:
			r.zero[i] = 0.0
		}
	}
	return r
}

func (r *anyRows) reset()                    { copy(r.row, r.zero) }
func (r *anyRows) again()                    {}
func (r *anyRows) null(col int)              { r.row[col] = nil }
func (r *anyRows) int(col int, v int64)      { r.row[col] = v }
func (r *anyRows) float(col int, v float64)  { r.row[col] = v }
func (r *anyRows) bool(col int, v bool)      { r.row[col] = v }
func (r *anyRows) time(col int, t time.Time) { r.row[col] = t }
func (r *anyRows) emit()                     { r.rows = append(r.rows, slices.Clone(r.row)) }

// str sets the boxed string, interned while that pays.
func (r *anyRows) str(col int, b []byte) {
	in := &r.interns[col]
	full := len(in.values) >= internMax
	if full && in.misses > in.hits {
		r.row[col] = string(b)
		return
	}
	if s, ok := in.values[string(b)]; ok {
		in.hits++
		r.row[col] = s
		return
	}
	in.misses++
	var s any = string(b)
	if !full {
		in.values[string(b)] = s
	}
	r.row[col] = s
}

// len is how many rows were emitted since the last take.
func (r *anyRows) len() int { return len(r.rows) }

// take moves the rows emitted into b.
func (r *anyRows) take(b *Batch) {
	b.Rows, r.rows = r.rows, nil
}

// lastString is column col of the last row emitted, as a string.
func (r *anyRows) lastString(col int) string {
	s, _ := r.rows[len(r.rows)-1][col].(string)
	return s
}

// valueBatch is a batch's rows as Parquet values, column by column, in the
// dataset's column order (Batch.Values), what the file targets write: decoding
// straight into them boxes nothing and leaves parquet-go no rows to take apart.
// Values carry their definition level only (each column's values go to that
// column's writer); byte arrays point into arena or into immutable strings. Row
// i is cols[c][i] for i < n; the columns' slices run to their capacity.
type valueBatch struct {
	cols  [][]parquet.Value
	arena []byte
	n     int
}

// valuePool recycles value batches, their slices and arena, between the reader and
// the writer of a dataset.
type valuePool chan *valueBatch

func newValuePool() valuePool { return make(valuePool, 4) }

// get returns an empty batch of n columns.
func (p valuePool) get(n int) *valueBatch {
	select {
	case b := <-p:
		if len(b.cols) == n {
			b.reset()
			return b
		}
	default:
	}
	return &valueBatch{cols: make([][]parquet.Value, n)}
}

// put gives a batch back once it is written; p may be nil.
func (p valuePool) put(b *valueBatch) {
	select {
	case p <- b:
	default:
	}
}

func (b *valueBatch) reset() { b.arena, b.n = b.arena[:0], 0 }

// room makes row n exist in every column.
func (b *valueBatch) room() {
	if len(b.cols) > 0 && b.n < len(b.cols[0]) {
		return
	}
	for i, c := range b.cols {
		c = slices.Grow(c[:b.n], max(b.n, 256))
		b.cols[i] = c[:cap(c)]
	}
}

// Values of an optional column: definition level 1 is present, 0 null.
var nullValue = parquet.NullValue().Level(0, 0, 0)

func present(v parquet.Value) parquet.Value { return v.Level(0, 1, 0) }

// valueRows collects rows into value batches: a row is built in row (one place in
// memory) and stored into the batch's columns by emit.
type valueRows struct {
	columns []Column
	zero    []parquet.Value
	row     []parquet.Value
	pool    valuePool
	b       *valueBatch
}

func newValueRows(columns []Column, pool valuePool) *valueRows {
	r := &valueRows{columns: columns, zero: make([]parquet.Value, len(columns)), row: make([]parquet.Value, len(columns)), pool: pool}
	for i, c := range columns {
		switch c.Type {
		case Bool:
			r.zero[i] = present(parquet.BooleanValue(false))
		case Float:
			r.zero[i] = present(parquet.DoubleValue(0))
		default:
			r.zero[i] = nullValue
		}
	}
	r.b = pool.get(len(columns))
	return r
}

func (r *valueRows) reset() { copy(r.row, r.zero) }

// again starts a row as a copy of the last: row still holds it.
func (r *valueRows) again() {}

func (r *valueRows) set(col int, v parquet.Value) { r.row[col] = v }
func (r *valueRows) null(col int)                 { r.set(col, nullValue) }
func (r *valueRows) int(col int, v int64)         { r.set(col, present(parquet.Int64Value(v))) }
func (r *valueRows) float(col int, v float64)     { r.set(col, present(parquet.DoubleValue(v))) }
func (r *valueRows) bool(col int, v bool)         { r.set(col, present(parquet.BooleanValue(v))) }

func (r *valueRows) emit() {
	b := r.b
	b.room()
	for i, v := range r.row {
		b.cols[i][b.n] = v
	}
	b.n++
}

// str copies b into the batch's arena.
func (r *valueRows) str(col int, b []byte) {
	off := len(r.b.arena)
	r.b.arena = append(r.b.arena, b...)
	r.set(col, present(parquet.ByteArrayValue(r.b.arena[off:len(r.b.arena):len(r.b.arena)])))
}

// text sets an immutable string without copying it.
func (r *valueRows) text(col int, s string) {
	if s == "" {
		r.null(col)
		return
	}
	r.set(col, present(parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s)))))
}

// time sets a timestamp in microseconds, or a date in days.
func (r *valueRows) time(col int, t time.Time) {
	if r.columns[col].Type == Date {
		r.set(col, present(parquet.Int32Value(int32(t.Unix()/86400))))
		return
	}
	r.set(col, present(parquet.Int64Value(t.UnixMicro())))
}

func (r *valueRows) len() int { return r.b.n }

// take moves the rows emitted into b and starts a new batch.
func (r *valueRows) take(b *Batch) {
	b.Values, r.b = r.b, r.pool.get(len(r.columns))
}

func (r *valueRows) lastString(col int) string {
	v := r.b.cols[col][r.b.n-1]
	if v.IsNull() {
		return ""
	}
	return string(v.ByteArray())
}

// addAny emits a row of boxed values (Batch.Rows).
func (r *valueRows) addAny(row []any) {
	for i, v := range row {
		switch v := v.(type) {
		case nil:
			r.null(i)
		case string:
			r.text(i, v)
		case int64:
			r.int(i, v)
		case float64:
			r.float(i, v)
		case bool:
			r.bool(i, v)
		case time.Time:
			r.time(i, v)
		default:
			panic("warehouse: column " + r.columns[i].Name + ": unexpected value type")
		}
	}
	r.emit()
}

// batchRows is where a source's decoder puts rows: anyRows or valueRows, as the
// target takes them (scope.values).
type batchRows interface {
	rowSink
	len() int
	take(b *Batch)
	lastString(col int) string
}

// rowsFor returns the collector of a dataset's rows the scope's target takes.
func (s *scope) rowsFor(ds *Dataset) batchRows {
	if s.values != nil {
		return newValueRows(ds.Columns, s.values)
	}
	return newAnyRows(ds.Columns)
}
