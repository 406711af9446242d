package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// PortalOptions configure RunPortal.
type PortalOptions struct {
	Binary           string
	DatabaseURL      string
	ElasticsearchURL string
	// Opportunities are attributed (default 10,000); Touchpoints is about how many
	// the tenant has in all (default 100 per opportunity, 1,000,000): the
	// touchpoints of people with no opportunity make up the rest.
	Opportunities, Touchpoints int
	// Requests is how many times each page is timed (default 50).
	Requests int
	Seed     uint64
	Out, Log io.Writer
	// Portal builds the portal in this process against the generated database and
	// index prefix and returns a handler that serves its pages to the given user,
	// allowed everything, and a function that releases it.
	Portal func(ctx context.Context, databaseURL, elasticsearchURL, indexPrefix string, userID int64) (http.Handler, func(), error)
}

// portalPage is a page the portal benchmark times: urls gives the i-th request's.
type portalPage struct {
	name string
	urls func(i int) string
}

// RunPortal generates a tenant (the attribution benchmark's generator), attributes
// it with `srg recompute --full` in a child process, then times the portal's
// dashboard, campaigns and journey pages served in this process, and prints p50 and
// p95 server times as name=value lines.
func RunPortal(ctx context.Context, o PortalOptions) error {
	if o.Opportunities == 0 {
		o.Opportunities = 10_000
	}
	if o.Touchpoints == 0 {
		o.Touchpoints = 100 * o.Opportunities
	}
	if o.Requests == 0 {
		o.Requests = 50
	}
	st, err := newCommandStack(ctx, o.Binary, o.DatabaseURL, o.ElasticsearchURL, o.Log)
	defer st.stop(o.Log)
	if err != nil {
		return err
	}
	// The generator makes about 10 touchpoints per opportunity: all of them are
	// indexed, and only the first Opportunities go to the CRM mirror.
	all := &synthTenant{seed: o.Seed, opportunities: max(o.Touchpoints/10, o.Opportunities), now: time.Now().UTC().Truncate(time.Second)}
	crm := &synthTenant{seed: o.Seed, opportunities: o.Opportunities, now: all.now}
	conn, tenantID, touches, err := st.generate(ctx, crm, all, o.ElasticsearchURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	res, took, _, err := st.recompute(ctx, "--full")
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Log, "attributed %d opportunities (%d credits) in %s\n", res.Opportunities, res.Credits, took.Round(time.Millisecond))
	var userID int64
	if err := conn.QueryRow(ctx, `INSERT INTO users (email, name) VALUES ('bench@bench.example', 'Bench') RETURNING id`).Scan(&userID); err != nil {
		return fmt.Errorf("bench: user: %w", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO tenant_members (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, tenantID, userID); err != nil {
		return fmt.Errorf("bench: membership: %w", err)
	}
	h, release, err := o.Portal(ctx, st.dbURL, o.ElasticsearchURL, st.es.prefix, userID)
	if err != nil {
		return err
	}
	defer release()

	year := "from=" + all.now.AddDate(-1, 0, 0).Format(time.DateOnly) + "&to=" + all.now.Format(time.DateOnly)
	var opp synthOpp
	pages := []portalPage{
		{"dashboard", func(int) string { return "/t/bench/dashboard?" + year }},
		{"dashboard_report", func(int) string { return "/t/bench/dashboard/report?" + year }},
		{"campaigns", func(int) string { return "/t/bench/campaigns?" + year }},
		{"campaigns_report", func(int) string { return "/t/bench/campaigns/report?" + year }},
		{"journey_opportunity", func(i int) string {
			crm.opportunity((i*7919)%crm.opportunities, &opp)
			return "/t/bench/journeys/opportunity/" + synthSource + ":" + opp.externalID
		}},
		{"journey_person", func(i int) string {
			crm.opportunity((i*7919)%crm.opportunities, &opp)
			return fmt.Sprintf("/t/bench/journeys/person/%d", opp.contacts[0].personID)
		}},
	}
	fmt.Fprintf(o.Out, "portal_opportunities=%d\n", o.Opportunities)
	fmt.Fprintf(o.Out, "portal_touchpoints=%d\n", touches)
	for _, p := range pages {
		times := make([]time.Duration, 0, o.Requests)
		for i := -3; i < o.Requests; i++ { // three warm-up requests
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, p.urls(max(i, 0)), nil)
			req.Header.Set("Accept", "text/html")
			rec := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(rec, req)
			took := time.Since(start)
			if rec.Code != http.StatusOK {
				return fmt.Errorf("bench: %s answered %d: %.300s", req.URL, rec.Code, rec.Body.String())
			}
			if i >= 0 {
				times = append(times, took)
			}
		}
		sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
		fmt.Fprintf(o.Out, "portal_%s_p50_ms=%.1f\n", p.name, ms(percentile(times, 50)))
		fmt.Fprintf(o.Out, "portal_%s_p95_ms=%.1f\n", p.name, ms(percentile(times, 95)))
	}
	return nil
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*q/100+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// generate writes crm's opportunities, contacts and people to Postgres and all's
// touchpoints to Elasticsearch (crm's opportunities are all's first ones, so their
// touchpoints are among them), after a first `srg recompute` on the empty tenant
// migrated the database, declared the tenant and created its indices. It returns
// the connection, the tenant's id and how many touchpoints it indexed.
func (st *commandStack) generate(ctx context.Context, crm, all *synthTenant, elasticsearchURL string) (*pgx.Conn, int64, int64, error) {
	if _, _, _, err := st.recompute(ctx); err != nil {
		return nil, 0, 0, err
	}
	start := time.Now()
	conn, err := pgx.Connect(ctx, st.dbURL)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("bench: connect: %w", err)
	}
	var tenantID int64
	if err := conn.QueryRow(ctx, `SELECT id FROM tenants WHERE slug = 'bench'`).Scan(&tenantID); err != nil {
		conn.Close(context.Background())
		return nil, 0, 0, fmt.Errorf("bench: tenant: %w", err)
	}
	if err := crm.copyRows(ctx, conn, tenantID); err != nil {
		conn.Close(context.Background())
		return nil, 0, 0, err
	}
	fmt.Fprintf(st.log, "wrote %d opportunities with their contacts to Postgres in %s\n", crm.opportunities, time.Since(start).Round(time.Millisecond))
	es := st.search(elasticsearchURL)
	defer es.Close()
	touches, err := all.indexTouchpoints(ctx, es, 3)
	if err != nil {
		conn.Close(context.Background())
		return nil, 0, 0, err
	}
	fmt.Fprintf(st.log, "generated the tenant (%d touchpoints) in %s\n", touches, time.Since(start).Round(time.Millisecond))
	return conn, tenantID, touches, nil
}
