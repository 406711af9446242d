package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for creating the bench database
)

// benchConfig is the YAML file the server under test reads; everything else comes
// from the environment.
const benchConfig = `# written by srg bench ingest
tenants:
  - slug: bench
    name: Bench
    sites:
      - key: bench-site
        name: Bench site
        domains: [localhost]
`

// child is the srg server under test and what was made for it.
type child struct {
	cmd      *exec.Cmd
	addr     string // 127.0.0.1:port
	dbName   string
	adminURL string
	es       *elastic
	dir      string
	done     chan struct{} // closed when the process has exited
	waitErr  error
	stderr   *tailWriter
}

// startChild creates the database and the config, starts `bin serve` and waits
// until it is ready and its touchpoints index exists. On error everything made so
// far is already cleaned up.
func startChild(ctx context.Context, o IngestOptions, token string, log io.Writer) (_ *child, err error) {
	c := &child{adminURL: o.DatabaseURL, dbName: "srg_bench_" + token}
	c.es = &elastic{base: strings.TrimRight(strings.Split(o.ElasticsearchURL, ",")[0], "/"), prefix: "bench" + token,
		http: &http.Client{Timeout: 30 * time.Second}}
	defer func() {
		if err != nil {
			c.stop(log)
		}
	}()
	if c.dir, err = os.MkdirTemp("", "srg-bench-"); err != nil {
		return c, fmt.Errorf("bench: temp dir: %w", err)
	}
	cfgPath := filepath.Join(c.dir, "srg.yaml")
	if err := os.WriteFile(cfgPath, []byte(benchConfig), 0o600); err != nil {
		return c, fmt.Errorf("bench: write config: %w", err)
	}
	dbURL, err := c.createDatabase(ctx)
	if err != nil {
		return c, err
	}
	if c.addr, err = freePort(); err != nil {
		return c, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	env := []string{
		"SRG_CONFIG=" + cfgPath,
		"SRG_DATABASE_URL=" + dbURL,
		"SRG_ELASTICSEARCH_URL=" + o.ElasticsearchURL,
		"SRG_ELASTICSEARCH_INDEX_PREFIX=" + c.es.prefix,
		"SRG_SECRETS_KEY=" + base64.StdEncoding.EncodeToString(key),
		"SRG_SERVER_LISTEN=" + c.addr,
		"SRG_SERVER_PUBLIC_URL=http://" + c.addr,
		"SRG_SERVER_SHUTDOWN_TIMEOUT=5s",
		"SRG_TRACKING_SPOOL_DIR=" + filepath.Join(c.dir, "spool"),
		"SRG_TRACKING_RATE_LIMIT_PER_IP=0",
		"SRG_TRACKING_RATE_LIMIT_PER_SITE=0",
		"SRG_JOBS_ENABLED=false",
		"SRG_LOG_LEVEL=warn",
	}
	for _, kv := range os.Environ() {
		// Only the bench decides the server's settings, but for the profiler, which
		// lets a run be profiled.
		if !strings.HasPrefix(kv, "SRG_") || strings.HasPrefix(kv, "SRG_SERVER_PPROF_LISTEN=") {
			env = append(env, kv)
		}
	}
	c.stderr = &tailWriter{w: log, prefix: "srg: "}
	c.cmd = exec.Command(o.Binary, "serve")
	c.cmd.Env = env
	c.cmd.Dir = c.dir
	c.cmd.Stdout = c.stderr
	c.cmd.Stderr = c.stderr
	c.cmd.SysProcAttr = childAttr()
	if err := c.cmd.Start(); err != nil {
		c.cmd = nil
		return c, fmt.Errorf("bench: start %s: %w", o.Binary, err)
	}
	c.done = make(chan struct{})
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.done)
	}()
	fmt.Fprintf(log, "started %s serve (pid %d) on %s, database %s, index prefix %s\n",
		o.Binary, c.cmd.Process.Pid, c.addr, c.dbName, c.es.prefix)
	if err := c.waitReady(ctx, 120*time.Second); err != nil {
		return c, err
	}
	return c, nil
}

func (c *child) createDatabase(ctx context.Context) (string, error) {
	u, err := url.Parse(c.adminURL)
	if err != nil {
		return "", fmt.Errorf("bench: database URL: %w", err)
	}
	admin, err := sql.Open("pgx", c.adminURL)
	if err != nil {
		return "", fmt.Errorf("bench: open database: %w", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+c.dbName); err != nil {
		c.dbName = "" // nothing to drop
		return "", fmt.Errorf("bench: create database: %w", err)
	}
	u.Path = "/" + c.dbName
	return u.String(), nil
}

// waitReady polls /readyz and the touchpoints index until both answer 200.
func (c *child) waitReady(ctx context.Context, limit time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	index := c.es.index()
	end := time.Now().Add(limit)
	ready := false
	for time.Now().Before(end) {
		if !ready {
			if resp, err := client.Get("http://" + c.addr + "/readyz"); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ready = resp.StatusCode == http.StatusOK
			}
		}
		if ready {
			if ok, err := c.es.exists(ctx, index); err != nil {
				return err
			} else if ok {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
			return fmt.Errorf("bench: srg exited before it was ready (%v); last output:\n%s", c.waitErr, c.stderr.tail())
		case <-time.After(200 * time.Millisecond):
		}
	}
	if !ready {
		return fmt.Errorf("bench: srg not ready after %s; last output:\n%s", limit, c.stderr.tail())
	}
	return fmt.Errorf("bench: index %s not created after %s", index, limit)
}

// pid is the server's process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// stop ends the server (SIGTERM, then SIGKILL after 10 s) and removes the database,
// the indices and the temp directory. It reports problems to log and goes on.
func (c *child) stop(log io.Writer) {
	if c.cmd != nil {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if c.dbName != "" {
		if admin, err := sql.Open("pgx", c.adminURL); err == nil {
			_, err = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+c.dbName+" WITH (FORCE)")
			admin.Close()
			if err != nil {
				fmt.Fprintf(log, "bench: drop database %s: %v\n", c.dbName, err)
			}
		}
	}
	if c.es != nil {
		if err := c.es.dropAll(ctx); err != nil {
			fmt.Fprintf(log, "bench: drop indices %s-*: %v\n", c.es.prefix, err)
		}
	}
	if c.dir != "" {
		if err := os.RemoveAll(c.dir); err != nil {
			fmt.Fprintf(log, "bench: remove %s: %v\n", c.dir, err)
		}
	}
}

// freePort returns a loopback address nobody listens on right now.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("bench: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startBaseline serves a bare net/http handler that reads the body and answers 204:
// what the machine can do with no work per request.
func startBaseline() (addr string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("bench: baseline listener: %w", err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusNoContent)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(l) }()
	return l.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// tailWriter forwards the server's output line by line to the progress log with a
// prefix, keeping the last lines for error messages.
type tailWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	last   []string
	part   []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.part = append(t.part, p...)
	for range 10000 {
		i := bytes.IndexByte(t.part, '\n')
		if i < 0 {
			break
		}
		line := string(t.part[:i])
		t.part = t.part[i+1:]
		fmt.Fprintf(t.w, "%s%s\n", t.prefix, line)
		t.last = append(t.last, line)
		if len(t.last) > 20 {
			t.last = t.last[1:]
		}
	}
	return len(p), nil
}

func (t *tailWriter) tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(append(t.last, string(t.part)), "\n")
}
