package app_test

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/apptest"
)

// buildBinary compiles srg for tests that must run it as a separate process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "srg")
	cmd := exec.Command("go", "build", "-o", bin, "..")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build srg: %v", err)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestSIGKILLLosesNoAcknowledgedEvent(t *testing.T) {
	bin := buildBinary(t)
	cfg := apptest.Config(t)
	addr := freeAddr(t)
	configFile := filepath.Join(t.TempDir(), "srg.yaml")
	os.WriteFile(configFile, []byte("tenants:\n  - slug: demo\n    name: Demo\n    sites:\n      - key: demo-site\n        domains: [localhost]\n"), 0o600)
	env := append(os.Environ(),
		"SRG_CONFIG="+configFile,
		"SRG_DATABASE_URL="+cfg.Database.URL,
		"SRG_ELASTICSEARCH_URL="+cfg.Elasticsearch.URL,
		"SRG_ELASTICSEARCH_INDEX_PREFIX="+cfg.Elasticsearch.IndexPrefix,
		"SRG_SECRETS_KEY="+cfg.Secrets.Key,
		"SRG_SERVER_LISTEN="+addr,
		"SRG_SERVER_PUBLIC_URL=http://"+addr,
		"SRG_TRACKING_SPOOL_DIR="+cfg.Tracking.SpoolDir,
		"SRG_TRACKING_RATE_LIMIT_PER_IP=0",
		"SRG_TRACKING_RATE_LIMIT_PER_SITE=0",
		"SRG_JOBS_ENABLED=false",
		"SRG_LOG_LEVEL=warn",
	)
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve")
		cmd.Env = env
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		waitFor(t, "srg to serve", func() bool {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
		return cmd
	}
	index := cfg.Elasticsearch.IndexPrefix + "-demo-touchpoints"

	srv := start()
	c := &collector{base: "http://" + addr}
	stop := make(chan struct{})
	wait := load(t, c, 4, stop)
	time.Sleep(1500 * time.Millisecond)
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	close(stop)
	acked := wait()
	if len(acked) < 50 {
		t.Fatalf("only %d events acknowledged before the kill", len(acked))
	}

	start()
	// Restarting replays the spool into Elasticsearch: on a loaded machine that has
	// taken over a minute.
	waitWithin(t, 3*time.Minute, "every acknowledged event indexed after the restart", func() bool {
		return countIDs(t, cfg.Elasticsearch.URL, index, acked) == int64(len(acked))
	})
	sent := c.n.Load()
	if total := totalDocs(t, cfg.Elasticsearch.URL, index); total > sent {
		t.Fatalf("%d documents for %d events sent: duplicates", total, sent)
	}
	t.Logf("%d events acknowledged before SIGKILL, all indexed once after restart", len(acked))
}
