package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/jobs"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// Factory builds a connector from its config; it validates the credentials and
// settings shapes and returns an error naming the bad key.
type Factory func(connector.Config) (connector.Puller, error)

// Box seals and opens secrets; app/secrets implements it.
type Box interface {
	Seal(plaintext, associated []byte) ([]byte, error)
	Open(sealed, associated []byte) ([]byte, error)
}

// Service connects sources, runs them and writes touchpoints back.
type Service struct {
	db        *gorm.DB
	store     store
	box       Box
	factories map[connector.Kind]Factory
	http      *http.Client
	log       *slog.Logger
	metrics   *metrics
	points    Touchpoints
	schedule  string
	now       func() time.Time
	writeback WritebackOptions
}

// ServiceDeps are what the service needs.
type ServiceDeps struct {
	DB          *gorm.DB
	Box         Box
	Factories   map[connector.Kind]Factory
	HTTP        *http.Client
	Log         *slog.Logger
	Metrics     *metrics
	Touchpoints Touchpoints
	// DefaultSchedule is a new connector's schedule when none is given.
	DefaultSchedule string
	Writeback       WritebackOptions
}

// NewService builds the service.
func NewService(d ServiceDeps) *Service {
	if d.DefaultSchedule == "" {
		d.DefaultSchedule = "@every 15m"
	}
	if d.HTTP == nil {
		d.HTTP = &http.Client{Timeout: 2 * time.Minute}
	}
	if d.Metrics == nil {
		d.Metrics = newMetrics(nil)
	}
	return &Service{db: d.DB, store: store{d.DB}, box: d.Box, factories: d.Factories, http: d.HTTP, log: d.Log,
		metrics: d.Metrics, points: d.Touchpoints, schedule: d.DefaultSchedule, now: time.Now, writeback: d.Writeback.withDefaults()}
}

// Kinds lists the sources that can be connected.
func (s *Service) Kinds() []connector.Kind {
	out := make([]connector.Kind, 0, len(s.factories))
	for k := range s.factories {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ConnectInput is what a tenant gives to connect a source.
type ConnectInput struct {
	Kind        connector.Kind  `json:"kind"`
	Credentials json.RawMessage `json:"credentials"`
	Settings    json.RawMessage `json:"settings"`
	// Schedule is a cron spec or "@every 15m"; "" keeps the current or the default.
	Schedule string `json:"schedule"`
	// Actor is who connects, for the audit log ("user:3", "cli").
	Actor string `json:"-"`
}

// Connect stores a source's credentials (sealed) and settings, replacing an earlier
// connection of the same kind, after checking that a connector can be built from
// them. A connector that needed re-authorisation is ready to run again.
func (s *Service) Connect(ctx context.Context, tenantID int64, in ConnectInput) (Connector, error) {
	ctx = db.WithTenant(ctx, tenantID)
	factory, ok := s.factories[in.Kind]
	if !ok {
		return Connector{}, errs.Invalid("kind", "unknown source %q; one of %s", in.Kind, joinKinds(s.Kinds()))
	}
	if !json.Valid(in.Credentials) || !isObject(in.Credentials) {
		return Connector{}, errs.Invalid("credentials", "credentials must be a JSON object")
	}
	if len(in.Settings) == 0 {
		in.Settings = json.RawMessage("{}")
	}
	if !json.Valid(in.Settings) || !isObject(in.Settings) {
		return Connector{}, errs.Invalid("settings", "settings must be a JSON object")
	}
	if in.Schedule != "" {
		if _, err := jobs.ParseSchedule(in.Schedule); err != nil {
			return Connector{}, errs.Invalid("schedule", "%v", err)
		}
	}
	if _, err := factory(connector.Config{Credentials: in.Credentials, Settings: connectorSettings(in.Settings), HTTP: s.http, Log: s.log}); err != nil {
		return Connector{}, errs.Invalid("credentials", "%s: %v", in.Kind, err)
	}
	sealed, err := s.box.Seal(in.Credentials, credentialsAD(tenantID, in.Kind))
	if err != nil {
		return Connector{}, fmt.Errorf("sync: seal credentials: %w", err)
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`
			INSERT INTO connectors (tenant_id, kind, schedule, credentials, settings)
			VALUES (?, ?, COALESCE(NULLIF(?, ''), ?), ?, ?::jsonb)
			ON CONFLICT (tenant_id, kind) DO UPDATE SET
				schedule = COALESCE(NULLIF(?, ''), connectors.schedule),
				credentials = EXCLUDED.credentials, settings = EXCLUDED.settings,
				status = 'ok', last_error = '', next_run_at = now(), updated_at = now()`,
			tenantID, string(in.Kind), in.Schedule, s.schedule, sealed, string(in.Settings), in.Schedule).Error; err != nil {
			return fmt.Errorf("sync: save connector: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: &tenantID, Actor: in.Actor, Action: "connector.connected",
			Target: string(in.Kind), Details: map[string]any{"schedule": in.Schedule}})
	})
	if err != nil {
		return Connector{}, err
	}
	return s.store.connector(ctx, tenantID, in.Kind)
}

