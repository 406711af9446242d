package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/search"
)

// AttributionOptions configure RunAttribution.
type AttributionOptions struct {
	Binary           string
	DatabaseURL      string
	ElasticsearchURL string
	// Opportunities is the size of the synthetic tenant (10 touchpoints each on
	// average).
	Opportunities int
	// Seed seeds the generator.
	Seed     uint64
	Out, Log io.Writer
}

// recomputeResult is what `srg recompute` prints (attribution.Result).
type recomputeResult struct {
	Opportunities int           `json:"opportunities"`
	Changed       int           `json:"changed"`
	Credits       int           `json:"credits"`
	Read          time.Duration `json:"read_ns"`
	Compute       time.Duration `json:"compute_ns"`
	Encode        time.Duration `json:"encode_ns"`
	Write         time.Duration `json:"write_ns"`
	Learn         time.Duration `json:"learn_ns"`
	Score         time.Duration `json:"score_ns"`
}

// RunAttribution generates a synthetic tenant in a new database and index prefix,
// times a full `srg recompute` of it in a child process (whose memory is sampled
// alone), changes the amount of 1% of the opportunities and times the incremental
// recompute, and prints the figures as name=value lines.
func RunAttribution(ctx context.Context, o AttributionOptions) error {
	st, err := newCommandStack(ctx, o.Binary, o.DatabaseURL, o.ElasticsearchURL, o.Log)
	defer st.stop(o.Log)
	if err != nil {
		return err
	}
	g := &synthTenant{seed: o.Seed, opportunities: o.Opportunities, now: time.Now().UTC().Truncate(time.Second)}
	conn, tenantID, touches, err := st.generate(ctx, g, g, o.ElasticsearchURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())

	full, fullTook, fullRSS, err := st.recompute(ctx, "--full")
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Log, "full recompute: %+v in %s\n", full, fullTook.Round(time.Millisecond))
	tag, err := conn.Exec(ctx, `UPDATE crm_opportunities SET amount = amount + 100, synced_at = now()
		WHERE tenant_id = $1 AND right(external_id, 2) = '00'`, tenantID)
	if err != nil {
		return fmt.Errorf("bench: change opportunities: %w", err)
	}
	inc, incTook, incRSS, err := st.recompute(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Log, "changed %d opportunities; incremental recompute: %+v in %s\n", tag.RowsAffected(), inc, incTook.Round(time.Millisecond))

	fmt.Fprintf(o.Out, "attribution_opportunities=%d\n", full.Opportunities)
	fmt.Fprintf(o.Out, "attribution_touchpoints=%d\n", touches)
	fmt.Fprintf(o.Out, "attribution_journeys_per_s=%.0f\n", float64(full.Opportunities)/fullTook.Seconds())
	fmt.Fprintf(o.Out, "attribution_read_seconds=%.2f\n", full.Read.Seconds())
	fmt.Fprintf(o.Out, "attribution_compute_seconds=%.2f\n", full.Compute.Seconds())
	fmt.Fprintf(o.Out, "attribution_encode_seconds=%.2f\n", full.Encode.Seconds())
	fmt.Fprintf(o.Out, "attribution_write_seconds=%.2f\n", full.Write.Seconds())
	fmt.Fprintf(o.Out, "attribution_learn_seconds=%.2f\n", full.Learn.Seconds())
	fmt.Fprintf(o.Out, "attribution_score_seconds=%.2f\n", full.Score.Seconds())
	fmt.Fprintf(o.Out, "attribution_full_seconds=%.2f\n", fullTook.Seconds())
	fmt.Fprintf(o.Out, "attribution_credits=%d\n", full.Credits)
	fmt.Fprintf(o.Out, "attribution_incremental_seconds=%.2f\n", incTook.Seconds())
	fmt.Fprintf(o.Out, "attribution_incremental_changed=%d\n", inc.Changed)
	fmt.Fprintf(o.Out, "attribution_peak_rss_mb=%.1f\n", float64(max(fullRSS, incRSS))/1024)
	return nil
}

// recompute runs `srg recompute --tenant bench` with args in a child process and
// returns what it printed, how long it took and its peak resident memory in kB.
func (st *commandStack) recompute(ctx context.Context, args ...string) (recomputeResult, time.Duration, int64, error) {
	var out bytes.Buffer
	took, rss, err := st.run(ctx, &out, append([]string{"recompute", "--tenant", "bench"}, args...)...)
	var res recomputeResult
	if err != nil {
		return res, took, rss, err
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return res, took, rss, fmt.Errorf("bench: srg recompute printed %q: %w", out.String(), err)
	}
	return res, took, rss, nil
}

