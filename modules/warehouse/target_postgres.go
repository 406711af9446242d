package warehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgTarget exports into a PostgreSQL-compatible database: one table per dataset in
// the configured schema, created and given new columns automatically, and a
// _srg_runs table holding each committed run's manifest. A run is one transaction.
// Rows are copied straight into the table while none of them is already there (a
// first export, new touchpoints, credits whose old set was just deleted); once a
// copy meets a key that is, the writer stages its rows in a temporary table and
// upserts them from there with INSERT ... ON CONFLICT DO UPDATE.
type pgTarget struct {
	url    string
	schema string
	// flushRows is how many rows a writer stages before upserting them.
	flushRows int
}

func (t *pgTarget) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, t.url)
	if err != nil {
		return nil, fmt.Errorf("postgres destination: connect: %s", pgMessage(err))
	}
	return conn, nil
}

// pgMessage is a database error without the connection string.
func pgMessage(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Severity + ": " + pe.Message + " (SQLSTATE " + pe.Code + ")"
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return ce.Unwrap().Error()
	}
	return err.Error()
}

func (t *pgTarget) Check(ctx context.Context) error {
	conn, err := t.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := t.ensureRuns(ctx, conn); err != nil {
		return err
	}
	return nil
}

func (t *pgTarget) Close() error { return nil }

func (t *pgTarget) table(name string) string {
	return pgx.Identifier{t.schema, name}.Sanitize()
}

func (t *pgTarget) ensureRuns(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{t.schema}.Sanitize()+`;
		CREATE TABLE IF NOT EXISTS `+t.table("_srg_runs")+` (
			run_id bigint PRIMARY KEY, tenant text NOT NULL, manifest jsonb NOT NULL,
			committed_at timestamptz NOT NULL DEFAULT now())`)
	if err != nil {
		return fmt.Errorf("postgres destination: create schema %s: %s", t.schema, pgMessage(err))
	}
	return nil
}

func (t *pgTarget) Confirmed(ctx context.Context, runID int64) (*Manifest, error) {
	conn, err := t.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var raw []byte
	err = conn.QueryRow(ctx, `SELECT manifest FROM `+t.table("_srg_runs")+` WHERE run_id = $1`, runID).Scan(&raw)
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows), errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "3F000"):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("postgres destination: read run %d: %s", runID, pgMessage(err))
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("postgres destination: run %d manifest: %w", runID, err)
	}
	return &m, nil
}

func (t *pgTarget) Begin(ctx context.Context, run RunInfo) (Load, error) {
	conn, err := t.connect(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.ensureRuns(ctx, conn); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("postgres destination: begin: %s", pgMessage(err))
	}
	// The run's only joins are its deletes (the delete batch against the table, by
	// an indexed column). Tables made or grown in this transaction have no planner
	// statistics, and without them the planner reads the whole table for every
	// batch; a nested loop over the index is what the deletes need.
	if _, err := tx.Exec(ctx, `SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off`); err != nil {
		_ = tx.Rollback(ctx)
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("postgres destination: %s", pgMessage(err))
	}
	return &pgLoad{t: t, conn: conn, tx: tx, run: run}, nil
}

type pgLoad struct {
	t    *pgTarget
	conn *pgx.Conn
	tx   pgx.Tx
	run  RunInfo
}

func pgType(t Type) string {
	switch t {
	case Int:
		return "bigint"
	case Float:
		return "double precision"
	case Bool:
		return "boolean"
	case Timestamp:
		return "timestamptz"
	case Date:
		return "date"
	}
	return "text"
}

