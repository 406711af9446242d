package app

import (
	"context"
	"fmt"

	"github.com/srgplatform/srg/app/bench"
	"github.com/srgplatform/srg/modules/sync/salesforce/salesforcefake"
)

// The object counts of `srg bench sync`, per source.
const (
	benchContacts      = 100_000
	benchAccounts      = 20_000
	benchOpportunities = 30_000
)

// benchSync seeds the fake CRMs in this process and syncs from them in child srg
// processes, so the figures are the sync's alone.
func benchSync(ctx context.Context, env *cliEnv, self, pg, es string) error {
	sf := salesforcefake.New(salesforcefake.Options{})
	defer sf.Close()
	sf.Seed(benchContacts, benchAccounts, benchOpportunities)
	fmt.Fprintf(env.stderr, "seeded fake Salesforce with %d contacts, %d accounts, %d opportunities\n", benchContacts, benchAccounts, benchOpportunities)
	return bench.RunSync(ctx, bench.SyncOptions{
		Binary: self, DatabaseURL: pg, ElasticsearchURL: es, Out: env.stdout, Log: env.stderr,
		Sources: []bench.SyncSource{
			{Kind: "salesforce", Credentials: sf.Credentials(), Settings: sf.Settings()},
		},
	})
}
