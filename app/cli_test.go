package app_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app"
	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/migrations"
)

func runCLI(environ []string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := app.Main(append([]string{"srg"}, args...), environ, &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "srg.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigCheck(t *testing.T) {
	key := apptest.NewKey()
	base := "database:\n  url: postgres://u:secretpw@db:5432/srg\nelasticsearch:\n  url: http://es:9200\n"
	env := []string{"SRG_SECRETS_KEY=" + key}
	badPolicy := filepath.Join(t.TempDir(), "policy.csv")
	if err := os.WriteFile(badPolicy, []byte("p, owner, *, dashboards, read\np, boss, *, audit, read\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     func(path string) []string
		file     string
		env      []string
		code     int
		stdout   string
		stderr   string
		noSecret bool
	}{
		{"example file", func(string) []string { return []string{"config", "check", "--config", "../config/srg.example.yaml"} }, "", env, 0, "config OK: mode development, 1 tenant(s), 1 site(s), 79 permission rule(s)", "", true},
		{"print hides secrets", func(p string) []string { return []string{"config", "check", "--print", "--config", p} }, base, env, 0, "database.url: (set, hidden)", "", true},
		{"config from SRG_CONFIG", func(string) []string { return []string{"config", "check"} }, base, nil, 0, "config OK", "", true},
		{"unknown key", func(p string) []string { return []string{"config", "check", "--config", p} }, base + "colour: red\n", env, 1, "", "colour: unknown key", true},
		{"wrong type", func(p string) []string { return []string{"config", "check", "--config", p} }, base + "server:\n  read_timeout: [1]\n", env, 1, "", "server.read_timeout", true},
		{"missing value", func(p string) []string { return []string{"config", "check", "--config", p} }, base, nil, 1, "", "secrets.key: required", true},
		{"bad tenant slug", func(p string) []string { return []string{"config", "check", "--config", p} }, base + "tenants:\n  - {slug: Bad_Slug, name: B}\n", env, 1, "", "tenants[0].slug", true},
		{"bad permission matrix", func(p string) []string { return []string{"config", "check", "--config", p} }, base + "access:\n  policy_file: " + badPolicy + "\n", env, 1, "", badPolicy + `: line 2: unknown role "boss"`, true},
		{"missing permission model", func(p string) []string { return []string{"config", "check", "--config", p} }, base + "access:\n  model_file: /nonexistent/model.conf\n", env, 1, "", `access.model_file: "/nonexistent/model.conf" is not a readable file`, true},
		{"missing file", func(string) []string { return []string{"config", "check", "--config", "/nonexistent/srg.yaml"} }, "", env, 1, "", "no such file", true},
		{"no subcommand", func(string) []string { return []string{"config"} }, "", env, 2, "", "want check", true},
		{"unknown flag", func(string) []string { return []string{"config", "check", "--colour"} }, "", env, 2, "", "flag provided but not defined", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			environ := tt.env
			if tt.name == "config from SRG_CONFIG" {
				environ = []string{"SRG_CONFIG=" + path, "SRG_SECRETS_KEY=" + key}
			}
			code, stdout, stderr := runCLI(environ, tt.args(path)...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			for _, secret := range []string{key, "secretpw"} {
				if strings.Contains(stdout+stderr, secret) {
					t.Fatalf("output shows a secret:\n%s%s", stdout, stderr)
				}
			}
		})
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		output string
	}{
		{"no command", nil, 2, "usage: srg <command>"},
		{"help", []string{"--help"}, 0, "migrate up|down|status"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"version", []string{"version"}, 0, "srg "},
		{"serve help", []string{"serve", "--help"}, 0, "usage: srg serve"},
		{"migrate help", []string{"migrate", "--help"}, 0, "-all"},
		{"config help", []string{"config", "-h"}, 0, "-print"},
		{"version help", []string{"version", "--help"}, 0, "usage: srg version"},
		{"migrate without direction", []string{"migrate"}, 2, "want one of up, down, status"},
		{"migrate sideways", []string{"migrate", "sideways"}, 2, "want one of up, down, status"},
		{"serve with arguments", []string{"serve", "now"}, 2, "serve takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(nil, tt.args...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.output) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
		})
	}
}

func TestMigrateCommands(t *testing.T) {
	cfg := apptest.Config(t)
	env := stackEnviron(t, cfg)
	files, err := fs.Glob(migrations.SQL, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	n := len(files)
	steps := []struct {
		args   []string
		output string
	}{
		{[]string{"migrate", "status"}, "pending"},
		{[]string{"migrate", "up"}, fmt.Sprintf("applied %d migration(s)", n)},
		{[]string{"migrate", "status"}, "00001_foundation.sql"},
		{[]string{"migrate", "up"}, "applied 0 migration(s)"},
		{[]string{"migrate", "down"}, "rolled back 1 migration(s)"},
		{[]string{"migrate", "up"}, "applied 1 migration(s)"},
		{[]string{"migrate", "down", "--all"}, fmt.Sprintf("rolled back %d migration(s)", n)},
	}
	for _, s := range steps {
		code, stdout, stderr := runCLI(env, s.args...)
		if code != 0 || !strings.Contains(stdout, s.output) {
			t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", s.args, code, stdout, stderr)
		}
	}
	code, _, stderr := runCLI(append(env, "SRG_DATABASE_URL=postgres://nobody:x@127.0.0.1:1/none"), "migrate", "up")
	if code != 1 || !strings.Contains(stderr, "db: connect") {
		t.Fatalf("unreachable database: exit %d, %s", code, stderr)
	}
}
