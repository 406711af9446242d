package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/srgplatform/srg/modules/sync/apiclient"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// pipeline is the one pipeline a Salesforce org has: stages are an org-wide
// picklist.
const pipeline = "default"

// stagesStream is the cursor name of the stage list, read whole every run.
const stagesStream = "OpportunityStage"

// maxRestarts bounds how often in a row a query is restarted after its locator
// expired without a batch in between.
const maxRestarts = 3

// cursor is the (SystemModstamp, Id) of the last record committed; the zero value
// means from the beginning.
type cursor struct {
	at time.Time
	id string
}

// soqlTime is a dateTime literal as SOQL takes it, unquoted and in UTC.
const soqlTime = "2006-01-02T15:04:05.000Z"

var reID = regexp.MustCompile(`^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$`)

func (c cursor) String() string {
	if c.id == "" {
		return ""
	}
	return c.at.UTC().Format(soqlTime) + "|" + c.id
}

func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	ts, id, ok := strings.Cut(s, "|")
	at, err := time.Parse(soqlTime, ts)
	if !ok || err != nil || !reID.MatchString(id) {
		return cursor{}, fmt.Errorf("cursor %q is not SystemModstamp|Id", s)
	}
	return cursor{at: at, id: id}, nil
}

func (c cursor) less(d cursor) bool {
	if !c.at.Equal(d.at) {
		return c.at.Before(d.at)
	}
	return c.id < d.id
}

// settle is how old a change must be before a run reads it. SystemModstamp has
// whole seconds and is stamped before the change commits, so a change can appear
// later with a stamp at or before the last one read; stopping this far behind the
// clock keeps such a change ahead of the cursor instead of behind it.
const settle = time.Minute

// soql selects a stream's records after cur and before until in (SystemModstamp,
// Id) order, so records sharing a SystemModstamp are neither skipped nor read twice
// across a page boundary.
func soql(st stream, cur cursor, until time.Time) string {
	var b strings.Builder
	b.WriteString("SELECT Id, ")
	b.WriteString(strings.Join(st.fields, ", "))
	b.WriteString(", IsDeleted, SystemModstamp FROM ")
	b.WriteString(st.name)
	b.WriteString(" WHERE ")
	if cur.id != "" {
		t := cur.at.UTC().Format(soqlTime)
		fmt.Fprintf(&b, "(SystemModstamp > %s OR (SystemModstamp = %s AND Id > '%s')) AND ", t, t, cur.id)
	}
	fmt.Fprintf(&b, "SystemModstamp < %s ORDER BY SystemModstamp, Id", until.UTC().Format(soqlTime))
	return b.String()
}

// queryResult is one batch of a query.
type queryResult struct {
	TotalSize      int    `json:"totalSize"`
	Done           bool   `json:"done"`
	NextRecordsURL string `json:"nextRecordsUrl"`
	Records        []row  `json:"records"`
}

// Pull reads every stream from its cursor on, committing each batch Salesforce
// returns with the cursor of its last record.
func (c *Connector) Pull(ctx context.Context, r connector.Run) error {
	api, err := c.api(ctx)
	if err != nil {
		return err
	}
	multi, err := multiCurrency(ctx, api)
	if err != nil {
		return fmt.Errorf("salesforce: describe Opportunity: %w", err)
	}
	if err := c.pullStages(ctx, api, r); err != nil {
		return fmt.Errorf("salesforce: pull %s: %w", stagesStream, err)
	}
	until := c.cfg.Clock().Add(-settle).Truncate(time.Second)
	for _, st := range streams(multi) {
		if err := pullStream(ctx, api, r, st, until); err != nil {
			return fmt.Errorf("salesforce: pull %s: %w", st.name, err)
		}
	}
	return nil
}

// multiCurrency tells whether Opportunity has CurrencyIsoCode: only multi-currency
// orgs have it, and selecting it elsewhere is an INVALID_FIELD error.
func multiCurrency(ctx context.Context, api *apiclient.Client) (bool, error) {
	var d struct {
		Fields []struct {
			Name string `json:"name"`
		} `json:"fields"`
	}
	if err := api.JSON(ctx, apiclient.Request{Method: http.MethodGet, Path: "sobjects/Opportunity/describe"}, &d); err != nil {
		return false, err
	}
	if len(d.Fields) == 0 {
		return false, errors.New("the describe lists no fields")
	}
	for _, f := range d.Fields {
		if f.Name == "CurrencyIsoCode" {
			return true, nil
		}
	}
	return false, nil
}

