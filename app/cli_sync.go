package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/csvimport"

	syncer "github.com/srgplatform/srg/modules/sync"
)

func tenantFlag(fs *flag.FlagSet) { fs.String("tenant", "", "the tenant's slug (required)") }

func connectFlags(fs *flag.FlagSet) {
	tenantFlag(fs)
	fs.String("credentials", "", "file holding the source's credentials as a JSON object, or - for standard input (required)")
	fs.String("settings", "", "file holding the source's settings as a JSON object (account ids, API versions)")
	fs.String("schedule", "", `how often to pull: a cron spec or "@every 15m" (default: sync.default_schedule)`)
}

func stringFlag(fs *flag.FlagSet, name string) string {
	return fs.Lookup(name).Value.(flag.Getter).Get().(string)
}

// withBuilt builds the platform without serving and runs do with it.
func (env *cliEnv) withBuilt(do func(ctx context.Context, p *Platform) error) error {
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
	return do(ctx, p)
}

// withPlatform builds the platform without serving, applies the config's tenant
// declarations, and resolves --tenant.
func withPlatform(env *cliEnv, fs *flag.FlagSet, do func(ctx context.Context, p *Platform, tenantID int64) error) error {
	slug := stringFlag(fs, "tenant")
	if slug == "" {
		return fmt.Errorf("%w: --tenant is required", errUsage)
	}
	return env.withBuilt(func(ctx context.Context, p *Platform) error {
		if _, err := p.Tenants.Service().Apply(ctx, p.Config.Tenants); err != nil {
			return err
		}
		t, err := p.Tenants.Service().BySlug(ctx, slug)
		if err != nil {
			return err
		}
		return do(ctx, p, t.ID)
	})
}

func readArg(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}

func runConnect(env *cliEnv, fs *flag.FlagSet, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: name one source: hubspot, salesforce, google_ads, linkedin_ads or meta_ads", errUsage)
	}
	credPath := stringFlag(fs, "credentials")
	if credPath == "" {
		return fmt.Errorf("%w: --credentials is required", errUsage)
	}
	creds, err := readArg(credPath)
	if err != nil {
		return err
	}
	var settings []byte
	if path := stringFlag(fs, "settings"); path != "" {
		if settings, err = readArg(path); err != nil {
			return err
		}
	}
	return withPlatform(env, fs, func(ctx context.Context, p *Platform, tenantID int64) error {
		c, err := p.Sync.Service().Connect(ctx, tenantID, syncer.ConnectInput{
			Kind: connector.Kind(args[0]), Credentials: creds, Settings: settings, Schedule: stringFlag(fs, "schedule"), Actor: "cli"})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "connected %s for tenant %s; it runs %s (next at %s). `srg sync %s --tenant %s` runs it now.\n",
			c.Kind, stringFlag(fs, "tenant"), c.Schedule, c.NextRunAt.Format(time.RFC3339), c.Kind, stringFlag(fs, "tenant"))
		return nil
	})
}

func runSync(env *cliEnv, fs *flag.FlagSet, args []string) error {
	if len(args) > 1 {
		return fmt.Errorf("%w: name at most one source", errUsage)
	}
	return withPlatform(env, fs, func(ctx context.Context, p *Platform, tenantID int64) error {
		svc := p.Sync.Service()
		if len(args) == 0 {
			list, err := svc.Connectors(ctx, tenantID)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SOURCE\tSTATUS\tSCHEDULE\tNEXT RUN\tLAST ERROR")
			for _, c := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.Kind, c.Status, c.Schedule, c.NextRunAt.Format(time.RFC3339), c.LastError)
			}
			return w.Flush()
		}
		res, err := svc.RunNow(ctx, tenantID, connector.Kind(args[0]))
		if err != nil {
			return err
		}
		out, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(env.stdout, string(out))
		if res.Status != syncer.StatusOK {
			return fmt.Errorf("the run ended with status %s: %s", res.Status, res.Error)
		}
		if res.Writeback != nil && res.Writeback.Status != syncer.StatusOK {
			return fmt.Errorf("the write-back ended with status %s: %s", res.Writeback.Status, res.Writeback.Error)
		}
		return nil
	})
}

func runImport(env *cliEnv, fs *flag.FlagSet, args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("%w: want KIND FILE, KIND one of contacts, accounts, opportunities; FILE - for standard input", errUsage)
	}
	kind, err := csvimport.ParseKind(args[0])
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	var in io.Reader = os.Stdin
	if args[1] != "-" {
		f, err := os.Open(args[1])
		if err != nil {
			return fmt.Errorf("read %s: %w", args[1], err)
		}
		defer f.Close()
		in = f
	}
	return withPlatform(env, fs, func(ctx context.Context, p *Platform, tenantID int64) error {
		res, err := p.Sync.Service().Import(ctx, tenantID, kind, in, csvimport.Limits{MaxBytes: int64(p.Config.Sync.ImportMaxMB) << 20}, "cli")
		if err != nil {
			return err
		}
		if !res.Imported {
			for _, e := range res.Errors {
				fmt.Fprintln(env.stderr, e.String())
			}
			if res.Truncated {
				fmt.Fprintln(env.stderr, "(checking stopped there: fix these first)")
			}
			return fmt.Errorf("nothing imported: %d problems in %s", len(res.Errors), args[1])
		}
		fmt.Fprintf(env.stdout, "imported %d %s\n", res.Rows, kind)
		for _, c := range res.Ignored {
			fmt.Fprintf(env.stdout, "ignored column %q\n", c)
		}
		return nil
	})
}
