package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/srgplatform/srg/modules/sync/apiclient"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// The touchpoint object's fields (besides its external id field, which the settings
// name). An org gets them by installing the SRG package; text fields are
// Text(255) and URL(255), lookups point at Lead, Contact and Opportunity.
const (
	FieldLead        = "Lead__c"
	FieldContact     = "Contact__c"
	FieldOpportunity = "Opportunity__c"
	FieldOccurredAt  = "Occurred_At__c"
	FieldType        = "Type__c"
	FieldName        = "Name__c"
	FieldChannel     = "Channel__c"
	FieldURL         = "URL__c"
	FieldTitle       = "Title__c"
	FieldReferrer    = "Referrer__c"
	FieldUTMSource   = "UTM_Source__c"
	FieldUTMMedium   = "UTM_Medium__c"
	FieldUTMCampaign = "UTM_Campaign__c"
	FieldUTMContent  = "UTM_Content__c"
	FieldUTMTerm     = "UTM_Term__c"
	FieldFormName    = "Form_Name__c"
	FieldEmail       = "Email__c"
)

// maxBatch is the most records one sObject Collections call takes.
const maxBatch = 200

// maxText is the length of the object's text fields; longer values (long URLs) are
// cut rather than refused.
const maxText = 255

// MaxBatch is the sObject Collections limit.
func (c *Connector) MaxBatch() int { return maxBatch }

type upsertBody struct {
	AllOrNone bool             `json:"allOrNone"`
	Records   []map[string]any `json:"records"`
}

type upsertResult struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
	Created bool   `json:"created"`
	Errors  []struct {
		StatusCode string   `json:"statusCode"`
		Message    string   `json:"message"`
		Fields     []string `json:"fields"`
	} `json:"errors"`
}

// Write upserts the touchpoints by their id. allOrNone is false so one refused
// touchpoint (a lookup to a deleted lead) does not hold back the others; its
// result carries Salesforce's reason.
func (c *Connector) Write(ctx context.Context, tps []connector.Touchpoint) ([]connector.WriteResult, error) {
	if len(tps) == 0 {
		return nil, nil
	}
	if len(tps) > maxBatch {
		return nil, fmt.Errorf("salesforce: write: %d touchpoints exceed the batch limit of %d", len(tps), maxBatch)
	}
	api, err := c.api(ctx)
	if err != nil {
		return nil, err
	}
	body := upsertBody{Records: make([]map[string]any, len(tps))}
	for i, tp := range tps {
		body.Records[i] = c.record(tp)
	}
	path := "composite/sobjects/" + url.PathEscape(c.set.TouchpointObject) + "/" + url.PathEscape(c.set.TouchpointExternalID)
	var res []upsertResult
	if err := api.JSON(ctx, apiclient.Request{Method: http.MethodPatch, Path: path, Body: body}, &res); err != nil {
		return nil, fmt.Errorf("salesforce: write: %w", err)
	}
	if len(res) != len(tps) {
		return nil, fmt.Errorf("salesforce: write: %d results for %d touchpoints", len(res), len(tps))
	}
	out := make([]connector.WriteResult, len(tps))
	for i, r := range res {
		out[i] = connector.WriteResult{ID: tps[i].ID, ExternalID: r.ID, Created: r.Created}
		if !r.Success {
			var msgs []string
			for _, e := range r.Errors {
				m := e.StatusCode + ": " + e.Message
				if len(e.Fields) > 0 {
					m += " (" + strings.Join(e.Fields, ", ") + ")"
				}
				msgs = append(msgs, m)
			}
			if len(msgs) == 0 {
				msgs = []string{"refused without a reason"}
			}
			out[i].Err = strings.Join(msgs, "; ")
		}
	}
	return out, nil
}

// record is one touchpoint as a custom object record. Empty values are sent as
// null so that a rewrite clears what no longer applies (a lead that became a
// contact).
func (c *Connector) record(tp connector.Touchpoint) map[string]any {
	opp := ""
	if len(tp.OpportunityIDs) > 0 {
		opp = tp.OpportunityIDs[0]
	}
	rec := map[string]any{
		"attributes":               map[string]string{"type": c.set.TouchpointObject},
		c.set.TouchpointExternalID: tp.ID,
		FieldOccurredAt:            tp.OccurredAt.UTC().Format(soqlTime),
	}
	for k, v := range map[string]string{
		FieldLead: tp.LeadID, FieldContact: tp.ContactID, FieldOpportunity: opp,
		FieldType: tp.Type, FieldName: tp.Name, FieldChannel: tp.Channel, FieldURL: tp.URL,
		FieldTitle: tp.Title, FieldReferrer: tp.Referrer, FieldUTMSource: tp.UTMSource,
		FieldUTMMedium: tp.UTMMedium, FieldUTMCampaign: tp.UTMCampaign, FieldUTMContent: tp.UTMContent,
		FieldUTMTerm: tp.UTMTerm, FieldFormName: tp.FormName, FieldEmail: tp.Email,
	} {
		if v == "" {
			rec[k] = nil
			continue
		}
		rec[k] = truncate(v, maxText)
	}
	return rec
}

// truncate cuts s to at most n characters.
func truncate(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
