// Package apptest gives integration tests their own slice of the real dev stack: a fresh
// Postgres database and an Elasticsearch index prefix per test, dropped on cleanup
// (kept when KEEPDB is set). Start the stack with `make test` or
// `eval "$(scripts/devstack up)"`.
package apptest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for creating test databases
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/migrations"
)

// StackURLs returns the dev stack's Postgres and Elasticsearch URLs, failing the test
// with instructions when they are not set.
func StackURLs(t testing.TB) (pg, es string) {
	t.Helper()
	pg, es = os.Getenv("SRG_DATABASE_URL"), os.Getenv("SRG_ELASTICSEARCH_URL")
	if pg == "" || es == "" {
		t.Fatal(`integration test needs the dev stack: run "make test", or eval "$(scripts/devstack up)" first`)
	}
	return pg, es
}

// Config returns a valid configuration whose database is a new, empty Postgres database
// and whose Elasticsearch index prefix is unique to the test. Jobs are off.
func Config(t testing.TB) config.Config {
	t.Helper()
	pg, es := StackURLs(t)
	suffix := randomName(10)
	dbName := "srgt_" + suffix
	admin, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatalf("apptest: open admin connection: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + dbName); err != nil {
		t.Fatalf("apptest: create database: %v", err)
	}
	u, err := url.Parse(pg)
	if err != nil {
		t.Fatalf("apptest: SRG_DATABASE_URL: %v", err)
	}
	u.Path = "/" + dbName

	cfg := config.Default()
	cfg.Database.URL = u.String()
	cfg.Database.MaxOpenConns = 10
	cfg.Elasticsearch.URL = es
	cfg.Elasticsearch.IndexPrefix = "t" + suffix
	cfg.Elasticsearch.HealthcheckInterval = time.Second
	cfg.Elasticsearch.MaxRetries = 2
	cfg.Secrets.Key = NewKey()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.ShutdownTimeout = 10 * time.Second
	cfg.Jobs.Enabled = false
	cfg.Log.Level = "warn"
	cfg.Tracking.SpoolDir = t.TempDir()
	if p := cfg.Validate(); len(p) > 0 {
		t.Fatalf("apptest: config invalid: %v", p)
	}

	t.Cleanup(func() {
		if os.Getenv("KEEPDB") != "" {
			t.Logf("KEEPDB set: keeping database %s and indices %s-*", dbName, cfg.Elasticsearch.IndexPrefix)
			return
		}
		admin, err := sql.Open("pgx", pg)
		if err == nil {
			_, err = admin.Exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)")
			admin.Close()
		}
		if err != nil {
			t.Errorf("apptest: drop database %s: %v", dbName, err)
		}
		if err := DropIndices(es, cfg.Elasticsearch.IndexPrefix); err != nil {
			t.Errorf("apptest: drop indices: %v", err)
		}
	})
	return cfg
}

// DB opens cfg's database with every migration applied.
func DB(t testing.TB, cfg config.Config) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	m, err := db.NewMigrator(ctx, cfg.Database, migrations.SQL)
	if err != nil {
		t.Fatalf("apptest: %v", err)
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("apptest: %v", err)
	}
	gdb, err := db.Open(ctx, cfg.Database, Logger(t))
	if err != nil {
		t.Fatalf("apptest: %v", err)
	}
	t.Cleanup(func() { db.SQL(gdb).Close() })
	return gdb
}

// Search returns a connected Elasticsearch client for cfg.
func Search(t testing.TB, cfg config.Config) *search.Client {
	t.Helper()
	c := search.New(cfg.Elasticsearch, cfg.ElasticsearchURLs(), Logger(t))
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Wait(ctx); err != nil {
		t.Fatalf("apptest: elasticsearch: %v", err)
	}
	return c
}

// Logger writes to the test log at warn level and above.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// NewKey returns a fresh base64 secrets key.
func NewKey() string {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

func randomName(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	b[0] = letters[int(b[0])%26]
	return string(b)
}

// DropIndices deletes every index and index template whose name starts with prefix-.
func DropIndices(esURL, prefix string) error {
	base := strings.TrimRight(strings.Split(esURL, ",")[0], "/")
	if err := do(http.MethodDelete, base+"/"+prefix+"-*?expand_wildcards=all", nil); err != nil {
		return err
	}
	var templates struct {
		IndexTemplates []struct {
			Name string `json:"name"`
		} `json:"index_templates"`
	}
	if err := do(http.MethodGet, base+"/_index_template/"+prefix+"-*", &templates); err != nil {
		return err
	}
	for _, tpl := range templates.IndexTemplates {
		if err := do(http.MethodDelete, base+"/_index_template/"+tpl.Name, nil); err != nil {
			return err
		}
	}
	return nil
}

func do(method, u string, out any) error {
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, body)
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

// System is gdb under the system scope, which sees and writes every tenant's rows: for
// tests' fixtures and checks, never for the code under test.
func System(gdb *gorm.DB) *gorm.DB { return gdb.WithContext(db.WithSystem(context.Background())) }
