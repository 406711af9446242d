package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/srgplatform/srg/modules/warehouse"
)

func exportFlags(fs *flag.FlagSet) {
	tenantFlag(fs)
	fs.String("from", "", "backfill: export every dataset again from this date (YYYY-MM-DD, UTC), or from its watermark if earlier")
}

// runExport lists a tenant's warehouse destinations, or exports one now.
func runExport(env *cliEnv, fs *flag.FlagSet, args []string) error {
	if len(args) > 1 {
		return fmt.Errorf("%w: name at most one destination", errUsage)
	}
	var from *time.Time
	if s := stringFlag(fs, "from"); s != "" {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return fmt.Errorf("%w: --from must be a date such as 2026-01-31", errUsage)
		}
		from = &t
	}
	if from != nil && len(args) == 0 {
		return fmt.Errorf("%w: --from needs a destination", errUsage)
	}
	return withPlatform(env, fs, func(ctx context.Context, p *Platform, tenantID int64) error {
		if err := p.Search.Wait(ctx); err != nil {
			return err
		}
		svc := p.Warehouse.Service()
		list, err := svc.Destinations(ctx, tenantID)
		if err != nil {
			return err
		}
		if len(args) == 0 {
			w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "DESTINATION\tKIND\tSTATUS\tSCHEDULE\tNEXT RUN\tLAST ERROR")
			for _, d := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Name, d.Kind, d.Status, d.Schedule, d.NextRunAt.Format(time.RFC3339), d.LastError)
			}
			return w.Flush()
		}
		for _, d := range list {
			if d.Name != args[0] {
				continue
			}
			res, err := svc.RunNow(ctx, tenantID, d.ID, from, "cli")
			if err != nil {
				return err
			}
			out, _ := json.MarshalIndent(res, "", "  ")
			fmt.Fprintln(env.stdout, string(out))
			if res.Status != warehouse.RunOK {
				return fmt.Errorf("the run ended with status %s: %s", res.Status, res.Error)
			}
			return nil
		}
		return fmt.Errorf("tenant %s has no destination %q (`srg export --tenant %s` lists them)", stringFlag(fs, "tenant"), args[0], stringFlag(fs, "tenant"))
	})
}
