package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/jobs"
)

// Box seals and opens secrets; app/secrets implements it.
type Box interface {
	Seal(plaintext, associated []byte) ([]byte, error)
	Open(sealed, associated []byte) ([]byte, error)
}

// Options tune exports; app fills them from the warehouse config section.
type Options struct {
	// DefaultSchedule is a new destination's schedule when none is given.
	DefaultSchedule string
	// Settle is how far behind now (and behind the oldest open transaction) a run
	// stops, so that rows written just before are visible to it.
	Settle time.Duration
	// LocalRoot is the directory local destinations live under; empty disables them.
	LocalRoot string
	// FileRows is the most rows a Parquet file holds.
	FileRows int64
	// PostgresFlushRows is how many rows a Postgres destination upserts at a time.
	PostgresFlushRows int
}

func (o Options) withDefaults() Options {
	if o.DefaultSchedule == "" {
		o.DefaultSchedule = "@every 1h"
	}
	if o.FileRows <= 0 {
		o.FileRows = 1_000_000
	}
	if o.PostgresFlushRows <= 0 {
		o.PostgresFlushRows = 20_000
	}
	return o
}

// Service manages destinations and runs exports.
type Service struct {
	db      *gorm.DB
	store   store
	box     Box
	sources sources
	log     *slog.Logger
	opts    Options
	now     func() time.Time
	// afterCommit, when set (tests), runs once the destination committed a run and
	// before its watermarks are saved; an error stops the run there, as if the
	// process had died.
	afterCommit func(runID int64) error
}

// ServiceDeps are what the service needs.
type ServiceDeps struct {
	DB      *gorm.DB
	Box     Box
	Index   Index
	Tables  Tables
	Log     *slog.Logger
	Options Options
}

// NewService builds the service.
func NewService(d ServiceDeps) *Service {
	return &Service{db: d.DB, store: store{d.DB}, box: d.Box, sources: sources{index: d.Index, tables: d.Tables},
		log: d.Log, opts: d.Options.withDefaults(), now: time.Now}
}

// SaveInput is a destination as an admin sets it up.
type SaveInput struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Credentials: postgres {"url"}; s3 {"access_key_id", "secret_access_key"};
	// local {}. Empty when updating keeps the stored ones.
	Credentials json.RawMessage `json:"credentials"`
	// Settings: postgres {"schema"}; s3 {"endpoint", "bucket", "prefix", "region",
	// "insecure"}; local {"path"}.
	Settings json.RawMessage `json:"settings"`
	// Datasets to export; empty means all (when updating: the current ones).
	Datasets []string `json:"datasets"`
	// Schedule is a cron spec or "@every 1h"; empty keeps the current or the default.
	Schedule string `json:"schedule"`
	// PII is export, hash (the default) or omit.
	PII     string `json:"pii"`
	Enabled *bool  `json:"enabled"`
	// Actor is who saves, for the audit log.
	Actor string `json:"-"`
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// pgSettings and localSettings are the settings of those kinds.
type pgSettings struct {
	Schema string `json:"schema"`
}

type pgCredentials struct {
	URL string `json:"url"`
}

type localSettings struct {
	Path string `json:"path"`
}

var schemaPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// decodeStrict decodes a JSON object, refusing unknown keys.
func decodeStrict(field string, raw json.RawMessage, dst any) error {
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return errs.Invalid(field, "%s: %v", field, strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// target builds the target of a destination's kind, credentials and settings,
// checking their shapes (it does not connect).
func (s *Service) target(tenant, kind string, creds, settings json.RawMessage) (Target, error) {
	switch kind {
	case KindPostgres:
		var c pgCredentials
		var st pgSettings
		if err := decodeStrict("credentials", creds, &c); err != nil {
			return nil, err
		}
		if err := decodeStrict("settings", settings, &st); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(c.URL, "postgres://") && !strings.HasPrefix(c.URL, "postgresql://") {
			return nil, errs.Invalid("credentials", "credentials.url must be a postgres:// URL")
		}
		if st.Schema == "" {
			st.Schema = "srg"
		}
		if !schemaPattern.MatchString(st.Schema) {
			return nil, errs.Invalid("settings", "settings.schema must be a lower-case identifier, such as srg_export")
		}
		return &pgTarget{url: c.URL, schema: st.Schema, flushRows: s.opts.PostgresFlushRows}, nil
	case KindS3:
		var c S3Credentials
		var st S3Settings
		if err := decodeStrict("credentials", creds, &c); err != nil {
			return nil, err
		}
		if err := decodeStrict("settings", settings, &st); err != nil {
			return nil, err
		}
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return nil, errs.Invalid("credentials", "credentials need access_key_id and secret_access_key")
		}
		if st.Endpoint == "" || strings.Contains(st.Endpoint, "/") {
			return nil, errs.Invalid("settings", "settings.endpoint must be host[:port], such as s3.eu-west-1.amazonaws.com")
		}
		if st.Bucket == "" {
			return nil, errs.Invalid("settings", "settings.bucket is required")
		}
		b, err := newS3Bucket(st, c)
		if err != nil {
			return nil, errs.Invalid("settings", "%v", err)
		}
		return &fileTarget{b: b, fileRows: s.opts.FileRows}, nil
	case KindLocal:
		var st localSettings
		if err := decodeStrict("credentials", creds, &struct{}{}); err != nil {
			return nil, err
		}
		if err := decodeStrict("settings", settings, &st); err != nil {
			return nil, err
		}
		if s.opts.LocalRoot == "" {
			return nil, errs.Invalid("kind", "local destinations are off: the server's warehouse.local_dir is not set")
		}
		rel := filepath.Clean("/" + st.Path)
		if st.Path == "" || rel == "/" || rel != "/"+strings.Trim(st.Path, "/") {
			return nil, errs.Invalid("settings", "settings.path must be a relative directory without .., such as exports/daily")
		}
		return &fileTarget{b: dirBucket{root: filepath.Join(s.opts.LocalRoot, tenant, rel)}, fileRows: s.opts.FileRows}, nil
	}
	return nil, errs.Invalid("kind", "unknown destination kind %q; one of %s", kind, strings.Join(Kinds, ", "))
}

func credentialsAD(tenantID int64, name string) []byte {
	return fmt.Appendf(nil, "warehouse:%d:%s", tenantID, name)
}

// Destinations lists a tenant's destinations.
func (s *Service) Destinations(ctx context.Context, tenantID int64) ([]Destination, error) {
	ctx = db.WithTenant(ctx, tenantID)
	return s.store.destinations(ctx, tenantID)
}

// Destination returns one of a tenant's destinations.
func (s *Service) Destination(ctx context.Context, tenantID, id int64) (Destination, error) {
	ctx = db.WithTenant(ctx, tenantID)
	return s.store.destination(ctx, tenantID, id)
}

// Save creates a destination (id 0) or updates one, after checking every field
// (not the connection: see Check). Credentials are sealed.
func (s *Service) Save(ctx context.Context, tenantID int64, tenant string, id int64, in SaveInput) (Destination, error) {
	ctx = db.WithTenant(ctx, tenantID)
	var old Destination
	if id != 0 {
		var err error
		if old, err = s.store.destination(ctx, tenantID, id); err != nil {
			return Destination{}, err
		}
		if in.Name == "" {
			in.Name = old.Name
		}
		if in.Name != old.Name {
			return Destination{}, errs.Invalid("name", "a destination cannot be renamed; add a new one")
		}
		if in.Kind == "" {
			in.Kind = old.Kind
		}
		if in.Kind != old.Kind {
			return Destination{}, errs.Invalid("kind", "a destination's kind cannot change; add a new one")
		}
		if len(in.Settings) == 0 {
			in.Settings = old.Settings
		}
	}
	if !namePattern.MatchString(in.Name) {
		return Destination{}, errs.Invalid("name", "name must be 1 to 63 lower-case letters, digits, - or _")
	}
	if len(in.Settings) == 0 {
		in.Settings = json.RawMessage("{}")
	}
	if len(in.Datasets) == 0 {
		in.Datasets = DatasetNames()
		if id != 0 {
			in.Datasets = old.Datasets
		}
	}
	for _, ds := range in.Datasets {
		if DatasetByName(ds) == nil {
			return Destination{}, errs.Invalid("datasets", "unknown dataset %q; any of %s", ds, strings.Join(DatasetNames(), ", "))
		}
	}
	slices.SortFunc(in.Datasets, func(a, b string) int {
		return slices.Index(DatasetNames(), a) - slices.Index(DatasetNames(), b)
	})
	in.Datasets = slices.Compact(in.Datasets)
	switch in.PII {
	case "":
		in.PII = PIIHash
		if id != 0 {
			in.PII = old.PII
		}
	case PIIExport, PIIHash, PIIOmit:
	default:
		return Destination{}, errs.Invalid("pii", "pii must be export, hash or omit")
	}
	if in.Schedule == "" {
		in.Schedule = s.opts.DefaultSchedule
		if id != 0 {
			in.Schedule = old.Schedule
		}
	}
	if _, err := jobs.ParseSchedule(in.Schedule); err != nil {
		return Destination{}, errs.Invalid("schedule", "%v", err)
	}
	enabled := true
	if in.Enabled != nil {
		enabled = *in.Enabled
	} else if id != 0 {
		enabled = old.Enabled
	}
	var sealed []byte
	creds := in.Credentials
	if len(creds) == 0 && id != 0 {
		var err error
		if creds, err = s.openCredentials(ctx, old); err != nil {
			return Destination{}, err
		}
	} else if len(creds) == 0 {
		creds = json.RawMessage("{}")
	}
	if !json.Valid(creds) || !strings.HasPrefix(strings.TrimSpace(string(creds)), "{") {
		return Destination{}, errs.Invalid("credentials", "credentials must be a JSON object")
	}
	if !json.Valid(in.Settings) || !strings.HasPrefix(strings.TrimSpace(string(in.Settings)), "{") {
		return Destination{}, errs.Invalid("settings", "settings must be a JSON object")
	}
	if _, err := s.target(tenant, in.Kind, creds, in.Settings); err != nil {
		return Destination{}, err
	}
	sealed, err := s.box.Seal(creds, credentialsAD(tenantID, in.Name))
	if err != nil {
		return Destination{}, fmt.Errorf("warehouse: seal credentials: %w", err)
	}
	action := "warehouse.destination_updated"
	if id == 0 {
		action = "warehouse.destination_added"
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if id == 0 {
			res := tx.Raw(`INSERT INTO warehouse_destinations (tenant_id, name, kind, credentials, settings, datasets, schedule, pii, enabled)
				VALUES (?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?) ON CONFLICT (tenant_id, name) DO NOTHING RETURNING id`,
				tenantID, in.Name, in.Kind, sealed, string(in.Settings), db.StringArray(in.Datasets), in.Schedule, in.PII, enabled).Scan(&id)
			if res.Error != nil {
				return fmt.Errorf("warehouse: save destination: %w", res.Error)
			}
			if id == 0 {
				return errs.Conflict("a destination named %s exists already", in.Name)
			}
		} else if err := tx.Exec(`UPDATE warehouse_destinations SET credentials = ?, settings = ?::jsonb, datasets = ?, schedule = ?,
				pii = ?, enabled = ?, updated_at = now() WHERE id = ? AND tenant_id = ?`,
			sealed, string(in.Settings), db.StringArray(in.Datasets), in.Schedule, in.PII, enabled, id, tenantID).Error; err != nil {
			return fmt.Errorf("warehouse: save destination: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: &tenantID, Actor: in.Actor, Action: action, Target: in.Name,
			Details: map[string]any{"kind": in.Kind, "datasets": in.Datasets, "schedule": in.Schedule, "pii": in.PII,
				"enabled": enabled, "credentials_changed": len(in.Credentials) > 0}})
	})
	if err != nil {
		return Destination{}, err
	}
	return s.store.destination(ctx, tenantID, id)
}