// search is a client of the stack's indices.
func (st *commandStack) search(elasticsearchURL string) *search.Client {
	return search.New(config.Elasticsearch{IndexPrefix: st.es.prefix, NumberOfShards: 1, HealthcheckInterval: time.Minute, MaxRetries: 3},
		strings.Split(elasticsearchURL, ","), slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// copyRows writes the opportunities, contacts, people and contact roles with COPY.
// Rows were synced an hour ago, so an incremental recompute sees only what the
// bench changes later.
func (g *synthTenant) copyRows(ctx context.Context, conn *pgx.Conn, tenantID int64) error {
	synced := g.now.Add(-time.Hour)
	tables := []struct {
		name string
		cols []string
		rows func(o *synthOpp, add func(...any))
	}{
		{"crm_opportunities", []string{"tenant_id", "source", "external_id", "name", "amount", "currency", "pipeline", "stage",
			"is_won", "is_closed", "created_date", "close_date", "modified_at", "synced_at"},
			func(o *synthOpp, add func(...any)) {
				var closeDate any
				if o.isClosed {
					closeDate = o.closeDate
				}
				add(tenantID, synthSource, o.externalID, "Deal "+o.externalID, o.amount, o.currency, "default", o.stage,
					o.isWon, o.isClosed, o.created, closeDate, synced, synced)
			}},
		{"crm_contacts", []string{"tenant_id", "source", "kind", "external_id", "email", "first_name", "last_name",
			"created_at_source", "modified_at", "synced_at"},
			func(o *synthOpp, add func(...any)) {
				for _, c := range o.contacts {
					add(tenantID, synthSource, "contact", c.externalID, c.email, c.first, c.last, o.created, synced, synced)
				}
			}},
		{"people", []string{"id", "tenant_id", "email", "first_seen_at", "last_seen_at"},
			func(o *synthOpp, add func(...any)) {
				for _, c := range o.contacts {
					add(c.personID, tenantID, c.email, o.created.Add(-90*24*time.Hour), o.end(g.now))
				}
			}},
		{"crm_opportunity_contacts", []string{"tenant_id", "source", "opportunity_external_id", "contact_external_id", "role", "is_primary"},
			func(o *synthOpp, add func(...any)) {
				for k, c := range o.contacts {
					add(tenantID, synthSource, o.externalID, c.externalID, "Decision Maker", k == 0)
				}
			}},
	}
	var o synthOpp
	for _, t := range tables {
		rows := make([][]any, 0, g.opportunities)
		add := func(v ...any) { rows = append(rows, v) }
		for i := range g.opportunities {
			g.opportunity(i, &o)
			t.rows(&o, add)
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("bench: copy %s: %w", t.name, err)
		}
	}
	// People were given their ids; later inserts must not collide with them.
	if _, err := conn.Exec(ctx, `SELECT setval(pg_get_serial_sequence('people', 'id'), (SELECT max(id) FROM people))`); err != nil {
		return fmt.Errorf("bench: people sequence: %w", err)
	}
	// A tenant synced over time has planner statistics; without them a recompute
	// started at once plans its joins for empty tables (minutes instead of seconds).
	if _, err := conn.Exec(ctx, `ANALYZE people, crm_contacts, crm_opportunities, crm_opportunity_contacts`); err != nil {
		return fmt.Errorf("bench: analyze: %w", err)
	}
	return nil
}

// indexTouchpoints generates every opportunity's touchpoints and creates them in
// the tenant's index with BulkCreate, workers requests at a time, in bulks of about
// 3 MB, the index in bulk-load mode; then it refreshes the index. It
// returns how many it created.
func (g *synthTenant) indexTouchpoints(ctx context.Context, es *search.Client, workers int) (n int64, err error) {
	if err := es.Wait(ctx); err != nil {
		return 0, err
	}
	done, err := es.BulkLoad(ctx, "bench", search.Touchpoints)
	if err != nil {
		return 0, err
	}
	defer func() {
		if rerr := done(context.WithoutCancel(ctx)); err == nil {
			err = rerr
		}
	}()
	const oppsPerBulk = 500
	var next, created atomic.Int64
	var firstErr error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var o synthOpp
			var buf []byte
			var ends []int
			var docs []search.Doc
			for ctx.Err() == nil {
				from := int(next.Add(oppsPerBulk)) - oppsPerBulk
				if from >= g.opportunities {
					return
				}
				buf, ends, docs = buf[:0], ends[:0], docs[:0]
				for i := from; i < min(from+oppsPerBulk, g.opportunities); i++ {
					g.opportunity(i, &o)
					buf, ends = g.touchpoints(&o, buf, ends)
				}
				start := 0
				for _, end := range ends {
					docs = append(docs, search.Doc{Tenant: "bench", Kind: search.Touchpoints,
						ID: eventID(buf[start:end]), Source: buf[start:end]})
					start = end
				}
				if err := bulkCreate(ctx, es, docs); err != nil {
					fail(err)
					cancel()
					return
				}
				created.Add(int64(len(docs)))
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return created.Load(), firstErr
	}
	if err := ctx.Err(); err != nil {
		return created.Load(), err
	}
	return created.Load(), es.Refresh(ctx, "bench", search.Touchpoints)
}

// bulkCreate sends docs, and again those Elasticsearch refused for the moment (429,
// 5xx), up to five times.
func bulkCreate(ctx context.Context, es *search.Client, docs []search.Doc) error {
	for attempt := range 5 {
		itemErrs, err := es.BulkCreate(ctx, docs)
		if err != nil {
			return fmt.Errorf("bench: index touchpoints: %w", err)
		}
		var retry []search.Doc
		for i, e := range itemErrs {
			var ie *search.ItemError
			if errors.As(e, &ie) && ie.Retryable() {
				retry = append(retry, docs[i])
			} else if e != nil {
				return fmt.Errorf("bench: index touchpoint %s: %w", docs[i].ID, e)
			}
		}
		if len(retry) == 0 {
			return nil
		}
		docs = retry
		time.Sleep(time.Duration(attempt+1) * 500 * time.Millisecond)
	}
	return fmt.Errorf("bench: index touchpoints: %d still refused after 5 attempts", len(docs))
}
