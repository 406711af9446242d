package search

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/olivere/elastic/v7"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/migrations"
)

// Index kinds every tenant has.
const (
	Touchpoints = "touchpoints"
	Credits     = "credits"
)

// Kinds lists the index kinds, in the order they are created.
var Kinds = []string{Touchpoints, Credits}

// IndexName is the name of a tenant's index of the given kind:
// <prefix>-<tenant>-<kind>.
func (c *Client) IndexName(tenant, kind string) string {
	return c.prefix + "-" + tenant + "-" + kind
}

type mappingFile struct {
	Version int `json:"version"`
	// Rebuild says the index holds derived data (credits, which a full recompute
	// writes again): an index of an older version is deleted and created afresh
	// with the new mapping, rather than updated in place, so a version may change
	// how a field is indexed, which Elasticsearch cannot change in place (and the
	// reindex module is not part of every distribution).
	Rebuild bool `json:"rebuild"`
	// Settings are dynamic index settings (refresh interval...), applied to new and
	// existing indices.
	Settings map[string]any `json:"settings"`
	Mappings map[string]any `json:"mappings"`
}

func loadMapping(kind string) (mappingFile, error) {
	raw, err := fs.ReadFile(migrations.Elasticsearch, path.Join("elasticsearch", kind+".json"))
	if err != nil {
		return mappingFile{}, fmt.Errorf("search: mapping %s: %w", kind, err)
	}
	var m mappingFile
	if err := json.Unmarshal(raw, &m); err != nil {
		return mappingFile{}, fmt.Errorf("search: mapping %s: %w", kind, err)
	}
	m.Mappings["_meta"] = map[string]any{"srg_kind": kind, "srg_mapping_version": m.Version}
	return m, nil
}

// EnsureTenant creates (or brings up to date) the index templates and the indices of
// one tenant. It is idempotent. Mapping changes must be additive, except for a
// kind whose mapping file says rebuild: its index, when of an older version, is
// deleted and created again empty (IndexCreatedAt then tells its writer to write
// everything again).
func (c *Client) EnsureTenant(ctx context.Context, tenant string) error {
	if !config.SlugPattern.MatchString(tenant) {
		return fmt.Errorf("search: %q is not a valid tenant slug", tenant)
	}
	es, err := c.client()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(Kinds))
	for _, kind := range Kinds {
		names = append(names, c.IndexName(tenant, kind))
		m, err := loadMapping(kind)
		if err != nil {
			return err
		}
		name := c.IndexName(tenant, kind)
		settings := map[string]any{
			"number_of_shards":   c.cfg.NumberOfShards,
			"number_of_replicas": c.cfg.NumberOfReplicas,
		}
		for k, v := range m.Settings {
			settings[k] = v
		}
		template := map[string]any{
			"index_patterns": []string{name + "*"},
			"priority":       100,
			"version":        m.Version,
			"template": map[string]any{
				"settings": settings,
				"mappings": m.Mappings,
			},
			"_meta": map[string]any{"managed_by": "srg"},
		}
		if _, err := es.IndexPutIndexTemplate(name).BodyJson(template).Do(ctx); err != nil {
			return fmt.Errorf("search: put template %s: %w", name, err)
		}
		exists, err := es.IndexExists(name).Do(ctx)
		if err != nil {
			return fmt.Errorf("search: check index %s: %w", name, err)
		}
		if exists && m.Rebuild {
			live, err := liveMappingVersion(ctx, es, name)
			if err != nil {
				return err
			}
			if live < m.Version {
				c.log.Info("index of an older mapping version rebuilt empty", "index", name, "version", live, "new_version", m.Version)
				if _, err := es.DeleteIndex(name).Do(ctx); err != nil && !elastic.IsNotFound(err) {
					return fmt.Errorf("search: delete index %s of mapping version %d: %w", name, live, err)
				}
				exists = false
			}
		}
		if !exists {
			_, err := es.CreateIndex(name).Do(ctx)
			switch {
			case err == nil:
				c.indexCreated(tenant, kind)
			case !isAlreadyExists(err):
				return fmt.Errorf("search: create index %s: %w", name, err)
			}
			continue
		}
		if _, err := es.PutMapping().Index(name).BodyJson(m.Mappings).Do(ctx); err != nil {
			return fmt.Errorf("search: update mapping of %s: %w", name, err)
		}
		// The mapping file's settings, and those a bulk load that never ended left.
		resting := restingSettings(m)
		for k, v := range m.Settings {
			resting[k] = v
		}
		if _, err := es.IndexPutSettings(name).BodyJson(map[string]any{"index": resting}).Do(ctx); err != nil {
			return fmt.Errorf("search: update settings of %s: %w", name, err)
		}
	}
	// An index another caller is still creating exists before its primary shards do,
	// and searching it fails; the tenant is ready only once every shard is assigned.
	health, err := es.ClusterHealth().Index(names...).WaitForYellowStatus().Timeout("30s").Do(ctx)
	if err != nil {
		return fmt.Errorf("search: wait for the indices of %s: %w", tenant, err)
	}
	if health.TimedOut {
		return fmt.Errorf("search: the indices of %s are %s after 30s", tenant, health.Status)
	}
	return stampUpdatedAt(ctx, es, c.IndexName(tenant, Touchpoints), c.log)
}

