// Package config loads SRG's configuration file, applies environment overrides and
// validates the result, reporting every problem at once with the key it concerns.
package config

import (
	"time"
)

// Config is the whole configuration of an srg process. Field tags name the keys of
// the YAML file; `secret:"true"` marks values that are never printed or logged.
type Config struct {
	Mode          string        `koanf:"mode"`
	Server        Server        `koanf:"server"`
	Log           Log           `koanf:"log"`
	Database      Database      `koanf:"database"`
	Elasticsearch Elasticsearch `koanf:"elasticsearch"`
	Secrets       Secrets       `koanf:"secrets"`
	Jobs          Jobs          `koanf:"jobs"`
	Tracking      Tracking      `koanf:"tracking"`
	Sync          Sync          `koanf:"sync"`
	Warehouse     Warehouse     `koanf:"warehouse"`
	Access        Access        `koanf:"access"`
	Auth          Auth          `koanf:"auth"`
	Tenants       []Tenant      `koanf:"tenants"`
}

// Server configures the HTTP server.
type Server struct {
	Listen          string        `koanf:"listen"`
	PublicURL       string        `koanf:"public_url"`
	ReadTimeout     time.Duration `koanf:"read_timeout"`
	WriteTimeout    time.Duration `koanf:"write_timeout"`
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
	// PprofListen, when set, serves Go's profiler (net/http/pprof) on this address;
	// keep it on loopback.
	PprofListen string `koanf:"pprof_listen"`
	// TLS, when its certificate and key are set, makes srg terminate TLS itself.
	TLS TLS `koanf:"tls"`
}

// TLS configures HTTPS served by srg itself.
type TLS struct {
	// CertFile and KeyFile are PEM files (the certificate file may hold the chain).
	CertFile string `koanf:"cert_file"`
	KeyFile  string `koanf:"key_file"`
	// RedirectAddr, when set, serves plain HTTP on this address, redirecting every
	// request to server.public_url.
	RedirectAddr string `koanf:"redirect_addr"`
}

// Enabled reports whether srg terminates TLS.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// Log configures structured logging.
type Log struct {
	Level  string `koanf:"level"`
	Format string `koanf:"format"`
}

// Database configures the Postgres connection pool and migrations.
type Database struct {
	URL             string        `koanf:"url" secret:"true"`
	MaxOpenConns    int           `koanf:"max_open_conns"`
	MaxIdleConns    int           `koanf:"max_idle_conns"`
	ConnMaxLifetime time.Duration `koanf:"conn_max_lifetime"`
	ConnMaxIdleTime time.Duration `koanf:"conn_max_idle_time"`
	MigrateOnStart  bool          `koanf:"migrate_on_start"`
}

// Elasticsearch configures the search cluster client and the per-tenant indices.
type Elasticsearch struct {
	URL                 string        `koanf:"url"`
	Username            string        `koanf:"username"`
	Password            string        `koanf:"password" secret:"true"`
	IndexPrefix         string        `koanf:"index_prefix"`
	NumberOfShards      int           `koanf:"number_of_shards"`
	NumberOfReplicas    int           `koanf:"number_of_replicas"`
	HealthcheckInterval time.Duration `koanf:"healthcheck_interval"`
	MaxRetries          int           `koanf:"max_retries"`
}

// Secrets configures the box that encrypts credentials at rest.
type Secrets struct {
	Key string `koanf:"key" secret:"true"`
}

// Jobs configures the cron scheduler.
type Jobs struct {
	Enabled   bool              `koanf:"enabled"`
	Schedules map[string]string `koanf:"schedules"`
}

