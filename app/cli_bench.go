package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/srgplatform/srg/app/bench"
)

var benchmarks = map[string]string{
	"ingest":      "drive POST /t/collect on loopback: throughput, latency at 50%/80% load, memory, end-to-end indexing, events lost",
	"sync":        "full sync of 100,000 contacts, 20,000 accounts and 30,000 opportunities from fake HubSpot and Salesforce: objects/s, peak memory",
	"attribution": "full and 1% incremental recompute of 100,000 synthetic opportunities with 1,000,000 touchpoints: read, compute and write seconds, peak memory",
	"export":      "export 1,000,000 touchpoints and their credits to a Postgres destination and to Parquet files: rows/s, peak memory",
	"portal":      "p50/p95 server time of the dashboard, campaigns and journey pages of a tenant of 1,000,000 touchpoints and 10,000 attributed opportunities",
}

func benchFlags(fs *flag.FlagSet) {
	fs.Duration("duration", 0, "length of each measurement step (default 10s)")
	fs.Int("connections", 0, "load generator connections (default 64)")
	fs.Int("opportunities", 0, "attribution: opportunities in the synthetic tenant, about 10 touchpoints each (default 100000); portal: attributed opportunities (default 10000)")
	fs.String("destinations", "", "export: comma-separated destinations to export to, of postgres and parquet (default both)")
}

func runBench(env *cliEnv, fs *flag.FlagSet, args []string) error {
	if len(args) != 1 || benchmarks[args[0]] == "" {
		return fmt.Errorf("%w: want one of: ingest, sync, attribution, portal, export", errUsage)
	}
	var pg, es string
	for _, kv := range env.environ {
		if v, ok := cutEnv(kv, "SRG_DATABASE_URL"); ok {
			pg = v
		}
		if v, ok := cutEnv(kv, "SRG_ELASTICSEARCH_URL"); ok {
			es = v
		}
	}
	if pg == "" || es == "" {
		return fmt.Errorf(`benchmarks run against the dev stack: eval "$(scripts/devstack up)" first (SRG_DATABASE_URL and SRG_ELASTICSEARCH_URL)`)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the srg binary: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "sync":
		return benchSync(ctx, env, self, pg, es)
	case "export":
		return benchExport(ctx, env, pg, fs.Lookup("destinations").Value.String())
	case "attribution", "portal":
		n := fs.Lookup("opportunities").Value.(flag.Getter).Get().(int)
		if n < 0 {
			return fmt.Errorf("%w: --opportunities must be positive", errUsage)
		}
		if args[0] == "portal" {
			return benchPortal(ctx, env, self, pg, es, n)
		}
		return benchAttribution(ctx, env, self, pg, es, n)
	}
	return bench.RunIngest(ctx, bench.IngestOptions{
		Binary:           self,
		DatabaseURL:      pg,
		ElasticsearchURL: es,
		Duration:         fs.Lookup("duration").Value.(flag.Getter).Get().(time.Duration),
		Connections:      fs.Lookup("connections").Value.(flag.Getter).Get().(int),
		Out:              env.stdout,
		Log:              env.stderr,
	})
}

func cutEnv(kv, name string) (string, bool) {
	if len(kv) > len(name) && kv[:len(name)+1] == name+"=" {
		return kv[len(name)+1:], true
	}
	return "", false
}