// Open creates the dataset's table, adds the columns it lacks (a dataset's new
// version), and a staging table for the run.
func (l *pgLoad) Open(ctx context.Context, ds *Dataset) (Writer, error) {
	table := l.t.table(ds.Name)
	defs := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		defs[i] = pgx.Identifier{c.Name}.Sanitize() + " " + pgType(c.Type)
	}
	sql := `CREATE TABLE IF NOT EXISTS ` + table + ` (` + strings.Join(defs, ", ") + `, PRIMARY KEY (` + idents(ds.Key) + `))`
	if _, err := l.tx.Exec(ctx, sql); err != nil {
		return nil, fmt.Errorf("postgres destination: create table %s: %s", ds.Name, pgMessage(err))
	}
	rows, err := l.tx.Query(ctx, `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`, l.t.schema, ds.Name)
	if err != nil {
		return nil, fmt.Errorf("postgres destination: columns of %s: %s", ds.Name, pgMessage(err))
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres destination: columns of %s: %s", ds.Name, pgMessage(err))
	}
	for i, c := range ds.Columns {
		if !slices.Contains(have, c.Name) {
			if _, err := l.tx.Exec(ctx, `ALTER TABLE `+table+` ADD COLUMN `+defs[i]); err != nil {
				return nil, fmt.Errorf("postgres destination: add column %s.%s: %s", ds.Name, c.Name, pgMessage(err))
			}
		}
	}
	stage := "_srg_stage_" + ds.Name
	names := columnNames(ds.Columns)
	if _, err := l.tx.Exec(ctx, `CREATE TEMP TABLE `+stage+` ON COMMIT DROP AS SELECT `+idents(names)+` FROM `+table+` WITH NO DATA`); err != nil {
		return nil, fmt.Errorf("postgres destination: staging table %s: %s", ds.Name, pgMessage(err))
	}
	w := &pgWriter{l: l, ds: ds, table: table, stage: stage, names: names, key: ds.index(ds.Key), direct: true}
	if ds.Replace {
		if _, err := l.tx.Exec(ctx, `DELETE FROM `+table); err != nil {
			return nil, fmt.Errorf("postgres destination: clear %s: %s", ds.Name, pgMessage(err))
		}
	}
	if len(ds.DeleteBy) > 0 && !slices.Equal(ds.DeleteBy, ds.Key[:min(len(ds.Key), len(ds.DeleteBy))]) {
		// Deletes match rows by these columns: without an index each batch's
		// deletes would read the whole table.
		index := pgx.Identifier{ds.Name + "_srg_delete_by"}.Sanitize()
		if _, err := l.tx.Exec(ctx, `CREATE INDEX IF NOT EXISTS `+index+` ON `+table+` (`+idents(ds.DeleteBy)+`)`); err != nil {
			return nil, fmt.Errorf("postgres destination: index %s: %s", ds.Name, pgMessage(err))
		}
	}
	if len(ds.DeleteBy) > 0 {
		w.deletes = "_srg_delete_" + ds.Name
		if _, err := l.tx.Exec(ctx, `CREATE TEMP TABLE `+w.deletes+` ON COMMIT DROP AS SELECT `+idents(ds.DeleteBy)+` FROM `+table+` WITH NO DATA`); err != nil {
			return nil, fmt.Errorf("postgres destination: staging table %s: %s", ds.Name, pgMessage(err))
		}
	}
	sets := make([]string, 0, len(names))
	for _, n := range names {
		if !slices.Contains(ds.Key, n) {
			sets = append(sets, pgx.Identifier{n}.Sanitize()+" = EXCLUDED."+pgx.Identifier{n}.Sanitize())
		}
	}
	w.upsert = `INSERT INTO ` + table + ` (` + idents(names) + `) SELECT ` + idents(names) + ` FROM ` + stage +
		` ON CONFLICT (` + idents(ds.Key) + `) DO UPDATE SET ` + strings.Join(sets, ", ")
	return w, nil
}

func (l *pgLoad) Commit(ctx context.Context, m *Manifest) error {
	defer l.conn.Close(context.WithoutCancel(ctx))
	if _, err := l.tx.Exec(ctx, `INSERT INTO `+l.t.table("_srg_runs")+` (run_id, tenant, manifest) VALUES ($1, $2, $3)`,
		m.RunID, m.Tenant, m.Encode()); err != nil {
		return fmt.Errorf("postgres destination: record run: %s", pgMessage(err))
	}
	if err := l.tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres destination: commit: %s", pgMessage(err))
	}
	return nil
}

func (l *pgLoad) Abort(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	_ = l.tx.Rollback(ctx)
	l.conn.Close(ctx)
}

type pgWriter struct {
	l                     *pgLoad
	ds                    *Dataset
	table, stage, deletes string
	names                 []string
	key                   []int
	upsert                string
	// direct is true while rows are copied straight into the table.
	direct  bool
	pending [][]any
	written Written
}

