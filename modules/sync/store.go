package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// Connector is a source a tenant connected. Its credentials are never loaded here.
type Connector struct {
	ID       int64 `json:"id"`
	TenantID int64 `json:"-"`
	// TenantSlug names the tenant's search indices.
	TenantSlug string          `json:"-"`
	Kind       connector.Kind  `json:"kind"`
	Schedule   string          `json:"schedule"`
	Settings   json.RawMessage `json:"settings" gorm:"type:jsonb"`
	Status     string          `json:"status"`
	LastError  string          `json:"last_error"`
	NextRunAt  time.Time       `json:"next_run_at"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// Connector statuses.
const (
	StatusOK          = "ok"
	StatusError       = "error"
	StatusNeedsReauth = "needs_reauth"
	StatusDisabled    = "disabled"
)

// RunLog is one logged run of a connector.
type RunLog struct {
	ID           int64             `json:"id"`
	ConnectorID  int64             `json:"connector_id"`
	Direction    string            `json:"direction"`
	Trigger      string            `json:"trigger"`
	Status       string            `json:"status"`
	StartedAt    time.Time         `json:"started_at"`
	FinishedAt   *time.Time        `json:"finished_at"`
	Counts       map[string]int    `json:"counts" gorm:"serializer:json"`
	CursorBefore map[string]string `json:"cursor_before" gorm:"serializer:json"`
	CursorAfter  map[string]string `json:"cursor_after" gorm:"serializer:json"`
	Error        string            `json:"error"`
}

const connectorCols = `id, tenant_id, (SELECT slug FROM tenants t WHERE t.id = connectors.tenant_id) AS tenant_slug,
	kind, schedule, settings, status, last_error, next_run_at, created_at, updated_at`

type store struct{ db *gorm.DB }

func (s store) connectors(ctx context.Context, tenantID int64) ([]Connector, error) {
	var out []Connector
	err := s.db.WithContext(ctx).Raw(`SELECT `+connectorCols+` FROM connectors WHERE tenant_id = ? ORDER BY kind`, tenantID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("sync: list connectors: %w", err)
	}
	return out, nil
}

func (s store) connector(ctx context.Context, tenantID int64, kind connector.Kind) (Connector, error) {
	var out []Connector
	err := s.db.WithContext(ctx).Raw(`SELECT `+connectorCols+` FROM connectors WHERE tenant_id = ? AND kind = ?`, tenantID, string(kind)).Scan(&out).Error
	if err != nil {
		return Connector{}, fmt.Errorf("sync: load connector: %w", err)
	}
	if len(out) == 0 {
		return Connector{}, errs.NotFound("no %s connector is set up", kind)
	}
	return out[0], nil
}

func (s store) credentials(ctx context.Context, id int64) ([]byte, error) {
	var sealed []byte
	if err := s.db.WithContext(ctx).Raw(`SELECT credentials FROM connectors WHERE id = ?`, id).Row().Scan(&sealed); err != nil {
		return nil, fmt.Errorf("sync: load credentials: %w", err)
	}
	return sealed, nil
}

// due lists connectors whose next run is due, across tenants.
func (s store) due(ctx context.Context, now time.Time) ([]Connector, error) {
	var out []Connector
	err := s.db.WithContext(ctx).Raw(`SELECT `+connectorCols+` FROM connectors
		WHERE status IN ('ok', 'error') AND next_run_at <= ? ORDER BY next_run_at`, now).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("sync: due connectors: %w", err)
	}
	return out, nil
}

// claim moves a due connector's next run from prev to next; only one instance wins.
func (s store) claim(ctx context.Context, id int64, prev, next time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE connectors SET next_run_at = ? WHERE id = ? AND next_run_at = ?`, next, id, prev)
	if res.Error != nil {
		return false, fmt.Errorf("sync: claim run: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (s store) startRun(ctx context.Context, c Connector, direction, trigger string, before map[string]string) (int64, error) {
	raw, _ := json.Marshal(before)
	var id int64
	err := s.db.WithContext(ctx).Raw(`INSERT INTO sync_runs (connector_id, tenant_id, direction, trigger, cursor_before)
		VALUES (?, ?, ?, ?, ?::jsonb) RETURNING id`, c.ID, c.TenantID, direction, trigger, string(raw)).Scan(&id).Error
	if err != nil {
		return 0, fmt.Errorf("sync: log run: %w", err)
	}
	return id, nil
}

func (s store) finishRun(ctx context.Context, runID int64, status string, counts map[string]int, after map[string]string, runErr string) error {
	c, _ := json.Marshal(counts)
	a, _ := json.Marshal(after)
	err := s.db.WithContext(ctx).Exec(`UPDATE sync_runs SET status = ?, finished_at = now(), counts = ?::jsonb,
		cursor_after = ?::jsonb, error = ? WHERE id = ?`, status, string(c), string(a), runErr, runID).Error
	if err != nil {
		return fmt.Errorf("sync: finish run log: %w", err)
	}
	return nil
}

func (s store) setStatus(ctx context.Context, id int64, status, lastError string) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE connectors SET status = ?, last_error = ?, updated_at = now() WHERE id = ?`, status, lastError, id).Error
	if err != nil {
		return fmt.Errorf("sync: set connector status: %w", err)
	}
	return nil
}

func (s store) runs(ctx context.Context, connectorID int64, limit int) ([]RunLog, error) {
	var out []RunLog
	err := s.db.WithContext(ctx).Table("sync_runs").Where("connector_id = ?", connectorID).
		Order("started_at DESC, id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("sync: list runs: %w", err)
	}
	return out, nil
}