// OnIndexCreated registers fn to be called, in the goroutine of EnsureTenant, each
// time EnsureTenant creates a tenant's index of the given kind: on a tenant's first
// start-up, after an upgrade rebuilt it empty, or after someone deleted it. The
// writer of derived data uses it to fill the index again at once.
func (c *Client) OnIndexCreated(kind string, fn func(tenant string)) {
	c.hooksMu.Lock()
	defer c.hooksMu.Unlock()
	if c.created == nil {
		c.created = map[string][]func(string){}
	}
	c.created[kind] = append(c.created[kind], fn)
}

func (c *Client) indexCreated(tenant, kind string) {
	c.hooksMu.Lock()
	fns := c.created[kind]
	c.hooksMu.Unlock()
	for _, fn := range fns {
		fn(tenant)
	}
}

// DropTenant deletes a tenant's indices and templates (used by tests and tenant removal).
func (c *Client) DropTenant(ctx context.Context, tenant string) error {
	es, err := c.client()
	if err != nil {
		return err
	}
	for _, kind := range Kinds {
		name := c.IndexName(tenant, kind)
		if _, err := es.DeleteIndex(name).Do(ctx); err != nil && !elastic.IsNotFound(err) {
			return fmt.Errorf("search: delete index %s: %w", name, err)
		}
		if _, err := es.IndexDeleteIndexTemplate(name).Do(ctx); err != nil && !elastic.IsNotFound(err) {
			return fmt.Errorf("search: delete template %s: %w", name, err)
		}
	}
	return nil
}

// liveMappingVersion is the mapping version an index was created or last updated
// with (0 for an index older than versioned mappings).
func liveMappingVersion(ctx context.Context, es *elastic.Client, name string) (int, error) {
	res, err := es.GetMapping().Index(name).Do(ctx)
	if err != nil {
		return 0, fmt.Errorf("search: get mapping %s: %w", name, err)
	}
	var live struct {
		Mappings struct {
			Meta struct {
				Version int `json:"srg_mapping_version"`
			} `json:"_meta"`
		} `json:"mappings"`
	}
	raw, err := json.Marshal(res[name])
	if err == nil {
		err = json.Unmarshal(raw, &live)
	}
	if err != nil {
		return 0, fmt.Errorf("search: mapping of %s: %w", name, err)
	}
	return live.Mappings.Meta.Version, nil
}

// IndexCreatedAt is when a tenant's index of the given kind was created (the zero
// time when it does not exist): a writer of derived data that finds it created
// after its last run writes everything again.
func (c *Client) IndexCreatedAt(ctx context.Context, tenant, kind string) (time.Time, error) {
	es, err := c.client()
	if err != nil {
		return time.Time{}, err
	}
	name := c.IndexName(tenant, kind)
	res, err := es.IndexGetSettings(name).Name("index.creation_date").Do(ctx)
	if elastic.IsNotFound(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("search: settings of %s: %w", name, err)
	}
	idx, ok := res[name]
	if !ok {
		return time.Time{}, nil
	}
	index, _ := idx.Settings["index"].(map[string]any)
	ms, err := strconv.ParseInt(fmt.Sprint(index["creation_date"]), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("search: creation date of %s: %v", name, index["creation_date"])
	}
	return time.UnixMilli(ms).UTC(), nil
}