// Write applies the batch's deletes, after upserting the rows staged before them,
// and stages its rows; rows are upserted flushRows at a time.
func (w *pgWriter) Write(ctx context.Context, b *Batch) error {
	if len(b.Deletes) > 0 {
		if err := w.flush(ctx); err != nil {
			return err
		}
		if _, err := w.l.tx.CopyFrom(ctx, pgx.Identifier{w.deletes}, w.ds.DeleteBy, pgx.CopyFromRows(b.Deletes)); err != nil {
			return fmt.Errorf("postgres destination: stage deletes of %s: %s", w.ds.Name, pgMessage(err))
		}
		match := make([]string, len(w.ds.DeleteBy))
		for i, c := range w.ds.DeleteBy {
			id := pgx.Identifier{c}.Sanitize()
			match[i] = "t." + id + " = d." + id
		}
		tag, err := w.l.tx.Exec(ctx, `DELETE FROM `+w.table+` t USING `+w.deletes+` d WHERE `+strings.Join(match, " AND "))
		if err != nil {
			return fmt.Errorf("postgres destination: delete from %s: %s", w.ds.Name, pgMessage(err))
		}
		w.written.Deletes += tag.RowsAffected()
		if _, err := w.l.tx.Exec(ctx, `TRUNCATE `+w.deletes); err != nil {
			return fmt.Errorf("postgres destination: %s", pgMessage(err))
		}
	}
	w.pending = append(w.pending, b.Rows...)
	if len(w.pending) >= w.l.t.flushRows {
		return w.flush(ctx)
	}
	return nil
}

// flush upserts the staged rows; of rows with the same key, the last wins (ON
// CONFLICT cannot update a row twice in one statement).
func (w *pgWriter) flush(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	rows := lastPerKey(w.pending, w.key)
	defer func() {
		clear(w.pending)
		w.pending = w.pending[:0]
	}()
	if w.direct {
		inserted, err := w.insert(ctx, rows)
		if err != nil {
			return err
		}
		if inserted {
			w.written.Rows += int64(len(rows))
			return nil
		}
		w.direct = false
	}
	if _, err := w.l.tx.CopyFrom(ctx, pgx.Identifier{w.stage}, w.names, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("postgres destination: copy %s: %s", w.ds.Name, pgMessage(err))
	}
	if _, err := w.l.tx.Exec(ctx, w.upsert); err != nil {
		return fmt.Errorf("postgres destination: upsert %s: %s", w.ds.Name, pgMessage(err))
	}
	if _, err := w.l.tx.Exec(ctx, `TRUNCATE `+w.stage); err != nil {
		return fmt.Errorf("postgres destination: %s", pgMessage(err))
	}
	w.written.Rows += int64(len(rows))
	return nil
}

// uniqueViolation is the SQLSTATE of a duplicate key.
const uniqueViolation = "23505"

// insert copies rows straight into the table inside a savepoint, and reports
// false, having rolled back to it, when one of their keys is already there. The
// upsert stages every row twice; this writes it once.
func (w *pgWriter) insert(ctx context.Context, rows [][]any) (bool, error) {
	sp, err := w.l.tx.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres destination: savepoint: %s", pgMessage(err))
	}
	_, err = sp.CopyFrom(ctx, pgx.Identifier{w.l.t.schema, w.ds.Name}, w.names, pgx.CopyFromRows(rows))
	if err == nil {
		if err := sp.Commit(ctx); err != nil {
			return false, fmt.Errorf("postgres destination: release savepoint: %s", pgMessage(err))
		}
		return true, nil
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != uniqueViolation {
		_ = sp.Rollback(ctx)
		return false, fmt.Errorf("postgres destination: copy %s: %s", w.ds.Name, pgMessage(err))
	}
	if err := sp.Rollback(ctx); err != nil {
		return false, fmt.Errorf("postgres destination: roll back to savepoint: %s", pgMessage(err))
	}
	return false, nil
}

func (w *pgWriter) Close(ctx context.Context) (Written, error) {
	if err := w.flush(ctx); err != nil {
		return w.written, err
	}
	return w.written, nil
}

// lastPerKey drops every row that a later row with the same key replaces.
func lastPerKey(rows [][]any, key []int) [][]any {
	seen := make(map[string]struct{}, len(rows))
	keep := make([]bool, len(rows))
	var buf []byte
	dups := 0
	for i := len(rows) - 1; i >= 0; i-- {
		buf = keyOf(buf[:0], rows[i], key)
		if _, dup := seen[string(buf)]; dup {
			dups++
			continue
		}
		seen[string(buf)] = struct{}{}
		keep[i] = true
	}
	if dups == 0 {
		return rows
	}
	out := make([][]any, 0, len(rows)-dups)
	for i, r := range rows {
		if keep[i] {
			out = append(out, r)
		}
	}
	return out
}

// keyOf appends a row's key values to b, each ended by a zero byte.
func keyOf(b []byte, row []any, key []int) []byte {
	for _, k := range key {
		switch v := row[k].(type) {
		case string:
			b = append(b, v...)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case time.Time:
			b = strconv.AppendInt(b, v.UnixNano(), 10)
		default:
			b = fmt.Append(b, v)
		}
		b = append(b, 0)
	}
	return b
}

func idents(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = pgx.Identifier{n}.Sanitize()
	}
	return strings.Join(q, ", ")
}

func columnNames(cs []Column) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}