// Tracking configures the collect endpoint and its durable spool.
type Tracking struct {
	// SpoolDir holds the write-ahead log of accepted events not yet indexed.
	SpoolDir string `koanf:"spool_dir"`
	// SpoolMaxMB bounds the spool; beyond it collect answers 503 with Retry-After.
	SpoolMaxMB int `koanf:"spool_max_mb"`
	// SpoolSyncInterval is the least time between the starts of two spool fsyncs:
	// appends arriving in between share the next one. 0 syncs as soon as the last ended.
	SpoolSyncInterval time.Duration `koanf:"spool_sync_interval"`
	// TrustedProxies are the addresses (or CIDR ranges) whose X-Forwarded-For is believed.
	TrustedProxies []string `koanf:"trusted_proxies"`
	// AnonymizeIP zeroes the last IPv4 octet and the last 80 IPv6 bits before storing.
	AnonymizeIP bool `koanf:"anonymize_ip"`
	// GeoIPDB is the path of a MaxMind GeoIP2/GeoLite2 Country or City database; when
	// set, touchpoints get the visitor's country. Empty turns it off.
	GeoIPDB string `koanf:"geoip_db"`
	// RateLimitPerIP and RateLimitPerSite are requests per second (bursts of twice
	// that); 0 turns a limit off.
	RateLimitPerIP   int `koanf:"rate_limit_per_ip"`
	RateLimitPerSite int `koanf:"rate_limit_per_site"`
	// BulkSize is the most events the ingester sends to Elasticsearch in one request.
	BulkSize int `koanf:"bulk_size"`
	// IndexRateDuringBursts (events/s) is the pace of indexing during a burst:
	// while collect requests arrive faster than BurstRequestsPerSecond and the spool
	// is under half full, so that the burst leaves the CPU to the collect endpoint and
	// drains afterwards; 0 always indexes at full speed.
	IndexRateDuringBursts  int `koanf:"index_rate_during_bursts"`
	BurstRequestsPerSecond int `koanf:"burst_requests_per_second"`
}

// Sync configures the CRM and ad-platform connectors.
type Sync struct {
	// DefaultSchedule is a newly connected source's schedule unless it names one.
	DefaultSchedule string `koanf:"default_schedule"`
	// HTTPTimeout bounds each request to a source's API.
	HTTPTimeout time.Duration `koanf:"http_timeout"`
	// WritebackSettle is how old a touchpoint must be before it is written to a CRM.
	WritebackSettle time.Duration `koanf:"writeback_settle"`
	// WritebackMaxPerRun caps the touchpoints one run writes to a CRM.
	WritebackMaxPerRun int `koanf:"writeback_max_per_run"`
	// ImportMaxMB caps an uploaded CSV file.
	ImportMaxMB int `koanf:"import_max_mb"`
}

// Access configures permissions: the Casbin model and the default permission matrix.
// Empty paths use the files built into srg (config/rbac_model.conf and
// config/rbac_policy.csv).
type Access struct {
	ModelFile  string `koanf:"model_file"`
	PolicyFile string `koanf:"policy_file"`
}

// Tenant declares a customer workspace, applied idempotently by `srg serve`.
type Tenant struct {
	Slug string `koanf:"slug"`
	Name string `koanf:"name"`
	// Currency is the ISO 4217 code the portal shows amounts in; empty keeps the
	// tenant's (USD when new).
	Currency string  `koanf:"currency"`
	Sites    []Site  `koanf:"sites"`
	Admins   []Admin `koanf:"admins"`
	// SSO, when declared, is the tenant's OpenID Connect single sign-on.
	SSO SSO `koanf:"sso"`
}

// Site declares a tracked website of a tenant.
type Site struct {
	Key     string   `koanf:"key"`
	Name    string   `koanf:"name"`
	Domains []string `koanf:"domains"`
}

// Admin declares one of a tenant's first users.
type Admin struct {
	Name  string `koanf:"name"`
	Email string `koanf:"email"`
	Phone string `koanf:"phone"`
	Role  string `koanf:"role"`
	// PasswordEnv names an environment variable (not SRG_*) holding the user's first
	// password; it is set at start only while the user has none.
	PasswordEnv string `koanf:"password_env"`
}

