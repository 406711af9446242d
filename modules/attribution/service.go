package attribution

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/modules/attribution/model"
)

// Store reads touchpoints and writes credits; app/search implements it.
type Store interface {
	PeopleTouchpoints(ctx context.Context, tenant string, personIDs []string, from, to time.Time, fn func(doc json.RawMessage) error) error
	// IdentifiedTouchpointsBetween reads every identified person's touchpoints in
	// [from, to), in no particular order, in parts read at once: a full run's one
	// read. newReader is called once per part; each function it returns is called
	// from one goroutine.
	IdentifiedTouchpointsBetween(ctx context.Context, tenant string, from, to time.Time, newReader func() func(doc json.RawMessage) error) error
	WriteCredits(ctx context.Context, tenant string, credits []Credit) error
	// DeleteCredits deletes the credit documents of these ids; an id without one is
	// no error.
	DeleteCredits(ctx context.Context, tenant string, ids []string) error
}

// BulkLoader is implemented by a Store that can set the credit index up for a
// bulk load (no scheduled refreshes, translog synced every few seconds) while a
// full run writes every credit (app/search does).
type BulkLoader interface {
	BulkLoad(ctx context.Context, tenant, kind string) (done func(context.Context) error, err error)
}

// IndexAger is implemented by a Store that knows when a tenant's index was
// created (app/search does): a credit index created after the last run (an
// upgrade rebuilt it empty, or it was lost) makes the next run a full one.
type IndexAger interface {
	IndexCreatedAt(ctx context.Context, tenant, kind string) (time.Time, error)
}

// Credit is an opportunity's credit document ready to index: its id (the
// opportunity's) and JSON source.
type Credit struct {
	ID     string
	Source json.RawMessage
	// Touches is how many touches the document credits.
	Touches int
}

// Service computes attribution.
type Service struct {
	db    *gorm.DB
	store Store
	log   *slog.Logger
	now   func() time.Time
	// batch is how many opportunities are read and written together.
	batch int
}

// NewService builds the service.
func NewService(db *gorm.DB, store Store, log *slog.Logger) *Service {
	return &Service{db: db, store: store, log: log, now: time.Now, batch: 2000}
}

// Settings returns the tenant's settings (the defaults until set).
func (s *Service) Settings(ctx context.Context, tenantID int64) (Settings, time.Time, error) {
	ctx = db.WithTenant(ctx, tenantID)
	var rows []struct {
		Settings  []byte
		UpdatedAt time.Time
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT settings, updated_at FROM attribution_settings WHERE tenant_id = ?`, tenantID).Scan(&rows).Error; err != nil {
		return Settings{}, time.Time{}, fmt.Errorf("attribution: load settings: %w", err)
	}
	if len(rows) == 0 {
		return DefaultSettings(), time.Time{}, nil
	}
	st := DefaultSettings()
	if err := json.Unmarshal(rows[0].Settings, &st); err != nil {
		return Settings{}, time.Time{}, fmt.Errorf("attribution: stored settings: %w", err)
	}
	return st, rows[0].UpdatedAt, nil
}

// SetSettings validates and stores the tenant's settings; the next recompute then
// recomputes every opportunity.
func (s *Service) SetSettings(ctx context.Context, tenantID int64, st Settings, actor string) error {
	ctx = db.WithTenant(ctx, tenantID)
	if err := st.Validate(); err != nil {
		return err
	}
	raw, _ := json.Marshal(st)
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO attribution_settings (tenant_id, settings) VALUES (?, ?::jsonb)
			ON CONFLICT (tenant_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now()`, tenantID, string(raw)).Error; err != nil {
			return fmt.Errorf("attribution: save settings: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: &tenantID, Actor: actor, Action: "attribution.settings", Details: map[string]any{"hash": st.Hash()}})
	})
}

// Result is what a recompute did.
type Result struct {
	Full          bool `json:"full"`
	Opportunities int  `json:"opportunities"`
	Changed       int  `json:"changed"`
	// Credits counts the credited touches written; Deleted the opportunities
	// whose credit documents went, none of their touches credited any more.
	Credits int           `json:"credits"`
	Deleted int           `json:"deleted_credits"`
	Read    time.Duration `json:"read_ns"`
	Compute time.Duration `json:"compute_ns"`
	// Encode is the part of the compute time spent encoding credit documents
	// (JSON), not counted in Compute.
	Encode time.Duration `json:"encode_ns"`
	Write  time.Duration `json:"write_ns"`
	// Learn is the time the data-driven models took to learn their channel weights
	// (reading every journey again included).
	Learn time.Duration `json:"learn_ns"`
	// Score is the time the model scoreboard took, alongside the writes.
	Score time.Duration `json:"score_ns"`
}