// IndexSettings returns the named settings of a tenant's index ("refresh_interval",
// "translog.durability"...), flat, with Elasticsearch's defaults for those not
// set: for inspection and tests.
func (c *Client) IndexSettings(ctx context.Context, tenant, kind string, names ...string) (map[string]string, error) {
	es, err := c.client()
	if err != nil {
		return nil, err
	}
	name := c.IndexName(tenant, kind)
	res, err := es.PerformRequest(ctx, elastic.PerformRequestOptions{Method: "GET", Path: "/" + name + "/_settings",
		Params: url.Values{"flat_settings": {"true"}, "include_defaults": {"true"}}})
	if err != nil {
		return nil, fmt.Errorf("search: settings of %s: %w", name, err)
	}
	var body map[string]struct {
		Settings, Defaults map[string]any
	}
	if err := json.Unmarshal(res.Body, &body); err != nil {
		return nil, fmt.Errorf("search: settings of %s: %w", name, err)
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		v, ok := body[name].Settings["index."+n]
		if !ok {
			v, ok = body[name].Defaults["index."+n]
		}
		if ok {
			out[n] = fmt.Sprint(v)
		}
	}
	return out, nil
}

// Mapping returns the live mapping of a tenant's index, for inspection and tests.
func (c *Client) Mapping(ctx context.Context, tenant, kind string) (map[string]any, error) {
	es, err := c.client()
	if err != nil {
		return nil, err
	}
	name := c.IndexName(tenant, kind)
	res, err := es.GetMapping().Index(name).Do(ctx)
	if err != nil {
		return nil, fmt.Errorf("search: get mapping %s: %w", name, err)
	}
	idx, _ := res[name].(map[string]any)
	m, _ := idx["mappings"].(map[string]any)
	return m, nil
}

func isAlreadyExists(err error) bool {
	return strings.Contains(err.Error(), "resource_already_exists_exception")
}

// bulkLoadSettings are the index settings a bulk load runs with, as Elasticsearch
// advises for one: no scheduled refresh (larger segments, fewer merges), and the
// translog synced to disk every few seconds rather than before each bulk request
// is answered (a crash loses at most those seconds of writes, which a derived
// index's writer writes again: its run did not finish).
var bulkLoadSettings = map[string]any{"refresh_interval": "-1", "translog.durability": "async", "translog.sync_interval": "10s"}

// restingSettings are the settings of an index that no bulk load is writing: the
// mapping file's (a nil value restores Elasticsearch's default).
func restingSettings(m mappingFile) map[string]any {
	out := make(map[string]any, len(bulkLoadSettings))
	for k := range bulkLoadSettings {
		out[k] = m.Settings[k]
	}
	return out
}

// BulkLoad puts a tenant's index of the given kind in bulk-load mode
// (bulkLoadSettings). done puts the mapping file's settings back and refreshes
// the index, so the load is searchable when it returns and the loader, not the
// next writer, pays for the refresh. Should done never run, EnsureTenant, which
// every start and every recompute runs, puts them back too.
func (c *Client) BulkLoad(ctx context.Context, tenant, kind string) (done func(context.Context) error, err error) {
	es, err := c.client()
	if err != nil {
		return nil, err
	}
	m, err := loadMapping(kind)
	if err != nil {
		return nil, err
	}
	name := c.IndexName(tenant, kind)
	if _, err := es.IndexPutSettings(name).BodyJson(map[string]any{"index": bulkLoadSettings}).Do(ctx); err != nil {
		return nil, fmt.Errorf("search: start bulk load of %s: %w", name, err)
	}
	return func(ctx context.Context) error {
		if _, err := es.IndexPutSettings(name).BodyJson(map[string]any{"index": restingSettings(m)}).Do(ctx); err != nil {
			return fmt.Errorf("search: end bulk load of %s: %w", name, err)
		}
		if _, err := es.Refresh(name).Do(ctx); err != nil {
			return fmt.Errorf("search: refresh %s: %w", name, err)
		}
		return nil
	}, nil
}
