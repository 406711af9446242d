package app

import (
	"context"

	"github.com/srgplatform/srg/app/bench"
)

// The size and seed of `srg bench attribution`'s synthetic tenant: 100,000
// opportunities with about 10 touchpoints each.
const (
	benchAttributionOpportunities = 100_000
	benchAttributionSeed          = 5
)

// benchAttribution generates the synthetic tenant in this process and recomputes
// it in child srg processes, so the figures are the recompute's alone.
func benchAttribution(ctx context.Context, env *cliEnv, self, pg, es string, opportunities int) error {
	if opportunities == 0 {
		opportunities = benchAttributionOpportunities
	}
	return bench.RunAttribution(ctx, bench.AttributionOptions{
		Binary: self, DatabaseURL: pg, ElasticsearchURL: es, Out: env.stdout, Log: env.stderr,
		Opportunities: opportunities, Seed: benchAttributionSeed,
	})
}
