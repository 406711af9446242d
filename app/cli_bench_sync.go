package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/srgplatform/srg/app/bench"
	"github.com/srgplatform/srg/modules/sync/hubspot/hubspotfake"
	"github.com/srgplatform/srg/modules/sync/salesforce/salesforcefake"
)

// The object counts of `srg bench sync`, per source.
const (
	benchContacts      = 100_000
	benchAccounts      = 20_000
	benchOpportunities = 30_000
)

// benchSync seeds the fake CRMs in this process and syncs from them in child srg
// processes, so the figures are the sync's alone. HubSpot's client-side throttles
// are raised (as for a portal with an API limit increase): the benchmark measures
// srg, not HubSpot's quota.
func benchSync(ctx context.Context, env *cliEnv, self, pg, es string) error {
	hs := hubspotfake.New(hubspotfake.Options{})
	defer hs.Close()
	hs.Seed(benchContacts, benchAccounts, benchOpportunities)
	sf := salesforcefake.New(salesforcefake.Options{})
	defer sf.Close()
	sf.Seed(benchContacts, benchAccounts, benchOpportunities)
	fmt.Fprintf(env.stderr, "seeded fake HubSpot and Salesforce with %d contacts, %d accounts, %d opportunities each\n",
		benchContacts, benchAccounts, benchOpportunities)
	hsCreds, _ := json.Marshal(map[string]string{"access_token": "pat-na1-fake"})
	hsSettings, _ := json.Marshal(map[string]any{"base_url": hs.URL, "token_url": hs.TokenURL,
		"requests_per_second": 1000, "search_requests_per_second": 1000})
	return bench.RunSync(ctx, bench.SyncOptions{
		Binary: self, DatabaseURL: pg, ElasticsearchURL: es, Out: env.stdout, Log: env.stderr,
		Sources: []bench.SyncSource{
			{Kind: "hubspot", Credentials: hsCreds, Settings: hsSettings},
			{Kind: "salesforce", Credentials: sf.Credentials(), Settings: sf.Settings()},
		},
	})
}
