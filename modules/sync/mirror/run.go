package mirror

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// Run is one run of one connector: it implements connector.Run, committing each
// page with its stream's cursor in one transaction.
type Run struct {
	db          *gorm.DB
	tenantID    int64
	connectorID int64
	source      connector.Kind
	log         *slog.Logger

	before  map[string]string
	cursors map[string]string
	counts  Counts
}

// cursorRow is a row of sync_cursors.
type cursorRow struct {
	ConnectorID int64  `gorm:"column:connector_id"`
	Stream      string `gorm:"column:stream"`
	Cursor      string `gorm:"column:cursor"`
}

// Open starts a run for the connector, reading its stored cursors.
func Open(ctx context.Context, gdb *gorm.DB, tenantID, connectorID int64, source connector.Kind, log *slog.Logger) (*Run, error) {
	var rows []cursorRow
	if err := gdb.WithContext(ctx).Table("sync_cursors").Where("connector_id = ?", connectorID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("mirror: load cursors: %w", err)
	}
	r := &Run{db: gdb, tenantID: tenantID, connectorID: connectorID, source: source, log: log,
		before: map[string]string{}, cursors: map[string]string{}, counts: Counts{}}
	for _, c := range rows {
		r.before[c.Stream] = c.Cursor
		r.cursors[c.Stream] = c.Cursor
	}
	return r, nil
}

// Cursor is where the stream stopped; "" when it never ran.
func (r *Run) Cursor(stream string) string { return r.cursors[stream] }

// Log is the run's logger.
func (r *Run) Log() *slog.Logger { return r.log }

// Commit upserts the page and stores the stream's new cursor in one transaction,
// under the scope of the run's tenant: the connector's ctx is whatever its puller
// passes on.
func (r *Run) Commit(ctx context.Context, stream, cursor string, page connector.Page) error {
	if stream == "" {
		return errors.New("mirror: commit without a stream name")
	}
	var counts Counts
	err := r.db.WithContext(db.WithTenant(ctx, r.tenantID)).Transaction(func(tx *gorm.DB) error {
		var err error
		if counts, err = Apply(tx, r.tenantID, r.source, page); err != nil {
			return err
		}
		row := cursorRow{ConnectorID: r.connectorID, Stream: stream, Cursor: cursor}
		return tx.Table("sync_cursors").Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "connector_id"}, {Name: "stream"}},
			DoUpdates: clause.Assignments(map[string]any{"cursor": cursor, "updated_at": gorm.Expr("now()")}),
		}).Create(&row).Error
	})
	if err != nil {
		return fmt.Errorf("mirror: commit %s page: %w", stream, err)
	}
	r.cursors[stream] = cursor
	r.counts.Add(counts)
	return nil
}

// Counts is what the run wrote so far, by record type.
func (r *Run) Counts() Counts { return maps.Clone(r.counts) }

// CursorsBefore are the cursors the run started from.
func (r *Run) CursorsBefore() map[string]string { return maps.Clone(r.before) }

// Cursors are the cursors as of the last commit.
func (r *Run) Cursors() map[string]string { return maps.Clone(r.cursors) }
