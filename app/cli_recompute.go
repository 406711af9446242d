package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
)

// recomputeMemoryLimit is the soft memory limit of `srg recompute` unless
// GOMEMLIMIT sets another: a full run holds every touchpoint of the tenant (about
// 350 MB for a million), and the collector's default pace let the garbage of
// reading and encoding take the process from 800 MB to 960 MB between runs of the
// same bench. Near the limit the collector runs sooner instead.
const recomputeMemoryLimit = 850 << 20

func recomputeFlags(fs *flag.FlagSet) {
	tenantFlag(fs)
	fs.Bool("full", false, "recompute every opportunity, not only those that changed")
}

func runRecompute(env *cliEnv, fs *flag.FlagSet, args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("%w: recompute takes no arguments", errUsage)
	}
	full := fs.Lookup("full").Value.(flag.Getter).Get().(bool)
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(recomputeMemoryLimit)
	}
	return withPlatform(env, fs, func(ctx context.Context, p *Platform, tenantID int64) error {
		if err := p.Search.Wait(ctx); err != nil {
			return err
		}
		if err := p.Search.EnsureTenant(ctx, stringFlag(fs, "tenant")); err != nil {
			return err
		}
		res, err := p.Attribution.Service().Recompute(ctx, tenantID, stringFlag(fs, "tenant"), full)
		if err != nil {
			return err
		}
		out, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(env.stdout, string(out))
		return nil
	})
}
