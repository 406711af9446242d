package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// SyncSource is a fake source, already running and seeded, to sync from.
type SyncSource struct {
	Kind        string
	Credentials json.RawMessage
	Settings    json.RawMessage
}

// SyncOptions configure RunSync.
type SyncOptions struct {
	Binary           string
	DatabaseURL      string
	ElasticsearchURL string
	Sources          []SyncSource
	Out, Log         io.Writer
}

// RunSync connects each source to a fresh tenant in a new database with `srg
// connect`, runs a full sync with `srg sync` in a child process, and prints the
// objects written, objects/s and the child's peak resident memory per source.
func RunSync(ctx context.Context, o SyncOptions) error {
	st, err := newCommandStack(ctx, o.Binary, o.DatabaseURL, o.ElasticsearchURL, o.Log)
	defer st.stop(o.Log)
	if err != nil {
		return err
	}
	run := func(stdout io.Writer, args ...string) (int64, error) {
		_, rss, err := st.run(ctx, stdout, args...)
		return rss, err
	}
	var total int
	var totalTime time.Duration
	var peak int64
	for _, s := range o.Sources {
		creds, settings := filepath.Join(st.dir, s.Kind+".credentials.json"), filepath.Join(st.dir, s.Kind+".settings.json")
		var withWriteback map[string]any
		if err := json.Unmarshal(s.Settings, &withWriteback); err != nil {
			return fmt.Errorf("bench: %s settings: %w", s.Kind, err)
		}
		withWriteback["writeback"] = false
		rawSettings, _ := json.Marshal(withWriteback)
		if err := os.WriteFile(creds, s.Credentials, 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(settings, rawSettings, 0o600); err != nil {
			return err
		}
		if _, err := run(io.Discard, "connect", s.Kind, "--tenant", "bench", "--credentials", creds, "--settings", settings); err != nil {
			return err
		}
		var out bytes.Buffer
		start := time.Now()
		rss, err := run(&out, "sync", s.Kind, "--tenant", "bench")
		took := time.Since(start)
		if err != nil {
			return err
		}
		var res struct {
			Counts map[string]int `json:"counts"`
		}
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			return fmt.Errorf("bench: srg sync %s printed %q: %w", s.Kind, out.String(), err)
		}
		objects := 0
		for _, n := range res.Counts {
			objects += n
		}
		fmt.Fprintf(o.Log, "%s: %v in %s\n", s.Kind, res.Counts, took.Round(time.Millisecond))
		fmt.Fprintf(o.Out, "sync_%s_objects=%d\n", s.Kind, objects)
		fmt.Fprintf(o.Out, "sync_%s_seconds=%.2f\n", s.Kind, took.Seconds())
		fmt.Fprintf(o.Out, "sync_%s_objects_per_s=%.0f\n", s.Kind, float64(objects)/took.Seconds())
		fmt.Fprintf(o.Out, "sync_%s_peak_rss_mb=%.1f\n", s.Kind, float64(rss)/1024)
		total += objects
		totalTime += took
		peak = max(peak, rss)
	}
	fmt.Fprintf(o.Out, "sync_objects=%d\n", total)
	fmt.Fprintf(o.Out, "sync_objects_per_s=%.0f\n", float64(total)/totalTime.Seconds())
	fmt.Fprintf(o.Out, "sync_peak_rss_mb=%.1f\n", float64(peak)/1024)
	return nil
}
