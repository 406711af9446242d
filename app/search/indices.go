package search

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"

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
// one tenant. It is idempotent; mapping changes must be additive.
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
		if !exists {
			if _, err := es.CreateIndex(name).Do(ctx); err != nil && !isAlreadyExists(err) {
				return fmt.Errorf("search: create index %s: %w", name, err)
			}
			continue
		}
		if _, err := es.PutMapping().Index(name).BodyJson(m.Mappings).Do(ctx); err != nil {
			return fmt.Errorf("search: update mapping of %s: %w", name, err)
		}
		if len(m.Settings) > 0 {
			if _, err := es.IndexPutSettings(name).BodyJson(map[string]any{"index": m.Settings}).Do(ctx); err != nil {
				return fmt.Errorf("search: update settings of %s: %w", name, err)
			}
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

// PauseRefresh stops a tenant's index of the given kind from making writes
// searchable on its own (refresh_interval -1), the way Elasticsearch advises for a
// bulk load: it then writes larger segments and merges less. resume puts the
// mapping file's interval back and refreshes the index, so the load is searchable
// when it returns and the loader, not the next writer, pays for the refresh.
// Should resume never run, EnsureTenant, which every start and every recompute
// runs, puts the interval back too.
func (c *Client) PauseRefresh(ctx context.Context, tenant, kind string) (resume func(context.Context) error, err error) {
	es, err := c.client()
	if err != nil {
		return nil, err
	}
	m, err := loadMapping(kind)
	if err != nil {
		return nil, err
	}
	name := c.IndexName(tenant, kind)
	if _, err := es.IndexPutSettings(name).BodyJson(map[string]any{"index": map[string]any{"refresh_interval": "-1"}}).Do(ctx); err != nil {
		return nil, fmt.Errorf("search: pause refresh of %s: %w", name, err)
	}
	return func(ctx context.Context) error {
		// nil restores Elasticsearch's default when the mapping file sets none.
		if _, err := es.IndexPutSettings(name).BodyJson(map[string]any{"index": map[string]any{"refresh_interval": m.Settings["refresh_interval"]}}).Do(ctx); err != nil {
			return fmt.Errorf("search: resume refresh of %s: %w", name, err)
		}
		if _, err := es.Refresh(name).Do(ctx); err != nil {
			return fmt.Errorf("search: refresh %s: %w", name, err)
		}
		return nil
	}, nil
}
