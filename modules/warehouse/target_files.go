package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"slices"
	"time"

	"github.com/parquet-go/parquet-go"
)

// bucket is where Parquet files and manifests go: an S3-compatible bucket or a
// local directory. Keys are slash-separated and relative to the destination's root.
type bucket interface {
	// check verifies that the bucket exists and can be written.
	check(ctx context.Context) error
	// tempFile creates a file to write an object into before put.
	tempFile() (*os.File, error)
	// put stores the finished file at key (and removes the local file).
	put(ctx context.Context, key, file string) error
	// get returns the object at key, or nil when there is none.
	get(ctx context.Context, key string) ([]byte, error)
	remove(ctx context.Context, key string) error
}

// fileTarget writes each run as Parquet files partitioned by dataset and date,
// <dataset>/date=YYYY-MM-DD/run-<run>-<n>.parquet (the day the rows changed), with
// delete files beside them, and commits it by writing _manifests/run-<run>.json
// last. Files no manifest lists are not part of any export.
type fileTarget struct {
	b bucket
	// fileRows is the most rows one file holds.
	fileRows int64
	// groupRows is the most rows a row group holds (0: rowGroupRows).
	groupRows int
}

func (t *fileTarget) rowGroup() int {
	if t.groupRows > 0 {
		return t.groupRows
	}
	return rowGroupRows
}

func (t *fileTarget) Check(ctx context.Context) error { return t.b.check(ctx) }
func (t *fileTarget) Close() error                    { return nil }

func manifestKey(runID int64) string { return fmt.Sprintf("_manifests/run-%012d.json", runID) }

func (t *fileTarget) Confirmed(ctx context.Context, runID int64) (*Manifest, error) {
	raw, err := t.b.get(ctx, manifestKey(runID))
	if err != nil || raw == nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("manifest of run %d: %w", runID, err)
	}
	return &m, nil
}

func (t *fileTarget) Begin(ctx context.Context, run RunInfo) (Load, error) {
	return &fileLoad{t: t, run: run}, nil
}

type fileLoad struct {
	t   *fileTarget
	run RunInfo
	// keys are the files put so far, removed if the run aborts.
	keys []string
	// open are the writers' unfinished local files.
	open []*os.File
}

func (l *fileLoad) Open(ctx context.Context, ds *Dataset) (Writer, error) {
	w := &fileWriter{l: l, ds: ds, rows: newParquetSchema(ds.Name, ds.Columns, append(slices.Clone(ds.Key), ds.DeleteBy...))}
	if len(ds.DeleteBy) > 0 {
		w.deletes = newParquetSchema(ds.Name+"_deletes", ds.columnsOf(ds.DeleteBy), ds.DeleteBy)
	}
	return w, nil
}

func (l *fileLoad) Commit(ctx context.Context, m *Manifest) error {
	f, err := l.t.b.tempFile()
	if err != nil {
		return err
	}
	l.open = append(l.open, f)
	if _, err := f.Write(m.Encode()); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return l.t.b.put(ctx, manifestKey(m.RunID), f.Name())
}

func (l *fileLoad) Abort(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for _, f := range l.open {
		f.Close()
		os.Remove(f.Name())
	}
	for _, k := range l.keys {
		_ = l.t.b.remove(ctx, k)
	}
}

// parquetSchema is a dataset's Parquet schema (every column optional), where each
// of its columns sits among the schema's leaves, which parquet-go orders by name,
// and the options its files are written with.
type parquetSchema struct {
	schema  *parquet.Schema
	columns []Column
	leaf    []int
	options []parquet.WriterOption
	// boxed turns batches of boxed rows into values.
	boxed *valueRows
}

// dictionaryColumns are the text columns of few distinct values. Dictionary
// encoded, they make files a sixth smaller for the same CPU (Snappy has less to
// do); a column whose dictionary passes dictionaryMaxBytes in a row group goes on
// in plain encoding.
var dictionaryColumns = []string{"type", "site_key", "channel", "channel_rule", "utm_source", "utm_medium", "utm_campaign",
	"click_id_type", "browser", "browser_version", "os", "device_type", "country", "screen", "language", "timezone",
	"referrer_host", "model", "model_version", "settings_hash", "kind", "campaign", "source", "medium", "currency"}

const dictionaryMaxBytes = 1 << 20

// rowGroupRows is the most rows a row group holds; writeChunk the most rows written
// to a column at once, which bounds how far a page grows past the page buffer.
const (
	rowGroupRows = 128 * 1024
	writeChunk   = 1024
)

// newParquetSchema makes the schema of columns. Pages of text columns other than
// bounded get no min/max bounds or statistics: loaders prune on keys and times, not on URLs or
// titles, and comparing every value costs a tenth of the encoding.
func newParquetSchema(name string, columns []Column, bounded []string) *parquetSchema {
	g := parquet.Group{}
	for _, c := range columns {
		var n parquet.Node
		switch c.Type {
		case Int:
			n = parquet.Int(64)
		case Float:
			n = parquet.Leaf(parquet.DoubleType)
		case Bool:
			n = parquet.Leaf(parquet.BooleanType)
		case Timestamp:
			n = parquet.Timestamp(parquet.Microsecond)
		case Date:
			n = parquet.Date()
		default:
			n = parquet.String()
		}
		if c.Type == String && slices.Contains(dictionaryColumns, c.Name) {
			n = parquet.Encoded(n, &parquet.RLEDictionary)
		}
		g[c.Name] = parquet.Optional(n)
	}
	s := &parquetSchema{schema: parquet.NewSchema(name, g), columns: columns, leaf: make([]int, len(columns)),
		options: []parquet.WriterOption{parquet.Compression(&parquet.Snappy), parquet.DictionaryMaxBytes(dictionaryMaxBytes),
			parquet.CreatedBy("srg", "1", "")},
		boxed: newValueRows(columns, nil)}
	for i, c := range columns {
		lc, _ := s.schema.Lookup(c.Name)
		s.leaf[i] = lc.ColumnIndex
		if c.Type == String && !slices.Contains(bounded, c.Name) {
			s.options = append(s.options, parquet.SkipPageBounds(c.Name), parquet.SkipPageStatistics(c.Name))
		}
	}
	return s
}

