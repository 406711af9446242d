package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/mirror"
)

// Touchpoints reads tracked touchpoints; app/search implements it through an
// adapter in app.
type Touchpoints interface {
	// Identified pages through the tenant's touchpoints of identified people in
	// received order; personIDs, when given, keeps only theirs. after is the previous
	// page's cursor ("" first); next is "" after the last page.
	Identified(ctx context.Context, tenant string, personIDs []string, from, to time.Time, after string, size int) (docs []json.RawMessage, next string, err error)
}

// WritebackOptions tune the write-back to CRMs.
type WritebackOptions struct {
	// Settle is how old a touchpoint or an identification must be before it is
	// written, so that it is indexed and the visitor's earlier touchpoints carry the
	// person (default 2 minutes).
	Settle time.Duration
	// Overlap re-reads the end of the previous window, for touchpoints that became
	// searchable late (default 2 minutes; rewrites are idempotent).
	Overlap time.Duration
	// MaxPerRun caps the touchpoints one run writes, to stay inside API limits; the
	// rest follow in the next run (default 20,000).
	MaxPerRun int
}

func (o WritebackOptions) withDefaults() WritebackOptions {
	if o.Settle == 0 {
		o.Settle = 2 * time.Minute
	}
	if o.Overlap == 0 {
		o.Overlap = 2 * time.Minute
	}
	if o.MaxPerRun == 0 {
		o.MaxPerRun = 20000
	}
	return o
}

// Write-back cursor streams.
const (
	streamWBTouchpoints = "writeback.touchpoints"
	streamWBPeople      = "writeback.people"
)

// writebackEnabled reads the connector setting {"writeback": false} that turns it off.
func writebackEnabled(settings json.RawMessage) bool {
	var s struct {
		Writeback *bool `json:"writeback"`
	}
	_ = json.Unmarshal(settings, &s)
	return s.Writeback == nil || *s.Writeback
}

// tpDoc is the part of a touchpoint document written to CRMs.
type tpDoc struct {
	EventID     string    `json:"event_id"`
	PersonID    string    `json:"person_id"`
	Type        string    `json:"type"`
	Name        string    `json:"name"`
	OccurredAt  time.Time `json:"occurred_at"`
	ReceivedAt  time.Time `json:"received_at"`
	URL         string    `json:"url"`
	Title       string    `json:"title"`
	Referrer    string    `json:"referrer"`
	Channel     string    `json:"channel"`
	UTMSource   string    `json:"utm_source"`
	UTMMedium   string    `json:"utm_medium"`
	UTMCampaign string    `json:"utm_campaign"`
	UTMContent  string    `json:"utm_content"`
	UTMTerm     string    `json:"utm_term"`
	FormName    string    `json:"form_name"`
}

// writeBack writes touchpoints of people the CRM knows: first the whole history of
// people queued because they were just identified or just appeared in the CRM,
// then every touchpoint received since the last run.
func (s *Service) writeBack(ctx context.Context, c Connector, w connector.Writer, trigger string) (RunResult, error) {
	log := s.log.With("tenant_id", c.TenantID, "connector", string(c.Kind), "direction", "writeback")
	r, err := mirror.Open(ctx, s.db, c.TenantID, c.ID, c.Kind, log)
	if err != nil {
		return RunResult{}, err
	}
	runID, err := s.store.startRun(ctx, c, "writeback", trigger, r.CursorsBefore())
	if err != nil {
		return RunResult{}, err
	}
	start := time.Now()
	wb := &writeback{s: s, c: c, w: w, run: r, counts: mirror.Counts{}, people: map[string]*crmPerson{}}
	runErr := wb.do(ctx)
	res := RunResult{RunID: runID, Status: StatusOK, Counts: countsJSON(wb.counts)}
	if runErr != nil {
		res.Status, res.Error = StatusError, runErr.Error()
		if errors.Is(runErr, connector.ErrReauth) {
			res.Status = StatusNeedsReauth
		}
		log.Warn("write-back failed", "err", runErr)
	}
	s.metrics.observe(c.Kind, "writeback", res.Status, time.Since(start), wb.counts)
	bg := context.WithoutCancel(ctx)
	if err := s.store.finishRun(bg, runID, res.Status, res.Counts, r.Cursors(), res.Error); err != nil {
		return res, err
	}
	if res.Status == StatusNeedsReauth {
		if err := s.store.setStatus(bg, c.ID, StatusNeedsReauth, res.Error); err != nil {
			return res, err
		}
	}
	return res, nil
}

type writeback struct {
	s       *Service
	c       Connector
	w       connector.Writer
	run     *mirror.Run
	counts  mirror.Counts
	people  map[string]*crmPerson
	written int
}

func (wb *writeback) do(ctx context.Context) error {
	now := wb.s.now().UTC()
	settled := now.Add(-wb.s.writeback.Settle)
	if err := wb.queueIdentified(ctx, settled); err != nil {
		return err
	}
	if err := wb.drainQueue(ctx, now); err != nil {
		return err
	}
	return wb.stream(ctx, settled)
}

// queueIdentified queues people whose visitors were linked since the last run.
func (wb *writeback) queueIdentified(ctx context.Context, settled time.Time) error {
	from := parseTime(wb.run.Cursor(streamWBPeople))
	err := wb.s.db.WithContext(ctx).Exec(`
		INSERT INTO writeback_queue (connector_id, person_id)
		SELECT DISTINCT ?::bigint, person_id FROM visitor_links
		WHERE tenant_id = ? AND linked_at >= ? AND linked_at < ?
		ON CONFLICT (connector_id, person_id) DO NOTHING`, wb.c.ID, wb.c.TenantID, from, settled).Error
	if err != nil {
		return fmt.Errorf("sync: queue identified people: %w", err)
	}
	return wb.run.Commit(ctx, streamWBPeople, settled.Format(time.RFC3339Nano), connector.Page{})
}

