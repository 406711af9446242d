package warehouse

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
)

// Destination is a tenant's export destination. Its credentials are never loaded
// here.
type Destination struct {
	ID       int64  `json:"id"`
	TenantID int64  `json:"-"`
	Tenant   string `json:"-" gorm:"column:tenant_slug"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	// Settings are the non-secret settings: the schema, bucket, directory...
	Settings  json.RawMessage `json:"settings" gorm:"type:jsonb"`
	Datasets  db.StringArray  `json:"datasets" gorm:"type:text[]"`
	Schedule  string          `json:"schedule"`
	PII       string          `json:"pii"`
	Enabled   bool            `json:"enabled"`
	Status    string          `json:"status"`
	LastError string          `json:"last_error"`
	NextRunAt time.Time       `json:"next_run_at"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Run is one logged export run.
type Run struct {
	ID            int64            `json:"id"`
	DestinationID int64            `json:"destination_id"`
	Trigger       string           `json:"trigger"`
	Status        string           `json:"status"`
	BackfillFrom  *time.Time       `json:"backfill_from,omitempty"`
	StartedAt     time.Time        `json:"started_at"`
	FinishedAt    *time.Time       `json:"finished_at"`
	Rows          map[string]int64 `json:"rows" gorm:"serializer:json"`
	Bytes         int64            `json:"bytes"`
	MarksBefore   map[string]Mark  `json:"marks_before" gorm:"serializer:json"`
	MarksAfter    map[string]Mark  `json:"marks_after" gorm:"serializer:json"`
	Error         string           `json:"error"`
}

// Run statuses. A run found still running by the next run of its destination was
// interrupted (the process died): "recovered" when the destination had committed it
// (its watermarks are then taken from its manifest), "interrupted" otherwise.
const (
	RunRunning     = "running"
	RunOK          = "ok"
	RunError       = "error"
	RunRecovered   = "recovered"
	RunInterrupted = "interrupted"
)

// Run triggers.
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
	TriggerBackfill = "backfill"
)

const destinationCols = `id, tenant_id, (SELECT slug FROM tenants t WHERE t.id = warehouse_destinations.tenant_id) AS tenant_slug,
	name, kind, settings, datasets, schedule, pii, enabled, status, last_error, next_run_at, created_at, updated_at`

type store struct{ db *gorm.DB }

func (s store) destinations(ctx context.Context, tenantID int64) ([]Destination, error) {
	var out []Destination
	err := s.db.WithContext(ctx).Raw(`SELECT `+destinationCols+` FROM warehouse_destinations WHERE tenant_id = ? ORDER BY name`, tenantID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("warehouse: list destinations: %w", err)
	}
	return out, nil
}

func (s store) destination(ctx context.Context, tenantID, id int64) (Destination, error) {
	var out []Destination
	err := s.db.WithContext(ctx).Raw(`SELECT `+destinationCols+` FROM warehouse_destinations WHERE tenant_id = ? AND id = ?`, tenantID, id).Scan(&out).Error
	if err != nil {
		return Destination{}, fmt.Errorf("warehouse: load destination: %w", err)
	}
	if len(out) == 0 {
		return Destination{}, errs.NotFound("no warehouse destination %d", id)
	}
	return out[0], nil
}

func (s store) credentials(ctx context.Context, id int64) ([]byte, error) {
	var row struct{ Credentials []byte }
	if err := s.db.WithContext(ctx).Raw(`SELECT credentials FROM warehouse_destinations WHERE id = ?`, id).Scan(&row).Error; err != nil {
		return nil, fmt.Errorf("warehouse: load credentials: %w", err)
	}
	return row.Credentials, nil
}

// due lists enabled destinations whose next run is due, across tenants.
func (s store) due(ctx context.Context, now time.Time) ([]Destination, error) {
	var out []Destination
	err := s.db.WithContext(ctx).Raw(`SELECT `+destinationCols+` FROM warehouse_destinations
		WHERE enabled AND next_run_at <= ? ORDER BY next_run_at`, now).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("warehouse: due destinations: %w", err)
	}
	return out, nil
}

// claim moves a due destination's next run from prev to next; one instance wins.
func (s store) claim(ctx context.Context, id int64, prev, next time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE warehouse_destinations SET next_run_at = ? WHERE id = ? AND next_run_at = ?`, next, id, prev)
	if res.Error != nil {
		return false, fmt.Errorf("warehouse: claim run: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (s store) marks(ctx context.Context, destinationID int64) (map[string]Mark, error) {
	var rows []struct {
		Dataset string
		MarkAt  time.Time
		MarkID  string
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT dataset, mark_at, mark_id FROM warehouse_watermarks WHERE destination_id = ?`,
		destinationID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("warehouse: load watermarks: %w", err)
	}
	out := make(map[string]Mark, len(rows))
	for _, r := range rows {
		out[r.Dataset] = Mark{At: r.MarkAt.UTC(), ID: r.MarkID}
	}
	return out, nil
}

