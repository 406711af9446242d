// Package app wires SRG together: it parses the command line, loads the config, opens
// the stores, builds every module and runs the server. It holds no business logic.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/srgplatform/srg/app/authz"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
)

// Version is set at build time with -ldflags "-X github.com/srgplatform/srg/app.Version=...".
var Version = "dev"

// command is one `srg` subcommand.
type command struct {
	name    string
	args    string
	summary string
	run     func(env *cliEnv, fs *flag.FlagSet, args []string) error
	flags   func(fs *flag.FlagSet)
}

// cliEnv is what a command may use: its output streams and the process environment.
type cliEnv struct {
	environ    []string
	stdin      *os.File
	stdout     io.Writer
	stderr     io.Writer
	configPath *string
}

func commands() []command {
	return []command{
		{name: "serve", summary: "run the server: tracker endpoint, portal, API and scheduled jobs", run: runServe},
		{name: "migrate", args: "up|down|status", summary: "apply, roll back or list database migrations", run: runMigrate,
			flags: func(fs *flag.FlagSet) {
				fs.Bool("all", false, "with down: roll back every migration, not only the newest")
			}},
		{name: "config", args: "check", summary: "validate the config file and environment; print the effective config with --print", run: runConfig,
			flags: func(fs *flag.FlagSet) { fs.Bool("print", false, "print the effective configuration (secrets hidden)") }},
		{name: "connect", args: "SOURCE", summary: "connect a tenant's CRM or ad platform (credentials are stored encrypted)", run: runConnect, flags: connectFlags},
		{name: "sync", args: "[SOURCE]", summary: "list a tenant's connectors, or pull one now (and write touchpoints back to a CRM)", run: runSync, flags: tenantFlag},
		{name: "import", args: "contacts|accounts|opportunities FILE", summary: "import a CSV file into the CRM mirror: all rows or, with any error, none", run: runImport, flags: tenantFlag},
		{name: "attribute", summary: "offline attribution of a ChannelAttribution path file: heuristics, Markov (order 1-4), Shapley", run: runAttribute, flags: attributeFlags},
		{name: "user", args: "add|passwd", summary: "add a person to a tenant, or set a password (from standard input or $" + config.EnvUserPassword + ")", run: runUser, flags: userFlags},
		{name: "recompute", summary: "attribute a tenant's opportunities now and write the credits (only those that changed, unless --full)", run: runRecompute, flags: recomputeFlags},
		{name: "export", args: "[DESTINATION]", summary: "list a tenant's warehouse destinations, or export one now (a backfill with --from)", run: runExport, flags: exportFlags},
		{name: "bench", args: "ingest", summary: "run a benchmark against the dev stack and print name=value figures", run: runBench, flags: benchFlags},
		{name: "version", summary: "print the version", run: func(env *cliEnv, _ *flag.FlagSet, _ []string) error {
			fmt.Fprintf(env.stdout, "srg %s\n", Version)
			return nil
		}},
	}
}

// errUsage marks a command-line mistake; Main exits 2 for it.
var errUsage = errors.New("usage")