// Disconnect removes a source, its credentials, cursors and run log; the mirrored
// data stays.
func (s *Service) Disconnect(ctx context.Context, tenantID int64, kind connector.Kind, actor string) error {
	ctx = db.WithTenant(ctx, tenantID)
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`DELETE FROM connectors WHERE tenant_id = ? AND kind = ?`, tenantID, string(kind))
		if res.Error != nil {
			return fmt.Errorf("sync: delete connector: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return errs.NotFound("no %s connector is set up", kind)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: &tenantID, Actor: actor, Action: "connector.disconnected", Target: string(kind)})
	})
}

// Connectors lists the tenant's connectors.
func (s *Service) Connectors(ctx context.Context, tenantID int64) ([]Connector, error) {
	ctx = db.WithTenant(ctx, tenantID)
	return s.store.connectors(ctx, tenantID)
}

// Connector returns one of the tenant's connectors.
func (s *Service) Connector(ctx context.Context, tenantID int64, kind connector.Kind) (Connector, error) {
	ctx = db.WithTenant(ctx, tenantID)
	return s.store.connector(ctx, tenantID, kind)
}

// Runs lists a connector's latest runs, newest first.
func (s *Service) Runs(ctx context.Context, tenantID int64, kind connector.Kind, limit int) ([]RunLog, error) {
	ctx = db.WithTenant(ctx, tenantID)
	c, err := s.store.connector(ctx, tenantID, kind)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	return s.store.runs(ctx, c.ID, limit)
}

// build decrypts the connector's credentials and builds its puller.
func (s *Service) build(ctx context.Context, c Connector) (connector.Puller, error) {
	factory, ok := s.factories[c.Kind]
	if !ok {
		return nil, fmt.Errorf("sync: no connector of kind %q in this build", c.Kind)
	}
	sealed, err := s.store.credentials(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	creds, err := s.box.Open(sealed, credentialsAD(c.TenantID, c.Kind))
	if err != nil {
		return nil, fmt.Errorf("%w: stored credentials cannot be opened with this secrets key: %v", connector.ErrReauth, err)
	}
	return factory(connector.Config{Credentials: creds, Settings: connectorSettings(c.Settings), HTTP: s.http,
		Log: s.log.With("tenant_id", c.TenantID, "connector", string(c.Kind))})
}

// credentialsAD binds sealed credentials to their tenant and kind, so they cannot be
// copied to another row.
func credentialsAD(tenantID int64, kind connector.Kind) []byte {
	return fmt.Appendf(nil, "connector:%d:%s", tenantID, kind)
}

// connectorSettings are the settings without the framework's own keys
// ("writeback"), which the connector does not know.
func connectorSettings(raw json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	if _, ok := m["writeback"]; !ok {
		return raw
	}
	delete(m, "writeback")
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}

func isObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil
}

func joinKinds(ks []connector.Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// ErrBusy is returned by RunNow when the connector is running elsewhere.
var ErrBusy = errs.Conflict("this connector is already running")