// drainQueue writes the whole history of each queued person.
func (wb *writeback) drainQueue(ctx context.Context, now time.Time) error {
	for wb.written < wb.s.writeback.MaxPerRun {
		var ids []int64
		err := wb.s.db.WithContext(ctx).Raw(`SELECT person_id FROM writeback_queue
			WHERE connector_id = ? AND run_after <= ? ORDER BY run_after, person_id LIMIT 100`, wb.c.ID, now).Scan(&ids).Error
		if err != nil {
			return fmt.Errorf("sync: read write-back queue: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		personIDs := make([]string, len(ids))
		for i, id := range ids {
			personIDs[i] = strconv.FormatInt(id, 10)
		}
		writeErr := wb.scan(ctx, personIDs, time.Time{}, time.Time{}, "")
		if writeErr != nil {
			if err := wb.s.db.WithContext(ctx).Exec(`UPDATE writeback_queue SET attempts = attempts + 1,
				run_after = now() + least(interval '1 minute' * power(2, attempts), interval '6 hours'), last_error = ?
				WHERE connector_id = ? AND person_id IN ?`, writeErr.Error(), wb.c.ID, ids).Error; err != nil {
				return fmt.Errorf("sync: reschedule write-back: %w", err)
			}
			return writeErr
		}
		if err := wb.s.db.WithContext(ctx).Exec(`DELETE FROM writeback_queue WHERE connector_id = ? AND person_id IN ?`, wb.c.ID, ids).Error; err != nil {
			return fmt.Errorf("sync: dequeue write-back: %w", err)
		}
	}
	return nil
}

// stream writes the touchpoints received since the cursor, moving the cursor after
// each written page.
func (wb *writeback) stream(ctx context.Context, settled time.Time) error {
	from := parseTime(wb.run.Cursor(streamWBTouchpoints))
	if !from.IsZero() {
		from = from.Add(-wb.s.writeback.Overlap)
	}
	return wb.scan(ctx, nil, from, settled, streamWBTouchpoints)
}

// scan pages through touchpoints and writes them; with a stream name it commits
// the received time of each written page as that stream's cursor.
func (wb *writeback) scan(ctx context.Context, personIDs []string, from, to time.Time, stream string) error {
	after := ""
	size := max(wb.w.MaxBatch(), 1)
	for {
		raw, next, err := wb.s.points.Identified(ctx, wb.c.TenantSlug, personIDs, from, to, after, size)
		if err != nil {
			return err
		}
		docs := make([]tpDoc, 0, len(raw))
		for _, r := range raw {
			var d tpDoc
			if err := json.Unmarshal(r, &d); err != nil {
				return fmt.Errorf("sync: touchpoint document: %w", err)
			}
			docs = append(docs, d)
		}
		if err := wb.write(ctx, docs); err != nil {
			return err
		}
		if stream != "" && len(docs) > 0 {
			if err := wb.run.Commit(ctx, stream, docs[len(docs)-1].ReceivedAt.UTC().Format(time.RFC3339Nano), connector.Page{}); err != nil {
				return err
			}
		}
		if next == "" || (stream != "" && wb.written >= wb.s.writeback.MaxPerRun) {
			if stream != "" && next == "" {
				return wb.run.Commit(ctx, stream, to.UTC().Format(time.RFC3339Nano), connector.Page{})
			}
			return nil
		}
		after = next
	}
}

// write sends the touchpoints of people the CRM knows, skipping the others (they
// are queued when they appear in the CRM).
func (wb *writeback) write(ctx context.Context, docs []tpDoc) error {
	if err := wb.resolve(ctx, docs); err != nil {
		return err
	}
	batch := make([]connector.Touchpoint, 0, len(docs))
	for _, d := range docs {
		p := wb.people[d.PersonID]
		if p == nil || (p.ContactID == "" && p.LeadID == "") {
			wb.counts["skipped_unknown_in_crm"]++
			continue
		}
		batch = append(batch, connector.Touchpoint{
			ID: d.EventID, OccurredAt: d.OccurredAt, Type: d.Type, Name: d.Name, URL: d.URL, Title: d.Title,
			Referrer: d.Referrer, Channel: d.Channel, UTMSource: d.UTMSource, UTMMedium: d.UTMMedium,
			UTMCampaign: d.UTMCampaign, UTMContent: d.UTMContent, UTMTerm: d.UTMTerm, FormName: d.FormName,
			Email: p.Email, ContactID: p.ContactID, LeadID: p.LeadID, OpportunityIDs: p.OpportunityIDs,
		})
	}
	if len(batch) == 0 {
		return nil
	}
	results, err := wb.w.Write(ctx, batch)
	if err != nil {
		return err
	}
	for _, r := range results {
		switch {
		case r.Err != "":
			wb.counts["touchpoint_failed"]++
			wb.s.log.Warn("CRM refused a touchpoint", "connector", string(wb.c.Kind), "touchpoint", r.ID, "reason", r.Err)
		case r.Created:
			wb.counts["touchpoint_created"]++
		default:
			wb.counts["touchpoint_updated"]++
		}
	}
	wb.written += len(batch)
	return nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