// Main runs the srg command line and returns the process exit code.
func Main(args, environ []string, stdout, stderr io.Writer) int {
	env := &cliEnv{environ: environ, stdin: os.Stdin, stdout: stdout, stderr: stderr}
	cmds := commands()
	if len(args) < 2 || args[1] == "-h" || args[1] == "--help" || args[1] == "help" {
		usage(stdout, cmds)
		if len(args) < 2 {
			return 2
		}
		return 0
	}
	for _, c := range cmds {
		if c.name != args[1] {
			continue
		}
		fs := flag.NewFlagSet("srg "+c.name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		env.configPath = fs.String("config", "", "config file (default: $"+config.EnvConfigPath+")")
		if c.flags != nil {
			c.flags(fs)
		}
		fs.Usage = func() {
			fmt.Fprintf(stderr, "usage: srg %s [flags] %s\n\n%s\n\nflags:\n", c.name, c.args, c.summary)
			fs.PrintDefaults()
		}
		positional, err := parseInterspersed(fs, args[2:])
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		err = c.run(env, fs, positional)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "srg %s: %v\n", c.name, err)
			fs.Usage()
			return 2
		default:
			fmt.Fprintf(stderr, "srg %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "srg: unknown command %q\n\n", args[1])
	usage(stderr, cmds)
	return 2
}

// parseInterspersed parses flags that come before, between or after positional
// arguments ("srg config check --print") and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func usage(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "usage: srg <command> [flags]\n\nSRG, self-hosted revenue attribution.\n\ncommands:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range cmds {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.summary)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nRun 'srg <command> --help' for a command's flags. Every command takes --config PATH (or $SRG_CONFIG).")
}

func (env *cliEnv) loadConfig() (config.Config, error) {
	path := *env.configPath
	if path == "" {
		for _, kv := range env.environ {
			if v, ok := strings.CutPrefix(kv, config.EnvConfigPath+"="); ok {
				path = v
			}
		}
	}
	return config.Load(path, env.environ)
}

// setup loads the config and returns it with a logger and a context that ends on
// SIGINT or SIGTERM (call stop when done).
func (env *cliEnv) setup() (config.Config, *slog.Logger, context.Context, context.CancelFunc, error) {
	cfg, err := env.loadConfig()
	if err != nil {
		return cfg, nil, nil, nil, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return cfg, newLogger(cfg.Log, env.stderr), ctx, stop, nil
}

func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runServe(env *cliEnv, _ *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: serve takes no arguments, got %q", errUsage, args)
	}
	cfg, log, ctx, stop, err := env.setup()
	if err != nil {
		return err
	}
	defer stop()

	p, err := Build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer p.Close()
	if err := p.Start(ctx); err != nil {
		return err
	}
	// Start-up's garbage (the password hasher's 64 MB calibration buffer, parsed
	// templates and migrations) goes back to the OS now rather than over minutes.
	debug.FreeOSMemory()
	if cfg.Server.PprofListen != "" {
		if err := servePprof(ctx, cfg.Server.PprofListen, log); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Server.Listen, err)
	}
	if addr := cfg.Server.TLS.RedirectAddr; addr != "" {
		rln, err := net.Listen("tcp", addr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s (server.tls.redirect_addr): %w", addr, err)
		}
		go func() {
			if err := p.ServeRedirect(ctx, rln); err != nil {
				log.Error("HTTP to HTTPS redirect stopped", "err", err)
			}
		}()
		log.Info("redirecting HTTP to HTTPS", "listen", rln.Addr().String())
	}
	log.Info("srg serving", "version", Version, "listen", ln.Addr().String(), "url", cfg.Server.PublicURL, "mode", cfg.Mode)
	fmt.Fprintf(env.stdout, "SRG %s is serving at %s (listening on %s). Press Ctrl-C to stop.\n", Version, cfg.Server.PublicURL, ln.Addr())
	err = p.Serve(ctx, ln)
	log.Info("srg stopped")
	return err
}

// servePprof serves net/http/pprof on its own listener until ctx ends.
func servePprof(ctx context.Context, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("pprof listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() { <-ctx.Done(); srv.Close() }()
	log.Info("profiler serving", "listen", ln.Addr().String())
	return nil
}

func runMigrate(env *cliEnv, fs *flag.FlagSet, args []string) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "down" && args[0] != "status") {
		return fmt.Errorf("%w: want one of up, down, status", errUsage)
	}
	cfg, err := env.loadConfig()
	if err != nil {
		return err
	}
	ctx := context.Background()
	m, err := db.NewMigrator(ctx, cfg.Database, migrationsFS())
	if err != nil {
		return err
	}
	defer m.Close()
	switch args[0] {
	case "up":
		n, err := m.Up(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "applied %d migration(s)\n", n)
	case "down":
		all := fs.Lookup("all").Value.(flag.Getter).Get().(bool)
		n, err := m.Down(ctx, all)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "rolled back %d migration(s)\n", n)
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tMIGRATION\tAPPLIED AT")
		for _, s := range st {
			at := "pending"
			if s.Applied {
				at = s.At
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", s.Version, s.Name, at)
		}
		tw.Flush()
	}
	return nil
}

func runConfig(env *cliEnv, fs *flag.FlagSet, args []string) error {
	if len(args) != 1 || args[0] != "check" {
		return fmt.Errorf("%w: want check", errUsage)
	}
	cfg, err := env.loadConfig()
	if err != nil {
		return err
	}
	if _, err := declaredSSO(cfg.Tenants, environLookup(env.environ)); err != nil {
		return err
	}
	defs, err := authz.LoadDefinitions(cfg.Access)
	if err != nil {
		return err
	}
	sites := 0
	for _, t := range cfg.Tenants {
		sites += len(t.Sites)
	}
	fmt.Fprintf(env.stdout, "config OK: mode %s, %d tenant(s), %d site(s), %d permission rule(s)\n", cfg.Mode, len(cfg.Tenants), sites, len(defs.Rules))
	if fs.Lookup("print").Value.(flag.Getter).Get().(bool) {
		fmt.Fprint(env.stdout, cfg.Redacted())
	}
	return nil
}
