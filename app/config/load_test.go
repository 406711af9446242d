package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

const (
	twilioSID   = "AC0123456789abcdef0123456789abcdef"
	twilioToken = "0123456789abcdef0123456789abcdef"
	// existingFile is a file every test run has: this test's own source.
	existingFile = "load_test.go"
)

const minimal = `
database:
  url: postgres://u:p@localhost:5432/db
elasticsearch:
  url: http://localhost:9200
secrets:
  key: ` + testKey + `
`

func TestExampleFileIsValid(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "..", "config", "srg.example.yaml"), []string{"SRG_SECRETS_KEY=" + testKey})
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	if len(cfg.Tenants) != 1 || cfg.Tenants[0].Slug != "demo" {
		t.Fatalf("example declares tenants %+v, want demo", cfg.Tenants)
	}
	site := cfg.Tenants[0].Sites[0]
	if site.Key != "demo-site" || strings.Join(site.Domains, ",") != "localhost,127.0.0.1" {
		t.Fatalf("demo site = %+v", site)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     []string
		wantKey string
	}{
		{"unknown top-level key", minimal + "bogus: 1\n", nil, "bogus: unknown key"},
		{"unknown nested key", minimal + "server:\n  listne: x\n", nil, "server.listne: unknown key"},
		{"unknown key in a tenant", minimal + "tenants:\n  - slug: acme\n    name: A\n    colour: red\n", nil, "tenants[0].colour: unknown key"},
		{"wrong type int", strings.Replace(minimal, "database:\n", "database:\n  max_open_conns: lots\n", 1), nil, "database.max_open_conns: wrong type"},
		{"wrong type bool", minimal + "jobs:\n  enabled: sometimes\n", nil, "jobs.enabled: wrong type"},
		{"wrong type duration", minimal + "server:\n  read_timeout: forever\n", nil, "server.read_timeout"},
		{"wrong type list", minimal + "tenants: yes\n", nil, "tenants: wrong type"},
		{"missing database url", strings.Replace(minimal, "url: postgres://u:p@localhost:5432/db", "max_open_conns: 3", 1), nil, "database.url: required"},
		{"missing secrets key", strings.Replace(minimal, "key: "+testKey, "key: \"\"", 1), nil, "secrets.key: required"},
		{"short secrets key", minimal, []string{"SRG_SECRETS_KEY=c2hvcnQ="}, "secrets.key: must be 32 bytes"},
		{"bad tenant slug", minimal + "tenants:\n  - slug: Acme_Corp\n    name: A\n", nil, "tenants[0].slug"},
		{"slug starting with dash", minimal + "tenants:\n  - slug: -acme\n    name: A\n", nil, "tenants[0].slug"},
		{"duplicate slug", minimal + "tenants:\n  - slug: acme\n    name: A\n  - slug: acme\n    name: B\n", nil, "tenants[1].slug: \"acme\" is declared twice"},
		{"reserved slug", minimal + "tenants:\n  - slug: config\n    name: A\n", nil, "tenants[0].slug: \"config\" is reserved"},
		{"missing tenant name", minimal + "tenants:\n  - slug: acme\n", nil, "tenants[0].name: required"},
		{"unknown tenant currency", minimal + "tenants:\n  - slug: acme\n    name: A\n    currency: dollars\n", nil, "tenants[0].currency: \"dollars\" is not an ISO 4217"},
		{"lower-case tenant currency", minimal + "tenants:\n  - slug: acme\n    name: A\n    currency: eur\n", nil, "tenants[0].currency"},
		{"site without domains", minimal + "tenants:\n  - slug: acme\n    name: A\n    sites:\n      - key: acme-site\n", nil, "tenants[0].sites[0].domains: required"},
		{"bad domain", minimal + "tenants:\n  - slug: acme\n    name: A\n    sites:\n      - key: acme-site\n        domains: [\"http://x\"]\n", nil, "tenants[0].sites[0].domains[0]"},
		{"bad admin email", minimal + "tenants:\n  - slug: acme\n    name: A\n    admins:\n      - {name: X, email: nope, phone: \"+15555550100\"}\n", nil, "tenants[0].admins[0].email"},
		{"bad admin phone", minimal + "tenants:\n  - slug: acme\n    name: A\n    admins:\n      - {name: X, email: x@acme.test, phone: \"555\"}\n", nil, "tenants[0].admins[0].phone"},
		{"unquoted phone", minimal + "tenants:\n  - slug: acme\n    name: A\n    admins:\n      - {name: X, email: x@acme.test, phone: +15555550100}\n", nil, "tenants[0].admins[0].phone"},
		{"bad role", minimal + "tenants:\n  - slug: acme\n    name: A\n    admins:\n      - {name: X, email: x@acme.test, phone: \"+15555550100\", role: god}\n", nil, "tenants[0].admins[0].role"},
		{"bad mode", minimal + "mode: staging\n", nil, "mode: must be"},
		{"env bad int", minimal, []string{"SRG_DATABASE_MAX_OPEN_CONNS=many"}, "database.max_open_conns (from SRG_DATABASE_MAX_OPEN_CONNS): expected an integer"},
		{"env bad bool", minimal, []string{"SRG_JOBS_ENABLED=perhaps"}, "jobs.enabled (from SRG_JOBS_ENABLED)"},
		{"env unknown name", minimal, []string{"SRG_DATABSE_URL=x"}, "SRG_DATABSE_URL: environment variable names no config key"},
		{"bad trusted proxy", minimal + "tracking:\n  trusted_proxies: [10.0.0.0/8, proxy.local]\n", nil, "tracking.trusted_proxies[1]"},
		{"missing geoip database", minimal + "tracking:\n  geoip_db: /nonexistent/GeoLite2-Country.mmdb\n", nil, "tracking.geoip_db"},
		{"negative rate limit", minimal + "tracking:\n  rate_limit_per_ip: -1\n", nil, "tracking.rate_limit_per_ip"},
		{"long spool sync interval", minimal + "tracking:\n  spool_sync_interval: 1s\n", nil, "tracking.spool_sync_interval: must be between 0 and 100ms, got 1s"},
		{"negative spool sync interval", minimal, []string{"SRG_TRACKING_SPOOL_SYNC_INTERVAL=-1ms"}, "tracking.spool_sync_interval"},
		{"spool sync interval without unit", minimal, []string{"SRG_TRACKING_SPOOL_SYNC_INTERVAL=5"}, "tracking.spool_sync_interval"},
		{"huge bulk", minimal, []string{"SRG_TRACKING_BULK_SIZE=100000"}, "tracking.bulk_size"},
		{"negative burst pace", minimal, []string{"SRG_TRACKING_INDEX_RATE_DURING_BURSTS=-1"}, "tracking.index_rate_during_bursts"},
		{"no burst threshold", minimal, []string{"SRG_TRACKING_BURST_REQUESTS_PER_SECOND=0"}, "tracking.burst_requests_per_second"},
		{"burst threshold not a number", minimal, []string{"SRG_TRACKING_BURST_REQUESTS_PER_SECOND=lots"}, "burst_requests_per_second"},
		{"missing permission policy", minimal + "access:\n  policy_file: /nonexistent/rbac_policy.csv\n", nil, `access.policy_file: "/nonexistent/rbac_policy.csv" is not a readable file`},
		{"permission model is a directory", minimal + "access:\n  model_file: /tmp\n", nil, "access.model_file"},
		{"unknown access key", minimal + "access:\n  policy: x.csv\n", nil, "access.policy: unknown key"},
		{"production without twilio", minimal + "mode: production\n", nil, "auth.twilio: production mode needs Twilio"},
		{"twilio without sid", minimal + "auth:\n  twilio:\n    from: \"+15555550199\"\n", nil, "auth.twilio.account_sid: required when"},
		{"twilio bad sid", minimal + "auth:\n  twilio:\n    account_sid: AB123\n    auth_token: " + twilioToken + "\n    from: \"+15555550199\"\n", nil, "auth.twilio.account_sid: must be"},
		{"twilio without token", minimal + "auth:\n  twilio:\n    account_sid: " + twilioSID + "\n    from: \"+15555550199\"\n", nil, "auth.twilio.auth_token: required"},
		{"twilio without sender", minimal + "auth:\n  twilio:\n    account_sid: " + twilioSID + "\n    auth_token: " + twilioToken + "\n", nil, "auth.twilio: set verify_service_sid"},
		{"twilio bad verify sid", minimal + "auth:\n  twilio:\n    account_sid: " + twilioSID + "\n    auth_token: " + twilioToken + "\n    verify_service_sid: VA1\n", nil, "auth.twilio.verify_service_sid"},
		{"twilio bad from", minimal + "auth:\n  twilio:\n    account_sid: " + twilioSID + "\n    auth_token: " + twilioToken + "\n    from: \"555\"\n", nil, "auth.twilio.from"},
		{"twilio base url with path", minimal + "auth:\n  twilio:\n    account_sid: " + twilioSID + "\n    auth_token: " + twilioToken + "\n    from: \"+15555550199\"\n    base_url: http://fake/x\n", nil, "auth.twilio.base_url"},
		{"twilio short timeout", minimal, []string{"SRG_AUTH_TWILIO_TIMEOUT=10ms"}, "auth.twilio.timeout"},
		{"argon2 memory too small", minimal + "auth:\n  argon2:\n    memory: 64\n", nil, "auth.argon2.memory: must be between"},
		{"argon2 no iterations", minimal + "auth:\n  argon2:\n    iterations: 0\n", nil, "auth.argon2.iterations"},
		{"argon2 parallelism", minimal, []string{"SRG_AUTH_ARGON2_PARALLELISM=0"}, "auth.argon2.parallelism"},
		{"argon2 memory not a number", minimal + "auth:\n  argon2:\n    memory: lots\n", nil, "auth.argon2.memory: wrong type"},
		{"idle timeout zero", minimal + "auth:\n  session:\n    idle_timeout: 0s\n", nil, "auth.session.idle_timeout: must be at least 1m"},
		{"absolute timeout too short", minimal, []string{"SRG_AUTH_SESSION_ABSOLUTE_TIMEOUT=30s"}, "auth.session.absolute_timeout: must be at least 1m"},
		{"absolute timeout not a duration", minimal + "auth:\n  session:\n    absolute_timeout: forever\n", nil, "auth.session.absolute_timeout"},
		{"idle over absolute", minimal + "auth:\n  session:\n    idle_timeout: 13h\n", nil, "auth.session.idle_timeout: must not exceed"},
		{"bad password env", minimal + "tenants:\n  - slug: acme\n    name: A\n    admins:\n      - {name: X, email: x@acme.test, phone: \"+15555550100\", password_env: \"my var\"}\n", nil, "tenants[0].admins[0].password_env: must be an environment variable name"},
		{"password env with SRG prefix", minimal + "tenants:\n  - slug: acme\n    name: A\n    admins:\n      - {name: X, email: x@acme.test, phone: \"+15555550100\", password_env: SRG_PW}\n", nil, "tenants[0].admins[0].password_env: must not start with SRG_"},
		{"tls without key", minimal + "server:\n  public_url: https://srg.example\n  tls:\n    cert_file: " + existingFile + "\n", nil, "server.tls.key_file: required"},
		{"tls missing cert file", minimal + "server:\n  public_url: https://srg.example\n  tls:\n    cert_file: /nonexistent/cert.pem\n    key_file: " + existingFile + "\n", nil, "server.tls.cert_file: \"/nonexistent/cert.pem\" is not a readable file"},
		{"tls with http public url", minimal + "server:\n  tls:\n    cert_file: " + existingFile + "\n    key_file: " + existingFile + "\n", nil, "server.public_url: must be an https:// URL"},
		{"redirect without tls", minimal + "server:\n  tls:\n    redirect_addr: \":80\"\n", nil, "server.tls.redirect_addr: needs server.tls.cert_file"},
		{"bad redirect addr", minimal + "server:\n  public_url: https://srg.example\n  tls:\n    cert_file: " + existingFile + "\n    key_file: " + existingFile + "\n    redirect_addr: eighty\n", nil, "server.tls.redirect_addr: must be host:port"},
		{"malformed yaml", "server: [\n", nil, "parse YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse([]byte(tt.yaml), tt.env)
			if err == nil {
				t.Fatalf("want an error naming %q, got none", tt.wantKey)
			}
			if !strings.Contains(err.Error(), tt.wantKey) {
				t.Fatalf("error does not name %q:\n%v", tt.wantKey, err)
			}
		})
	}
}