func (s *Service) openCredentials(ctx context.Context, d Destination) (json.RawMessage, error) {
	sealed, err := s.store.credentials(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	plain, err := s.box.Open(sealed, credentialsAD(d.TenantID, d.Name))
	if err != nil {
		return nil, fmt.Errorf("warehouse: open credentials of %s: %w", d.Name, err)
	}
	return plain, nil
}

// Delete removes a destination, its watermarks and run log; what it exported stays
// where it went.
func (s *Service) Delete(ctx context.Context, tenantID, id int64, actor string) error {
	ctx = db.WithTenant(ctx, tenantID)
	d, err := s.store.destination(ctx, tenantID, id)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`DELETE FROM warehouse_destinations WHERE id = ? AND tenant_id = ?`, id, tenantID).Error; err != nil {
			return fmt.Errorf("warehouse: delete destination: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: &tenantID, Actor: actor, Action: "warehouse.destination_deleted",
			Target: d.Name, Details: map[string]any{"kind": d.Kind}})
	})
}

// CheckResult is the outcome of a connection test.
type CheckResult struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// Check connects to a destination and checks it can be written.
func (s *Service) Check(ctx context.Context, tenantID, id int64) (CheckResult, error) {
	ctx = db.WithTenant(ctx, tenantID)
	d, err := s.store.destination(ctx, tenantID, id)
	if err != nil {
		return CheckResult{}, err
	}
	t, err := s.open(ctx, d)
	if err != nil {
		return CheckResult{Message: err.Error()}, nil
	}
	defer t.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := t.Check(ctx); err != nil {
		return CheckResult{Message: err.Error()}, nil
	}
	return CheckResult{OK: true, Message: "connected: " + d.Name + " can be written"}, nil
}

func (s *Service) open(ctx context.Context, d Destination) (Target, error) {
	creds, err := s.openCredentials(ctx, d)
	if err != nil {
		return nil, err
	}
	return s.target(d.Tenant, d.Kind, creds, d.Settings)
}

// Runs lists a destination's latest runs.
func (s *Service) Runs(ctx context.Context, tenantID, id int64, limit int) ([]Run, error) {
	ctx = db.WithTenant(ctx, tenantID)
	if _, err := s.store.destination(ctx, tenantID, id); err != nil {
		return nil, err
	}
	return s.store.runs(ctx, id, limit)
}

// Marks returns a destination's watermarks by dataset.
func (s *Service) Marks(ctx context.Context, tenantID, id int64) (map[string]Mark, error) {
	ctx = db.WithTenant(ctx, tenantID)
	if _, err := s.store.destination(ctx, tenantID, id); err != nil {
		return nil, err
	}
	return s.store.marks(ctx, id)
}
