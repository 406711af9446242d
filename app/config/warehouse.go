package config

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/srgplatform/srg/app/jobs"
)

// Warehouse configures exports to the tenants' warehouses.
type Warehouse struct {
	// DefaultSchedule is a new destination's schedule unless it names one.
	DefaultSchedule string `koanf:"default_schedule"`
	// Settle is how far behind now (and behind the oldest open transaction) a run
	// stops, so that what was written just before is visible to it.
	Settle time.Duration `koanf:"settle"`
	// LocalDir is the directory local destinations write under (one folder per
	// tenant); empty turns local destinations off.
	LocalDir string `koanf:"local_dir"`
	// FileRows is the most rows one Parquet file holds.
	FileRows int `koanf:"file_rows"`
}

func (w Warehouse) validate() Problems {
	var p Problems
	add := func(key, format string, args ...any) {
		p = append(p, "warehouse."+key+": "+fmt.Sprintf(format, args...))
	}
	if _, err := jobs.ParseSchedule(w.DefaultSchedule); err != nil {
		add("default_schedule", "%v", err)
	}
	if w.Settle < 0 || w.Settle > 24*time.Hour {
		add("settle", "must be between 0s and 24h, got %s", w.Settle)
	}
	if w.LocalDir != "" && !filepath.IsAbs(w.LocalDir) {
		add("local_dir", "must be an absolute path, got %q", w.LocalDir)
	}
	if w.FileRows < 1000 || w.FileRows > 100_000_000 {
		add("file_rows", "must be between 1000 and 100000000, got %d", w.FileRows)
	}
	return p
}