func TestUnknownKeyReportedOnce(t *testing.T) {
	_, err := parse([]byte(minimal+"bogus: 1\n"), nil)
	if p, ok := err.(Problems); !ok || len(p) != 1 || p[0] != "bogus: unknown key" {
		t.Fatalf("want exactly one problem naming bogus, got %v", err)
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	cfg, err := parse([]byte(minimal), []string{
		"SRG_DATABASE_URL=postgres://other@db:5432/x",
		"SRG_DATABASE_MAX_OPEN_CONNS=7",
		"SRG_SERVER_SHUTDOWN_TIMEOUT=3s",
		"SRG_JOBS_ENABLED=false",
		"SRG_ELASTICSEARCH_URL=http://a:9200, http://b:9200",
		"SRG_CONFIG=/ignored/here.yaml",
		"PATH=/usr/bin",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database.URL != "postgres://other@db:5432/x" || cfg.Database.MaxOpenConns != 7 ||
		cfg.Server.ShutdownTimeout != 3*time.Second || cfg.Jobs.Enabled {
		t.Fatalf("overrides not applied: %+v", cfg)
	}
	if got := cfg.ElasticsearchURLs(); len(got) != 2 || got[1] != "http://b:9200" {
		t.Fatalf("elasticsearch urls = %v", got)
	}
}

func TestEverySimpleKeyHasAnEnvironmentVariable(t *testing.T) {
	for key, info := range knownKeys() {
		if info.list || info.mapPrefix {
			continue
		}
		name := envName(key)
		if !strings.HasPrefix(name, "SRG_") || strings.ContainsAny(name, ".-") {
			t.Errorf("%s maps to bad variable %s", key, name)
		}
	}
}

func TestReportsEveryProblemAtOnce(t *testing.T) {
	_, err := parse([]byte("log:\n  level: loud\n  format: xml\n"), nil)
	p, ok := err.(Problems)
	if !ok {
		t.Fatalf("want Problems, got %T %v", err, err)
	}
	want := []string{"log.level", "log.format", "database.url", "elasticsearch.url", "secrets.key"}
	for _, key := range want {
		if !strings.Contains(p.Error(), key) {
			t.Errorf("problems miss %s:\n%v", key, p)
		}
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	cfg, err := parse([]byte(strings.Replace(minimal, "elasticsearch:\n", "elasticsearch:\n  password: hunter2\n", 1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.Redacted()
	for _, secret := range []string{"hunter2", testKey, "u:p@"} {
		if strings.Contains(out, secret) {
			t.Errorf("redacted output shows secret %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "secrets.key: (set, hidden)") {
		t.Errorf("redacted output does not say the key is set:\n%s", out)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"), nil)
	if err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Fatalf("want a not-exist error, got %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

func TestAuthSettingsAccepted(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(Config) bool
	}{
		{"defaults", minimal, func(c Config) bool {
			return c.Auth.Argon2.Memory == 65536 && c.Auth.Session.IdleTimeout == 30*time.Minute && c.Auth.Session.AbsoluteTimeout == 12*time.Hour && !c.Auth.Twilio.Configured()
		}},
		{"production with twilio verify", minimal + "mode: production\nauth:\n  twilio:\n    account_sid: " + twilioSID + "\n    auth_token: " + twilioToken + "\n    verify_service_sid: VA0123456789abcdef0123456789abcdef\n", func(c Config) bool {
			return c.Production() && c.Auth.Twilio.Configured()
		}},
		{"messaging service as sender", minimal + "auth:\n  twilio:\n    account_sid: " + twilioSID + "\n    auth_token: " + twilioToken + "\n    from: MG0123456789abcdef0123456789abcdef\n    base_url: http://127.0.0.1:9999\n", func(c Config) bool {
			return c.Auth.Twilio.BaseURL == "http://127.0.0.1:9999"
		}},
		{"tls", minimal + "server:\n  public_url: https://srg.example\n  tls:\n    cert_file: " + existingFile + "\n    key_file: " + existingFile + "\n    redirect_addr: \":8081\"\n", func(c Config) bool {
			return c.Server.TLS.Enabled() && c.Server.TLS.RedirectAddr == ":8081"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse([]byte(tt.yaml), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(cfg) {
				t.Fatalf("unexpected config: %+v", cfg.Auth)
			}
		})
	}
}

func TestUserPasswordVariableIsNotAConfigKey(t *testing.T) {
	if _, err := parse([]byte(minimal), []string{EnvUserPassword + "=secret"}); err != nil {
		t.Fatalf("%s is refused: %v", EnvUserPassword, err)
	}
}