// values converts boxed rows (in column order) into the schema's value batch,
// valid until the next call.
func (s *parquetSchema) values(rows [][]any) *valueBatch {
	s.boxed.b.reset()
	for _, r := range rows {
		s.boxed.reset()
		s.boxed.addAny(r)
	}
	return s.boxed.b
}

// parquetFile is a Parquet file being written locally before it is put.
type parquetFile struct {
	f    *os.File
	w    *parquet.GenericWriter[any]
	key  string
	date string
	rows int64
	// group is how many rows the current row group holds.
	group int
}

type fileWriter struct {
	l             *fileLoad
	ds            *Dataset
	rows, deletes *parquetSchema
	cur, del      *parquetFile
	seq           int
	written       Written
}

func (w *fileWriter) create(s *parquetSchema, date, kind string) (*parquetFile, error) {
	f, err := w.l.t.b.tempFile()
	if err != nil {
		return nil, err
	}
	w.l.open = append(w.l.open, f)
	w.seq++
	key := path.Join(w.ds.Name, "date="+date, fmt.Sprintf("run-%012d-%s%04d.parquet", w.l.run.ID, kind, w.seq))
	pw := parquet.NewGenericWriter[any](f, append([]parquet.WriterOption{s.schema}, s.options...)...)
	pw.SetKeyValueMetadata("srg.dataset", w.ds.Name)
	pw.SetKeyValueMetadata("srg.schema_version", fmt.Sprint(w.ds.Version))
	return &parquetFile{f: f, w: pw, key: key, date: date}, nil
}

// finish closes a file and puts it in the bucket.
func (w *fileWriter) finish(ctx context.Context, pf *parquetFile, deletes bool) error {
	if err := pf.w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", pf.key, err)
	}
	if err := pf.f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", pf.key, err)
	}
	st, err := os.Stat(pf.f.Name())
	if err != nil {
		return fmt.Errorf("write %s: %w", pf.key, err)
	}
	if err := w.l.t.b.put(ctx, pf.key, pf.f.Name()); err != nil {
		return err
	}
	w.l.keys = append(w.l.keys, pf.key)
	w.written.Bytes += st.Size()
	if deletes {
		w.written.DeleteFiles = append(w.written.DeleteFiles, pf.key)
	} else {
		w.written.Files = append(w.written.Files, pf.key)
	}
	return nil
}

// write writes rows [lo, hi) of vb, column by column: parquet-go writing rows
// would take each apart into its columns again.
func (w *fileWriter) write(pf *parquetFile, s *parquetSchema, vb *valueBatch, lo, hi int) error {
	for lo < hi {
		group := w.l.t.rowGroup()
		n := min(hi-lo, writeChunk, group-pf.group)
		columns := pf.w.ColumnWriters()
		for i, values := range vb.cols {
			if _, err := columns[s.leaf[i]].WriteRowValues(values[lo : lo+n]); err != nil {
				return fmt.Errorf("write %s: %w", pf.key, err)
			}
		}
		lo += n
		pf.rows += int64(n)
		if pf.group += n; pf.group == group {
			if err := pf.w.Flush(); err != nil {
				return fmt.Errorf("write %s: %w", pf.key, err)
			}
			pf.group = 0
		}
	}
	return nil
}

func partitionDate(m Mark, run RunInfo) string {
	if m.At.IsZero() {
		return run.StartedAt.UTC().Format(time.DateOnly)
	}
	return m.At.UTC().Format(time.DateOnly)
}

func (w *fileWriter) Write(ctx context.Context, b *Batch) error {
	if len(b.Deletes) > 0 {
		if w.del == nil {
			var err error
			if w.del, err = w.create(w.deletes, partitionDate(Mark{}, w.l.run), "deletes-"); err != nil {
				return err
			}
		}
		if err := w.write(w.del, w.deletes, w.deletes.values(b.Deletes), 0, len(b.Deletes)); err != nil {
			return err
		}
		w.written.Deletes += int64(len(b.Deletes))
	}
	total := b.len()
	if total == 0 {
		return nil
	}
	vb := b.Values
	if vb == nil {
		vb = w.rows.values(b.Rows)
	}
	date := partitionDate(b.Mark, w.l.run)
	for lo := 0; lo < total; {
		if w.cur != nil && (w.cur.date != date || w.cur.rows >= w.l.t.fileRows) {
			if err := w.finish(ctx, w.cur, false); err != nil {
				return err
			}
			w.cur = nil
		}
		if w.cur == nil {
			var err error
			if w.cur, err = w.create(w.rows, date, ""); err != nil {
				return err
			}
		}
		n := int(min(int64(total-lo), w.l.t.fileRows-w.cur.rows))
		if err := w.write(w.cur, w.rows, vb, lo, lo+n); err != nil {
			return err
		}
		w.written.Rows += int64(n)
		lo += n
	}
	return nil
}

func (w *fileWriter) Close(ctx context.Context) (Written, error) {
	for _, f := range []struct {
		pf      *parquetFile
		deletes bool
	}{{w.cur, false}, {w.del, true}} {
		if f.pf != nil {
			if err := w.finish(ctx, f.pf, f.deletes); err != nil {
				return w.written, err
			}
		}
	}
	w.cur, w.del = nil, nil
	return w.written, nil
}