// saveMarks stores watermarks, with tx.
func saveMarks(ctx context.Context, tx *gorm.DB, d Destination, marks map[string]Mark) error {
	for ds, m := range marks {
		if err := tx.WithContext(ctx).Exec(`INSERT INTO warehouse_watermarks (destination_id, tenant_id, dataset, mark_at, mark_id)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (destination_id, dataset) DO UPDATE SET mark_at = EXCLUDED.mark_at,
			mark_id = EXCLUDED.mark_id, updated_at = now()`, d.ID, d.TenantID, ds, m.At, m.ID).Error; err != nil {
			return fmt.Errorf("warehouse: save watermark: %w", err)
		}
	}
	return nil
}

func (s store) startRun(ctx context.Context, d Destination, trigger string, backfill *time.Time, before map[string]Mark) (int64, error) {
	raw, _ := json.Marshal(before)
	var id int64
	err := s.db.WithContext(ctx).Raw(`INSERT INTO warehouse_runs (destination_id, tenant_id, trigger, backfill_from, marks_before)
		VALUES (?, ?, ?, ?, ?::jsonb) RETURNING id`, d.ID, d.TenantID, trigger, backfill, string(raw)).Scan(&id).Error
	if err != nil {
		return 0, fmt.Errorf("warehouse: log run: %w", err)
	}
	return id, nil
}

// finishRun records a run's end, with tx.
func finishRun(ctx context.Context, tx *gorm.DB, runID int64, status string, rows map[string]int64, bytes int64, after map[string]Mark, runErr string) error {
	r, _ := json.Marshal(rows)
	a, _ := json.Marshal(after)
	err := tx.WithContext(ctx).Exec(`UPDATE warehouse_runs SET status = ?, finished_at = now(), rows = ?::jsonb, bytes = ?,
		marks_after = ?::jsonb, error = ? WHERE id = ?`, status, string(r), bytes, string(a), runErr, runID).Error
	if err != nil {
		return fmt.Errorf("warehouse: finish run log: %w", err)
	}
	return nil
}

func setStatus(ctx context.Context, tx *gorm.DB, id int64, status, lastError string) error {
	err := tx.WithContext(ctx).Exec(`UPDATE warehouse_destinations SET status = ?, last_error = ? WHERE id = ?`, status, lastError, id).Error
	if err != nil {
		return fmt.Errorf("warehouse: set destination status: %w", err)
	}
	return nil
}

// unfinished lists a destination's runs still marked running.
func (s store) unfinished(ctx context.Context, destinationID int64) ([]int64, error) {
	var ids []int64
	if err := s.db.WithContext(ctx).Raw(`SELECT id FROM warehouse_runs WHERE destination_id = ? AND status = 'running' ORDER BY id`,
		destinationID).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("warehouse: unfinished runs: %w", err)
	}
	return ids, nil
}

func (s store) runs(ctx context.Context, destinationID int64, limit int) ([]Run, error) {
	var out []Run
	err := s.db.WithContext(ctx).Table("warehouse_runs").Where("destination_id = ?", destinationID).
		Order("started_at DESC, id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("warehouse: list runs: %w", err)
	}
	return out, nil
}

// salt returns the tenant's salt for hashed emails, making it on first use.
func (s store) salt(ctx context.Context, tenantID int64) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("warehouse: salt: %w", err)
	}
	if err := s.db.WithContext(ctx).Exec(`INSERT INTO warehouse_salts (tenant_id, salt) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		tenantID, fresh).Error; err != nil {
		return nil, fmt.Errorf("warehouse: salt: %w", err)
	}
	var row struct{ Salt []byte }
	if err := s.db.WithContext(ctx).Raw(`SELECT salt FROM warehouse_salts WHERE tenant_id = ?`, tenantID).Scan(&row).Error; err != nil {
		return nil, fmt.Errorf("warehouse: salt: %w", err)
	}
	if len(row.Salt) == 0 {
		return nil, errors.New("warehouse: salt missing")
	}
	return row.Salt, nil
}

// horizon is the latest change time a run may export up to: a row stamped before
// it by a transaction still open would otherwise appear behind the watermark once
// committed, so it is no later than the start of the oldest open transaction.
func (s store) horizon(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := s.db.WithContext(ctx).Raw(`SELECT least(clock_timestamp(), coalesce(warehouse_oldest_transaction(), clock_timestamp()))`).Scan(&t).Error
	if err != nil {
		return time.Time{}, fmt.Errorf("warehouse: horizon: %w", err)
	}
	return t.UTC(), nil
}
