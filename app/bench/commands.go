package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// commandStack is a fresh database, index prefix and directory for running srg
// commands against, with the environment that points them there.
type commandStack struct {
	*child
	dbURL  string
	env    []string
	binary string
	log    io.Writer
}

// newCommandStack creates the stack; close it with c.stop.
func newCommandStack(ctx context.Context, binary, databaseURL, elasticsearchURL string, log io.Writer) (*commandStack, error) {
	token := newToken(8)
	c := &child{adminURL: databaseURL, dbName: "srg_bench_" + token}
	c.es = &elastic{base: strings.TrimRight(strings.Split(elasticsearchURL, ",")[0], "/"), prefix: "bench" + token,
		http: &http.Client{Timeout: 30 * time.Second}}
	s := &commandStack{child: c, binary: binary, log: log}
	var err error
	if c.dir, err = os.MkdirTemp("", "srg-bench-"); err != nil {
		return s, fmt.Errorf("bench: temp dir: %w", err)
	}
	cfgPath := filepath.Join(c.dir, "srg.yaml")
	if err := os.WriteFile(cfgPath, []byte(benchConfig), 0o600); err != nil {
		return s, fmt.Errorf("bench: write config: %w", err)
	}
	if s.dbURL, err = c.createDatabase(ctx); err != nil {
		return s, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s.env = []string{
		"SRG_CONFIG=" + cfgPath,
		"SRG_DATABASE_URL=" + s.dbURL,
		"SRG_ELASTICSEARCH_URL=" + elasticsearchURL,
		"SRG_ELASTICSEARCH_INDEX_PREFIX=" + c.es.prefix,
		"SRG_SECRETS_KEY=" + base64.StdEncoding.EncodeToString(key),
		"SRG_TRACKING_SPOOL_DIR=" + filepath.Join(c.dir, "spool"),
		"SRG_LOG_LEVEL=warn",
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SRG_") {
			s.env = append(s.env, kv)
		}
	}
	return s, nil
}

// run runs one srg command and returns how long it took and its peak resident
// memory in kB, sampled from /proc: the rusage of a child started with vfork
// counts the parent's memory too.
func (s *commandStack) run(ctx context.Context, stdout io.Writer, args ...string) (time.Duration, int64, error) {
	cmd := exec.CommandContext(ctx, s.binary, args...)
	cmd.Env, cmd.Dir, cmd.Stdout = s.env, s.dir, stdout
	tail := &tailWriter{w: s.log, prefix: "srg: "}
	cmd.Stderr = tail
	cmd.SysProcAttr = childAttr()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("bench: start srg: %w", err)
	}
	peak := startRSSSampler(cmd.Process.Pid)
	err := cmd.Wait()
	took, rss := time.Since(start), peak()
	if err != nil {
		return took, rss, fmt.Errorf("bench: srg %s: %w\n%s", strings.Join(args, " "), err, tail.tail())
	}
	return took, rss, nil
}