func pullStream(ctx context.Context, api *apiclient.Client, r connector.Run, st stream, until time.Time) error {
	cur, err := parseCursor(r.Cursor(st.name))
	if err != nil {
		return err
	}
	first := func() apiclient.Request {
		return apiclient.Request{Method: http.MethodGet, Path: "queryAll", Query: url.Values{"q": {soql(st, cur, until)}}}
	}
	req, restarts, total := first(), 0, 0
	for {
		var res queryResult
		if err := api.JSON(ctx, req, &res); err != nil {
			if errors.Is(err, errInvalidLocator) && req.Query == nil && restarts < maxRestarts {
				restarts++
				r.Log().Info("salesforce: query locator expired; restarting from the cursor", "stream", st.name)
				req = first()
				continue
			}
			return err
		}
		page, last, err := decodeBatch(st, res.Records)
		if err != nil {
			return err
		}
		if len(res.Records) > 0 {
			if cur.less(last) {
				cur = last
			}
			if err := r.Commit(ctx, st.name, cur.String(), page); err != nil {
				return err
			}
			total += len(res.Records)
			restarts = 0
		}
		if res.Done {
			r.Log().Debug("salesforce: stream pulled", "stream", st.name, "records", total)
			return nil
		}
		if res.NextRecordsURL == "" {
			return errors.New("a batch that is not done has no nextRecordsUrl")
		}
		req = apiclient.Request{Method: http.MethodGet, Path: res.NextRecordsURL}
	}
}

// decodeBatch turns a batch into a page and returns the cursor of its last
// record. Deleted records become deletions (naming the survivor of a merge), except
// contact roles, whose deletion unties the contact from the opportunity.
func decodeBatch(st stream, recs []row) (connector.Page, cursor, error) {
	var page connector.Page
	var last cursor
	for i := range recs {
		rec := &recs[i]
		at, err := parseDateTime(rec.SystemModstamp)
		if err != nil || at.IsZero() || !reID.MatchString(rec.ID) {
			return page, last, fmt.Errorf("record %d of the batch has no valid Id and SystemModstamp (%q, %q)", i, rec.ID, rec.SystemModstamp)
		}
		last = cursor{at: at, id: rec.ID}
		if rec.IsDeleted && st.object != connector.ObjContactRole {
			page.Deletions = append(page.Deletions, connector.Deletion{Object: st.object, ExternalID: rec.ID, MergedInto: rec.MasterRecordID})
			continue
		}
		if err := st.add(rec, &page); err != nil {
			return page, last, fmt.Errorf("record %s: %w", rec.ID, err)
		}
	}
	return page, last, nil
}

// pullStages reads the stage picklist whole (it is short) and commits it as one
// page.
func (c *Connector) pullStages(ctx context.Context, api *apiclient.Client, r connector.Run) error {
	var stages []connector.Stage
	req := apiclient.Request{Method: http.MethodGet, Path: "query", Query: url.Values{
		"q": {"SELECT ApiName, MasterLabel, IsClosed, IsWon, SortOrder, DefaultProbability FROM OpportunityStage ORDER BY SortOrder"},
	}}
	for {
		var res struct {
			Done           bool   `json:"done"`
			NextRecordsURL string `json:"nextRecordsUrl"`
			Records        []struct {
				APIName     string       `json:"ApiName"`
				MasterLabel string       `json:"MasterLabel"`
				IsClosed    bool         `json:"IsClosed"`
				IsWon       bool         `json:"IsWon"`
				SortOrder   json.Number  `json:"SortOrder"`
				Probability *json.Number `json:"DefaultProbability"`
			} `json:"records"`
		}
		if err := api.JSON(ctx, req, &res); err != nil {
			return err
		}
		for _, s := range res.Records {
			pos, _ := strconv.ParseFloat(s.SortOrder.String(), 64)
			st := connector.Stage{
				Pipeline: pipeline, PipelineName: "Opportunities", Stage: s.APIName, StageName: s.MasterLabel,
				Position: int(pos), IsWon: s.IsWon, IsClosed: s.IsClosed,
			}
			if s.Probability != nil {
				if p, err := strconv.ParseFloat(s.Probability.String(), 64); err == nil {
					st.Probability = strconv.FormatFloat(p/100, 'f', -1, 64)
				}
			}
			stages = append(stages, st)
		}
		if res.Done || res.NextRecordsURL == "" {
			break
		}
		req = apiclient.Request{Method: http.MethodGet, Path: res.NextRecordsURL}
	}
	return r.Commit(ctx, stagesStream, c.cfg.Clock().UTC().Format(time.RFC3339), connector.Page{Stages: stages})
}
