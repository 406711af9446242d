package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
)

func recomputeFlags(fs *flag.FlagSet) {
	tenantFlag(fs)
	fs.Bool("full", false, "recompute every opportunity, not only those that changed")
}

func runRecompute(env *cliEnv, fs *flag.FlagSet, args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("%w: recompute takes no arguments", errUsage)
	}
	full := fs.Lookup("full").Value.(flag.Getter).Get().(bool)
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
