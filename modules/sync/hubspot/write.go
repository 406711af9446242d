package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/srgplatform/srg/modules/sync/apiclient"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// TouchpointIDProperty is the touchpoint object's unique property, by which writes
// are upserts.
const TouchpointIDProperty = "srg_touchpoint_id"

// TouchpointProperties are the properties the touchpoint object must have.
var TouchpointProperties = []string{
	TouchpointIDProperty, "srg_occurred_at", "srg_type", "srg_name", "srg_url", "srg_title", "srg_referrer",
	"srg_channel", "srg_utm_source", "srg_utm_medium", "srg_utm_campaign", "srg_utm_content", "srg_utm_term",
	"srg_form_name", "srg_email",
}

// maxBatch is HubSpot's batch size for object writes.
const maxBatch = 100

// MaxBatch is the most touchpoints one Write takes.
func (c *Connector) MaxBatch() int { return maxBatch }

type upsertInput struct {
	IDProperty string            `json:"idProperty"`
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

func properties(tp connector.Touchpoint) map[string]string {
	occurred := ""
	if !tp.OccurredAt.IsZero() {
		occurred = stamp(tp.OccurredAt)
	}
	return map[string]string{
		TouchpointIDProperty: tp.ID, "srg_occurred_at": occurred, "srg_type": tp.Type, "srg_name": tp.Name,
		"srg_url": tp.URL, "srg_title": tp.Title, "srg_referrer": tp.Referrer, "srg_channel": tp.Channel,
		"srg_utm_source": tp.UTMSource, "srg_utm_medium": tp.UTMMedium, "srg_utm_campaign": tp.UTMCampaign,
		"srg_utm_content": tp.UTMContent, "srg_utm_term": tp.UTMTerm, "srg_form_name": tp.FormName, "srg_email": tp.Email,
	}
}

// Write upserts one touchpoint record per touchpoint by srg_touchpoint_id, then
// associates it with its contact and deals. A record HubSpot refuses, or one whose
// association fails, gets its reason in WriteResult.Err; an error means nothing
// useful was written (HubSpot refused every record, or could not be reached).
func (c *Connector) Write(ctx context.Context, tps []connector.Touchpoint) ([]connector.WriteResult, error) {
	if c.settings.TouchpointObject == "" {
		return nil, errors.New("hubspot: write: settings.touchpoint_object is not set")
	}
	if len(tps) > maxBatch {
		return nil, fmt.Errorf("hubspot: write: %d touchpoints, at most %d per batch", len(tps), maxBatch)
	}
	results := make([]connector.WriteResult, len(tps))
	first := map[string]int{}
	var inputs []upsertInput
	for i, tp := range tps {
		results[i].ID = tp.ID
		switch {
		case tp.ID == "":
			results[i].Err = "touchpoint has no id"
		case tp.ContactID == "":
			results[i].Err = "touchpoint has no HubSpot contact id"
		default:
			if _, dup := first[tp.ID]; dup {
				continue
			}
			first[tp.ID] = i
			inputs = append(inputs, upsertInput{IDProperty: TouchpointIDProperty, ID: tp.ID, Properties: properties(tp)})
		}
	}
	if len(inputs) > 0 {
		written, refused, err := c.upsert(ctx, inputs)
		if err != nil {
			return nil, fmt.Errorf("hubspot: write: %w", err)
		}
		if reason, ok := sameReason(refused); ok && len(written) == 0 && len(refused) > 1 {
			// One reason for every record is the portal's setup, not the records:
			// fail the batch so it is retried once the setup is fixed.
			return nil, fmt.Errorf("hubspot: write: HubSpot refused every touchpoint: %s", reason)
		}
		for id, i := range first {
			if u, ok := written[id]; ok {
				results[i].ExternalID, results[i].Created = u.ID, u.New
			} else {
				results[i].Err = refused[id]
			}
		}
		if err := c.associate(ctx, tps, results, first); err != nil {
			return nil, fmt.Errorf("hubspot: write: %w", err)
		}
	}
	for i, tp := range tps {
		if j, ok := first[tp.ID]; ok && j != i {
			results[i] = results[j]
		}
	}
	return results, nil
}

type upserted struct {
	ID         string            `json:"id"`
	New        bool              `json:"new"`
	Properties map[string]string `json:"properties"`
}

// upsert writes the inputs, returning the records written and the reasons for
// those refused. HubSpot refuses a whole batch over one bad input (207 with no
// results), so after a refusal each input not written is sent alone, which writes
// the good ones and pins each reason on its own input.
func (c *Connector) upsert(ctx context.Context, inputs []upsertInput) (map[string]upserted, map[string]string, error) {
	written, refused := map[string]upserted{}, map[string]string{}
	if err := c.upsertBatch(ctx, inputs, written, refused); err != nil {
		return nil, nil, err
	}
	if len(refused) == 0 || len(inputs) == 1 {
		return written, refused, nil
	}
	clear(refused)
	for _, in := range inputs {
		if _, ok := written[in.ID]; ok {
			continue
		}
		if err := c.upsertBatch(ctx, []upsertInput{in}, written, refused); err != nil {
			return nil, nil, err
		}
	}
	return written, refused, nil
}

func (c *Connector) upsertBatch(ctx context.Context, inputs []upsertInput, written map[string]upserted, refused map[string]string) error {
	var resp struct {
		Results []upserted   `json:"results"`
		Errors  []batchError `json:"errors"`
	}
	path := "/crm/v3/objects/" + c.settings.TouchpointObject + "/batch/upsert"
	body := struct {
		Inputs []upsertInput `json:"inputs"`
	}{inputs}
	err := c.api.JSON(ctx, apiclient.Request{Method: http.MethodPost, Path: path, Body: body}, &resp)
	var apiErr *apiclient.Error
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusBadRequest && apiErr.Err != nil &&
		!strings.Contains(apiErr.Err.Error(), "Unable to infer object type") {
		// A 400 refuses the batch for one bad input or for all of them; upsert
		// tells which by sending them alone.
		for _, in := range inputs {
			refused[in.ID] = apiErr.Err.Error()
		}
		return nil
	}
	if err != nil {
		return err
	}
	for _, u := range resp.Results {
		if id := u.Properties[TouchpointIDProperty]; id != "" {
			written[id] = u
		}
	}
	reason := "refused by HubSpot"
	if len(resp.Errors) > 0 {
		reason = resp.Errors[0].Message
	}
	for _, in := range inputs {
		if _, ok := written[in.ID]; !ok {
			refused[in.ID] = reason
		}
	}
	return nil
}

type link struct {
	from, to string
	at       int
}

// associate links each written record with its contact and deals, adding the
// failures to the touchpoints' results.
func (c *Connector) associate(ctx context.Context, tps []connector.Touchpoint, results []connector.WriteResult, first map[string]int) error {
	byType := map[string][]link{}
	for _, i := range first {
		if results[i].ExternalID == "" {
			continue
		}
		tp := tps[i]
		byType["contacts"] = append(byType["contacts"], link{results[i].ExternalID, tp.ContactID, i})
		for _, d := range tp.OpportunityIDs {
			byType["deals"] = append(byType["deals"], link{results[i].ExternalID, d, i})
		}
	}
	for _, to := range []string{"contacts", "deals"} {
		failed, err := c.associateBatch(ctx, to, byType[to])
		if err != nil {
			return err
		}
		if len(failed) == 0 {
			continue
		}
		// Sent alone, each failure says which link HubSpot refused and why.
		for _, l := range byType[to] {
			if !failed[l] {
				continue
			}
			msg, err := c.associateOne(ctx, to, l)
			if err != nil {
				return err
			}
			if msg != "" && results[l.at].Err == "" {
				results[l.at].Err = fmt.Sprintf("associate with %s %s: %s", to[:len(to)-1], l.to, msg)
			}
		}
	}
	return nil
}

type assocInput struct {
	From struct {
		ID string `json:"id"`
	} `json:"from"`
	To struct {
		ID string `json:"id"`
	} `json:"to"`
}

// associateBatch creates the default association for each link, returning those
// that failed.
func (c *Connector) associateBatch(ctx context.Context, to string, links []link) (map[link]bool, error) {
	failed := map[link]bool{}
	for start := 0; start < len(links); start += maxBatch {
		chunk := links[start:min(start+maxBatch, len(links))]
		var resp struct {
			Results []assocInput `json:"results"`
		}
		if err := c.associateCall(ctx, to, chunk, &resp); err != nil {
			return nil, err
		}
		done := map[[2]string]bool{}
		for _, r := range resp.Results {
			done[[2]string{r.From.ID, r.To.ID}] = true
		}
		for _, l := range chunk {
			if !done[[2]string{l.from, l.to}] {
				failed[l] = true
			}
		}
	}
	return failed, nil
}

// associateOne creates one link, returning HubSpot's reason when it refuses it.
func (c *Connector) associateOne(ctx context.Context, to string, l link) (string, error) {
	var resp struct {
		Results []assocInput `json:"results"`
		Errors  []batchError `json:"errors"`
	}
	err := c.associateCall(ctx, to, []link{l}, &resp)
	var apiErr *apiclient.Error
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusBadRequest && apiErr.Err != nil {
		return apiErr.Err.Error(), nil
	}
	if err != nil {
		return "", err
	}
	if len(resp.Results) > 0 {
		return "", nil
	}
	if len(resp.Errors) > 0 {
		return resp.Errors[0].Message, nil
	}
	return "refused by HubSpot", nil
}

func (c *Connector) associateCall(ctx context.Context, to string, links []link, out any) error {
	inputs := make([]assocInput, len(links))
	for i, l := range links {
		inputs[i].From.ID, inputs[i].To.ID = l.from, l.to
	}
	path := fmt.Sprintf("/crm/v4/associations/%s/%s/batch/associate/default", c.settings.TouchpointObject, to)
	return c.api.JSON(ctx, apiclient.Request{Method: http.MethodPost, Path: path, Body: struct {
		Inputs []assocInput `json:"inputs"`
	}{inputs}}, out)
}

// sameReason says whether every refusal gives the same reason, and which.
func sameReason(refused map[string]string) (string, bool) {
	reason := ""
	for _, r := range refused {
		if reason != "" && r != reason {
			return "", false
		}
		reason = r
	}
	return reason, reason != ""
}
