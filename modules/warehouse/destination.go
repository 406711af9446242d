package warehouse

import (
	"context"
	"encoding/json"
	"time"
)

// Destination kinds.
const (
	KindPostgres = "postgres"
	KindS3       = "s3"
	KindLocal    = "local"
)

// Kinds lists the destination kinds.
var Kinds = []string{KindPostgres, KindS3, KindLocal}

// Target is where a run's data goes: a PostgreSQL-compatible database, or Parquet
// files in a bucket or a directory. The run is the unit of delivery: nothing a run
// wrote counts until Commit, which writes the run's manifest with it.
type Target interface {
	// Check connects and checks that the target can be written.
	Check(ctx context.Context) error
	// Begin starts delivering a run.
	Begin(ctx context.Context, run RunInfo) (Load, error)
	// Confirmed returns the manifest of a run the target holds, or nil when the run
	// never committed there.
	Confirmed(ctx context.Context, runID int64) (*Manifest, error)
	Close() error
}

// Load is one run being delivered.
type Load interface {
	// Open prepares a dataset (creating or migrating its table) and returns its writer.
	Open(ctx context.Context, ds *Dataset) (Writer, error)
	// Commit makes everything written visible at once, with the manifest.
	Commit(ctx context.Context, m *Manifest) error
	// Abort drops what the run wrote; it is called on failure, best effort.
	Abort(ctx context.Context)
}

// Writer receives a dataset's batches.
type Writer interface {
	Write(ctx context.Context, b *Batch) error
	// Close finishes the dataset and says what was written.
	Close(ctx context.Context) (Written, error)
}

// Written is what a writer delivered for one dataset.
type Written struct {
	Rows        int64    `json:"rows"`
	Deletes     int64    `json:"deletes"`
	Bytes       int64    `json:"bytes"`
	Files       []string `json:"files,omitempty"`
	DeleteFiles []string `json:"delete_files,omitempty"`
}

// RunInfo names a run for its target.
type RunInfo struct {
	ID        int64
	Tenant    string
	StartedAt time.Time
}

// ManifestVersion is the version of the manifest format.
const ManifestVersion = 1

// Manifest describes one committed run: per dataset, the range of changes it holds,
// its schema, and (for files) exactly which files it added, so that a loader picks
// up the new files and nothing else.
type Manifest struct {
	Version   int               `json:"version"`
	RunID     int64             `json:"run_id"`
	Tenant    string            `json:"tenant"`
	CreatedAt time.Time         `json:"created_at"`
	Datasets  []ManifestDataset `json:"datasets"`
}

// ManifestDataset is one dataset of a run.
type ManifestDataset struct {
	Name          string   `json:"name"`
	SchemaVersion int      `json:"schema_version"`
	Columns       []Column `json:"columns"`
	Key           []string `json:"key"`
	DeleteBy      []string `json:"delete_by,omitempty"`
	// Mode is "upsert" (apply delete files, then rows replace rows of the same key)
	// or "replace" (the files replace the whole dataset).
	Mode string `json:"mode"`
	From Mark   `json:"from"`
	To   Mark   `json:"to"`
	Written
}

// Encode returns the manifest as indented JSON.
func (m *Manifest) Encode() []byte {
	b, _ := json.MarshalIndent(m, "", "  ")
	return b
}

func manifestDataset(ds *Dataset, from, to Mark, w Written) ManifestDataset {
	mode := "upsert"
	if ds.Replace {
		mode = "replace"
	}
	return ManifestDataset{Name: ds.Name, SchemaVersion: ds.Version, Columns: ds.Columns, Key: ds.Key, DeleteBy: ds.DeleteBy,
		Mode: mode, From: from, To: to, Written: w}
}
