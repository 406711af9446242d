package reports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The credits index holds one document per opportunity (or lead conversion): its
// kind and dates at the root, what each model credited to each of its touchpoints
// in the nested touches. Queries filter opportunities on the root fields, then
// group and sum the touches inside a nested aggregation.

const touchesPath = "touches"

func touchField(name string) string { return touchesPath + "." + name }

func creditField(model string) string { return touchField("credit." + model) }

// nestedTouches is a nested aggregation over the touches of the opportunities in
// its context, with aggs as its sub-aggregations.
func nestedTouches(aggs map[string]any) map[string]any {
	return map[string]any{"nested": map[string]any{"path": touchesPath}, "aggs": aggs}
}

// hasTouch is a query for the documents with a touch that matches query.
func hasTouch(query map[string]any) map[string]any {
	return map[string]any{"nested": map[string]any{"path": touchesPath, "query": query}}
}

func term(field, value string) map[string]any {
	return map[string]any{"term": map[string]any{field: value}}
}

func terms(field string, values ...string) map[string]any {
	return map[string]any{"terms": map[string]any{field: values}}
}

func and(clauses ...map[string]any) map[string]any {
	return map[string]any{"bool": map[string]any{"filter": clauses}}
}

// sums is one sum aggregation of the touches' credit per model, named m_<model>;
// it belongs inside nestedTouches.
func sums(models []string) map[string]any {
	out := map[string]any{}
	for _, m := range models {
		out["m_"+m] = map[string]any{"sum": map[string]any{"field": creditField(m)}}
	}
	return out
}

// pipelineFilter selects opportunities created in the range, won, lost or open;
// revenueFilter those won in the range; leadFilter lead conversions in the range.
func pipelineFilter(r Range) map[string]any {
	return and(terms("kind", KindPipeline, KindRevenue, KindLost), r.esRange("opportunity_created_at"))
}

func revenueFilter(r Range) map[string]any {
	return and(terms("kind", KindRevenue), r.esRange("closed_at"))
}

func leadFilter(r Range) map[string]any {
	return and(terms("kind", KindLead), r.esRange("opportunity_created_at"))
}

// creditDoc is a credits index document, as far as reports read it.
type creditDoc struct {
	OpportunityID string        `json:"opportunity_id"`
	Kind          string        `json:"kind"`
	Touches       []creditTouch `json:"touches"`
}

// creditTouch is a touch of a credits document: what each model credited to one
// touchpoint of the opportunity.
type creditTouch struct {
	TouchpointID string             `json:"touchpoint_id"`
	PersonID     string             `json:"person_id"`
	AccountID    string             `json:"account_id"`
	Channel      string             `json:"channel"`
	ChannelRule  string             `json:"channel_rule"`
	Campaign     string             `json:"campaign"`
	Source       string             `json:"source"`
	Medium       string             `json:"medium"`
	LandingPage  string             `json:"landing_page"`
	TouchedAt    esDate             `json:"touched_at"`
	Credit       map[string]float64 `json:"credit"`
	Fractions    map[string]float64 `json:"fractions"`
}

// credit is a touch with its opportunity.
type credit struct {
	OpportunityID string
	Kind          string
	creditTouch
}

// touchOrder orders credits as journeys list them: by touch time, touchpoint and
// opportunity.
func touchOrder(a, b credit) int {
	if c := time.Time(a.TouchedAt).Compare(time.Time(b.TouchedAt)); c != 0 {
		return c
	}
	if c := strings.Compare(a.TouchpointID, b.TouchpointID); c != 0 {
		return c
	}
	return strings.Compare(a.OpportunityID, b.OpportunityID)
}

// maxCredits bounds the credits a journey reads.
const maxCredits = 10000

var errEnoughCredits = errors.New("reports: enough credits read")

// credits lists the credits of an opportunity (field opportunity_id), or of the
// touches of a person or an account (person_id, account_id), in touch order, the
// first maxCredits of them.
func (s *Service) credits(ctx context.Context, tenant, field, value string) ([]credit, error) {
	query := term(field, value)
	byEarliest := map[string]any{"path": touchesPath}
	var keep func(t *creditTouch) bool
	switch field {
	case "opportunity_id":
		keep = func(*creditTouch) bool { return true }
	case "person_id":
		keep = func(t *creditTouch) bool { return t.PersonID == value }
	case "account_id":
		keep = func(t *creditTouch) bool { return t.AccountID == value }
	default:
		return nil, fmt.Errorf("reports: credits by %s", field)
	}
	if field != "opportunity_id" {
		query = hasTouch(term(touchField(field), value))
		byEarliest["filter"] = term(touchField(field), value)
	}
	body := map[string]any{
		"query": map[string]any{"bool": map[string]any{"filter": []any{query}}},
		// Opportunities by their earliest touch of the journey, so that reading can
		// stop once no later one can have a touch among the first maxCredits.
		"sort": []any{
			map[string]any{touchField("touched_at"): map[string]any{"order": "asc", "mode": "min", "nested": byEarliest}},
			map[string]any{"opportunity_id": "asc"},
		},
		"_source": []string{"opportunity_id", "kind", "touches.touchpoint_id", "touches.person_id", "touches.account_id",
			"touches.channel", "touches.channel_rule", "touches.campaign", "touches.source", "touches.medium",
			"touches.landing_page", "touches.touched_at", "touches.credit", "touches.fractions"},
	}
	var out []credit
	// Once set, cutoff is when the last of the first maxCredits read so far was
	// touched: an opportunity whose touches are all later has none of the first,
	// nor has any read after it.
	var cutoff *time.Time
	trim := func() {
		slices.SortFunc(out, touchOrder)
		if len(out) > maxCredits {
			out = out[:maxCredits]
		}
		if len(out) == maxCredits {
			t := time.Time(out[maxCredits-1].TouchedAt)
			cutoff = &t
		}
	}
	err := s.es.Each(ctx, tenant, creditsIndex, body, func(raw json.RawMessage) error {
		var d creditDoc
		if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("reports: credit document: %w", err)
		}
		read := len(out)
		for _, t := range d.Touches {
			if keep(&t) {
				out = append(out, credit{OpportunityID: d.OpportunityID, Kind: d.Kind, creditTouch: t})
			}
		}
		if cutoff != nil && len(out) > read && time.Time(slices.MinFunc(out[read:], touchOrder).TouchedAt).After(*cutoff) {
			out = out[:read]
			return errEnoughCredits
		}
		if len(out) >= 2*maxCredits {
			trim()
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnoughCredits) {
		return nil, err
	}
	trim()
	return out, nil
}