// Recompute attributes the tenant's opportunities: all of them when full, when it
// never ran or when the settings changed since; otherwise those whose mirror rows
// changed since the last run. Only opportunities whose journey, amount or state
// changed get new credits.
func (s *Service) Recompute(ctx context.Context, tenantID int64, tenant string, full bool) (Result, error) {
	ctx = db.WithTenant(ctx, tenantID)
	// One recompute per tenant at a time, across instances: a second waits.
	conn, err := db.SQL(s.db).Conn(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("attribution: connection: %w", err)
	}
	defer conn.Close()
	key := int64(0x5352470000000000) | tenantID
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return Result{}, fmt.Errorf("attribution: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)

	st, updated, err := s.Settings(ctx, tenantID)
	if err != nil {
		return Result{}, err
	}
	start := s.now().UTC()
	var last []time.Time
	if err := s.db.WithContext(ctx).Raw(`SELECT last_started FROM attribution_runs WHERE tenant_id = ?`, tenantID).Scan(&last).Error; err != nil {
		return Result{}, fmt.Errorf("attribution: last run: %w", err)
	}
	var since *time.Time
	if !full && len(last) == 1 && updated.Before(last[0]) {
		// Touchpoints arrive after the fact: look back a little for late ones.
		t := last[0].Add(-time.Minute)
		since = &t
	}
	// A credit index newer than the last run lacks its credits: every opportunity
	// is written again, changed or not.
	rewrite := false
	if len(last) == 1 {
		if rewrite, err = s.creditsRebuiltSince(ctx, tenant, last[0]); err != nil {
			return Result{}, err
		}
		if rewrite {
			s.log.Info("the credit index is newer than the last run: writing every opportunity's credits again", "tenant", tenant)
			since = nil
		}
	}
	var weights []ChannelWeight
	if dd := dataDrivenNames(st); len(dd) > 0 && since != nil {
		if weights, err = loadWeights(ctx, s.db, tenantID); err != nil {
			return Result{}, err
		}
		if len(weights) == 0 {
			since = nil
		}
	}
	res := Result{Full: since == nil}
	t0 := time.Now()
	// A full run reads every identified touchpoint once, for learning and crediting.
	var opps []*opportunity
	var everyone map[string][]*touch
	if since == nil {
		opps, everyone, err = s.loadEveryone(ctx, tenantID, tenant, &st, start)
	} else {
		opps, err = loadOpportunities(ctx, s.db, tenantID, since, st.AccountBased)
	}
	if err != nil {
		return res, err
	}
	res.Read += time.Since(t0)
	var examples []example
	if dd := dataDrivenNames(st); len(dd) > 0 && since == nil {
		t1 := time.Now()
		if weights, examples, err = s.learn(ctx, tenantID, &st, dd, opps, everyone, start); err != nil {
			return res, err
		}
		res.Learn = time.Since(t1)
	}
	models, err := buildModels(st, weights)
	if err != nil {
		return res, err
	}
	settingsHash := st.Hash()
	if len(weights) > 0 {
		settingsHash += "-" + weightsHash(weights)
	}
	res.Opportunities = len(opps)
	if since != nil {
		t0 := time.Now()
		more, err := s.opportunitiesWithNewTouches(ctx, tenantID, tenant, st, *since, opps)
		if err != nil {
			return res, err
		}
		opps = append(opps, more...)
		res.Opportunities = len(opps)
		res.Read += time.Since(t0)
	}
	names := make([]string, len(models))
	versions := make([]int, len(models))
	for i, m := range models {
		names[i], versions[i] = m.Name(), m.Version()
	}
	enc := &creditEncoder{tenant: tenant, settingsHash: settingsHash, models: models, names: newCreditModels(names, versions), at: start}
	r := &run{s: s, tenantID: tenantID, tenant: tenant, st: &st, settingsHash: settingsHash, encoder: enc,
		everyone: everyone, rewrite: rewrite, at: start, res: &res}
	// The scoreboard needs nothing the credits need, and the writes leave a core
	// partly idle while Elasticsearch indexes: it runs alongside them.
	g, gctx := errgroup.WithContext(ctx)
	if examples != nil {
		g.Go(func() error {
			t := time.Now()
			defer func() { res.Score = time.Since(t) }()
			return s.score(gctx, tenantID, &st, examples, start)
		})
	}
	g.Go(func() error { return r.recomputeAll(gctx, opps) })
	if err := g.Wait(); err != nil {
		return res, err
	}
	if err := s.db.WithContext(ctx).Exec(`INSERT INTO attribution_runs (tenant_id, last_started) VALUES (?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET last_started = EXCLUDED.last_started`, tenantID, start).Error; err != nil {
		return res, fmt.Errorf("attribution: record run: %w", err)
	}
	return res, nil
}

// creditsRebuiltSince reports whether the tenant's credit index was created after
// the run that started at last, and so lacks credits that run wrote.
func (s *Service) creditsRebuiltSince(ctx context.Context, tenant string, last time.Time) (bool, error) {
	ager, ok := s.store.(IndexAger)
	if !ok {
		return false, nil
	}
	created, err := ager.IndexCreatedAt(ctx, tenant, "credits")
	if err != nil {
		return false, fmt.Errorf("attribution: credit index: %w", err)
	}
	return created.After(last), nil
}

func buildModels(st Settings, weights []ChannelWeight) ([]model.Model, error) {
	var out []model.Model
	for _, name := range st.modelNames() {
		if isDataDriven(name) {
			m := channelModel{name: name, weights: map[string]float64{}}
			for _, w := range weights {
				if w.Model == name {
					m.weights[w.Channel] = w.Weight
				}
			}
			out = append(out, m)
			continue
		}
		m, err := model.ByName(name, st.params())
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
