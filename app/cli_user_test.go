package app_test

import (
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/modules/auth/authtest"
)

// stackEnviron is the environment of an srg command run against cfg's database and
// indices (the test's own index prefix, so that nothing it creates outlives the test)
// with its own spool, followed by extra.
func stackEnviron(t *testing.T, cfg config.Config, extra ...string) []string {
	return append([]string{"SRG_DATABASE_URL=" + cfg.Database.URL, "SRG_ELASTICSEARCH_URL=" + cfg.Elasticsearch.URL,
		"SRG_ELASTICSEARCH_INDEX_PREFIX=" + cfg.Elasticsearch.IndexPrefix, "SRG_SECRETS_KEY=" + cfg.Secrets.Key,
		"SRG_TRACKING_SPOOL_DIR=" + t.TempDir()}, extra...)
}

// cliEnviron is stackEnviron with the config file configYAML and cheap password hashing.
func cliEnviron(t *testing.T, cfg config.Config, configYAML string) []string {
	return stackEnviron(t, cfg, "SRG_CONFIG="+writeFile(t, configYAML),
		"SRG_AUTH_ARGON2_MEMORY=8192", "SRG_AUTH_ARGON2_ITERATIONS=1", "SRG_AUTH_ARGON2_PARALLELISM=1", "SRG_JOBS_ENABLED=false")
}

func TestUserCommands(t *testing.T) {
	cfg, fake := authConfig(t)
	env := cliEnviron(t, cfg, "tenants:\n  - slug: demo\n    name: Demo\n")
	withPassword := func(pw string) []string { return append(append([]string{}, env...), "SRG_USER_PASSWORD="+pw) }
	add := []string{"user", "add", "--email", "ann@demo.example", "--name", "Ann", "--phone", "+15555550111", "--tenant", "demo", "--role", "marketer"}
	tests := []struct {
		name   string
		env    []string
		args   []string
		code   int
		output string
	}{
		{"add", withPassword("ann's first password"), add, 0, "added ann@demo.example: marketer of demo, password set"},
		{"add again", withPassword("ann's second password"), add, 0, "updated ann@demo.example"},
		{"passwd", withPassword("ann's third password"), []string{"user", "passwd", "--email", "ann@demo.example"}, 0, "password of ann@demo.example set; their sessions were ended"},
		{"no subcommand", env, []string{"user"}, 2, "want add or passwd"},
		{"bad email", withPassword("long enough password"), []string{"user", "passwd", "--email", "ann"}, 2, `--email "ann" is not an email address`},
		{"no name", withPassword("long enough password"), []string{"user", "add", "--email", "x@demo.example", "--phone", "+15555550112", "--tenant", "demo"}, 2, "--name is required"},
		{"bad phone", withPassword("long enough password"), []string{"user", "add", "--email", "x@demo.example", "--name", "X", "--phone", "555-0112", "--tenant", "demo"}, 2, "must be in E.164 form"},
		{"bad role", withPassword("long enough password"), []string{"user", "add", "--email", "x@demo.example", "--name", "X", "--phone", "+15555550112", "--tenant", "demo", "--role", "god"}, 2, "--role must be one of"},
		{"no tenant", withPassword("long enough password"), []string{"user", "add", "--email", "x@demo.example", "--name", "X", "--phone", "+15555550112"}, 2, "--tenant is required"},
		{"unknown tenant", withPassword("long enough password"), []string{"user", "add", "--email", "x@demo.example", "--name", "X", "--phone", "+15555550112", "--tenant", "nope"}, 1, `no tenant "nope"`},
		{"short password", withPassword("short"), add, 1, "The password must have at least 12 characters."},
		{"unknown user", withPassword("long enough password"), []string{"user", "passwd", "--email", "ghost@demo.example"}, 1, `no user with the email "ghost@demo.example"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.env, tt.args...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.output) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
		})
	}

	t.Run("password from standard input", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		w.WriteString("ann's piped password\n")
		w.Close()
		stdin := os.Stdin
		os.Stdin = r
		defer func() { os.Stdin = stdin }()
		if code, _, stderr := runCLI(env, "user", "passwd", "--email", "ann@demo.example"); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})
	t.Run("empty standard input", func(t *testing.T) {
		r, w, _ := os.Pipe()
		w.Close()
		stdin := os.Stdin
		os.Stdin = r
		defer func() { os.Stdin = stdin }()
		if code, _, stderr := runCLI(env, "user", "passwd", "--email", "ann@demo.example"); code != 1 || !strings.Contains(stderr, "no password: give it on standard input or in $SRG_USER_PASSWORD") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})

	cfg.Tenants = nil
	p := build(t, cfg)
	var role string
	apptest.System(p.DB).Raw(`SELECT m.role FROM tenant_members m JOIN users u ON u.id = m.user_id WHERE u.email = 'ann@demo.example'`).Scan(&role)
	if role != "marketer" {
		t.Fatalf("membership %q", role)
	}
	srv := httptest.NewServer(p.Echo)
	defer srv.Close()
	authtest.New(t, srv.URL, codeFrom(t, fake)).SignIn("ann@demo.example", "ann's piped password", "+15555550111")
}

func TestProductionRefusesToStartWithoutTwilio(t *testing.T) {
	cfg := apptest.Config(t)
	env := stackEnviron(t, cfg, "SRG_MODE=production")
	for _, args := range [][]string{{"serve"}, {"config", "check"}} {
		code, _, stderr := runCLI(env, args...)
		if code != 1 || !strings.Contains(stderr, "auth.twilio: production mode needs Twilio for login codes") {
			t.Fatalf("%v in production without Twilio: exit %d\n%s", args, code, stderr)
		}
	}
}