// Auth configures sign-in: password hashing, login codes by SMS and sessions.
type Auth struct {
	Argon2  Argon2  `koanf:"argon2"`
	Twilio  Twilio  `koanf:"twilio"`
	Session Session `koanf:"session"`
}

// Argon2 holds the argon2id parameters of new password hashes; existing hashes are
// upgraded to them at the user's next sign-in.
type Argon2 struct {
	// Memory is in KiB.
	Memory      int `koanf:"memory"`
	Iterations  int `koanf:"iterations"`
	Parallelism int `koanf:"parallelism"`
}

// Twilio configures the SMS that carries login codes.
type Twilio struct {
	AccountSID string `koanf:"account_sid"`
	AuthToken  string `koanf:"auth_token" secret:"true"`
	// VerifyServiceSID selects Twilio Verify (Twilio makes, sends and checks the code);
	// without it SRG makes the code and sends it with the Messages API from From.
	VerifyServiceSID string `koanf:"verify_service_sid"`
	// From is the sending number (E.164) or a Messaging Service SID (MG...).
	From string `koanf:"from"`
	// BaseURL, when set, replaces https://<product>.twilio.com (a proxy, or a fake in tests).
	BaseURL string `koanf:"base_url"`
	// Timeout bounds each request to Twilio.
	Timeout time.Duration `koanf:"timeout"`
}

// Configured reports whether Twilio credentials are given.
func (t Twilio) Configured() bool { return t.AccountSID != "" || t.AuthToken != "" }

// Session configures signed-in sessions.
type Session struct {
	// IdleTimeout ends a session not used for this long; AbsoluteTimeout ends any
	// session this long after sign-in.
	IdleTimeout     time.Duration `koanf:"idle_timeout"`
	AbsoluteTimeout time.Duration `koanf:"absolute_timeout"`
}

// Default returns the configuration used for every key the file and the environment
// leave unset.
func Default() Config {
	return Config{
		Mode: "development",
		Server: Server{
			Listen:          "127.0.0.1:8080",
			PublicURL:       "http://127.0.0.1:8080",
			ReadTimeout:     15 * time.Second,
			WriteTimeout:    60 * time.Second,
			ShutdownTimeout: 30 * time.Second,
		},
		Log: Log{Level: "info", Format: "text"},
		Database: Database{
			MaxOpenConns:    20,
			MaxIdleConns:    5,
			ConnMaxLifetime: 30 * time.Minute,
			ConnMaxIdleTime: 5 * time.Minute,
			MigrateOnStart:  true,
		},
		Elasticsearch: Elasticsearch{
			IndexPrefix:         "srg",
			NumberOfShards:      1,
			NumberOfReplicas:    0,
			HealthcheckInterval: 5 * time.Second,
			MaxRetries:          5,
		},
		Jobs: Jobs{Enabled: true, Schedules: map[string]string{}},
		Tracking: Tracking{
			SpoolDir:          ".data/spool",
			SpoolMaxMB:        1024,
			SpoolSyncInterval: time.Millisecond,
			AnonymizeIP:       true,
			RateLimitPerIP:    50,
			RateLimitPerSite:  5000,
			BulkSize:          2000,

			IndexRateDuringBursts:  500,
			BurstRequestsPerSecond: 1000,
		},
		Sync: Sync{
			DefaultSchedule:    "@every 15m",
			HTTPTimeout:        time.Minute,
			WritebackSettle:    2 * time.Minute,
			WritebackMaxPerRun: 20000,
			ImportMaxMB:        50,
		},
		Warehouse: Warehouse{DefaultSchedule: "@every 1h", Settle: 2 * time.Minute, FileRows: 1_000_000},
		Auth: Auth{
			Argon2:  Argon2{Memory: 64 * 1024, Iterations: 3, Parallelism: 2},
			Twilio:  Twilio{Timeout: 10 * time.Second},
			Session: Session{IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 12 * time.Hour},
		},
	}
}

// Production reports whether the process runs in production mode.
func (c Config) Production() bool { return c.Mode == "production" }
