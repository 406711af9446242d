package hubspot

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/srgplatform/srg/modules/sync/apiclient"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// HubSpot's own association type ids that mark a primary company.
const (
	contactPrimaryCompany = 1
	dealPrimaryCompany    = 5
)

// objectSpec is one searchable object type and how its pages become mirror records.
type objectSpec struct {
	stream  string
	path    string
	obj     connector.Object
	modProp string
	props   []string
	build   func(ctx context.Context, objs []object) (connector.Page, error)
}

func (c *Connector) specs(stages stageIndex) []objectSpec {
	return []objectSpec{
		{stream: "companies", path: "companies", obj: connector.ObjAccount, modProp: "hs_lastmodifieddate",
			props: []string{"name", "domain", "hs_lastmodifieddate", "hs_merged_object_ids"},
			build: c.companiesPage},
		{stream: "contacts", path: "contacts", obj: connector.ObjContact, modProp: "lastmodifieddate",
			props: []string{"email", "firstname", "lastname", "company", "associatedcompanyid", "createdate",
				"lastmodifieddate", "hs_merged_object_ids"},
			build: c.contactsPage},
		{stream: "deals", path: "deals", obj: connector.ObjOpportunity, modProp: "hs_lastmodifieddate",
			props: []string{"dealname", "amount", "deal_currency_code", "pipeline", "dealstage", "closedate",
				"createdate", "hs_lastmodifieddate", "hs_is_closed_won", "hs_is_closed", "hs_merged_object_ids"},
			build: func(ctx context.Context, objs []object) (connector.Page, error) {
				return c.dealsPage(ctx, objs, stages)
			}},
	}
}

// merges are the deletions a survivor's hs_merged_object_ids imply.
func merges(obj connector.Object, o object) []connector.Deletion {
	var out []connector.Deletion
	for id := range strings.SplitSeq(o.get("hs_merged_object_ids"), ";") {
		if id = strings.TrimSpace(id); id != "" && id != o.ID {
			out = append(out, connector.Deletion{Object: obj, ExternalID: id, MergedInto: o.ID})
		}
	}
	return out
}

func (c *Connector) companiesPage(_ context.Context, objs []object) (connector.Page, error) {
	var p connector.Page
	for _, o := range objs {
		p.Accounts = append(p.Accounts, connector.Account{ExternalID: o.ID, Name: o.get("name"),
			Domain: domain(o.get("domain")), ModifiedAt: o.timeOf("hs_lastmodifieddate", o.UpdatedAt)})
		p.Deletions = append(p.Deletions, merges(connector.ObjAccount, o)...)
	}
	return p, nil
}

// contactsPage maps contacts with all their companies; the primary one (HubSpot's
// associatedcompanyid, else the primary association, else the first) is also the
// contact's account.
func (c *Connector) contactsPage(ctx context.Context, objs []object) (connector.Page, error) {
	companies, err := c.associations(ctx, "contacts", "companies", ids(objs))
	if err != nil {
		return connector.Page{}, err
	}
	var p connector.Page
	for _, o := range objs {
		ct := connector.Contact{ExternalID: o.ID, Email: o.get("email"), FirstName: o.get("firstname"),
			LastName: o.get("lastname"), Company: o.get("company"),
			CreatedAt: o.timeOf("createdate", o.CreatedAt), ModifiedAt: o.timeOf("lastmodifieddate", o.UpdatedAt)}
		list := companies[o.ID]
		ct.AccountExternalID = o.get("associatedcompanyid")
		if ct.AccountExternalID == "" {
			ct.AccountExternalID = primary(list, contactPrimaryCompany)
		}
		seen := map[string]bool{}
		for _, a := range list {
			seen[a.id()] = true
			p.ContactAccounts = append(p.ContactAccounts, connector.ContactAccount{ContactExternalID: o.ID, AccountExternalID: a.id()})
		}
		if ct.AccountExternalID != "" && !seen[ct.AccountExternalID] {
			p.ContactAccounts = append(p.ContactAccounts, connector.ContactAccount{ContactExternalID: o.ID, AccountExternalID: ct.AccountExternalID})
		}
		p.Contacts = append(p.Contacts, ct)
		p.Deletions = append(p.Deletions, merges(connector.ObjContact, o)...)
	}
	return p, nil
}

// dealsPage maps deals with their company and contacts. Won and closed come from
// hs_is_closed_won and hs_is_closed when the portal has them, else from the stage's
// metadata.
func (c *Connector) dealsPage(ctx context.Context, objs []object, stages stageIndex) (connector.Page, error) {
	ids := ids(objs)
	companies, err := c.associations(ctx, "deals", "companies", ids)
	if err != nil {
		return connector.Page{}, err
	}
	contacts, err := c.associations(ctx, "deals", "contacts", ids)
	if err != nil {
		return connector.Page{}, err
	}
	var p connector.Page
	for _, o := range objs {
		d := connector.Opportunity{ExternalID: o.ID, Name: o.get("dealname"),
			AccountExternalID: primary(companies[o.ID], dealPrimaryCompany),
			Amount:            decimal(o.get("amount")), Currency: strings.ToUpper(o.get("deal_currency_code")),
			Pipeline: o.get("pipeline"), Stage: o.get("dealstage"),
			CreatedAt: o.timeOf("createdate", o.CreatedAt), ModifiedAt: o.timeOf("hs_lastmodifieddate", o.UpdatedAt)}
		d.CloseDate, _ = parseTime(o.get("closedate"))
		meta := stages[[2]string{d.Pipeline, d.Stage}]
		d.IsClosed, d.IsWon = meta.IsClosed, meta.IsWon
		if o.has("hs_is_closed") {
			d.IsClosed = o.get("hs_is_closed") == "true"
		}
		if o.has("hs_is_closed_won") {
			d.IsWon = o.get("hs_is_closed_won") == "true"
		}
		p.Opportunities = append(p.Opportunities, d)
		for _, a := range contacts[o.ID] {
			p.ContactRoles = append(p.ContactRoles, connector.ContactRole{OpportunityExternalID: o.ID,
				ContactExternalID: a.id(), Role: a.label()})
		}
		p.Deletions = append(p.Deletions, merges(connector.ObjOpportunity, o)...)
	}
	return p, nil
}

func ids(objs []object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.ID
	}
	return out
}

// primary is the association of the primary type, else the first one.
func primary(list []assoc, typeID int) string {
	for _, a := range list {
		if a.is(typeID) {
			return a.id()
		}
	}
	if len(list) > 0 {
		return list[0].id()
	}
	return ""
}

// stageIndex is each (pipeline, stage)'s won and closed flags.
type stageIndex map[[2]string]connector.Stage

// pullStages reads the deal pipelines into one page and returns their stages.
func (c *Connector) pullStages(ctx context.Context, r connector.Run) (stageIndex, error) {
	var resp struct {
		Results []struct {
			ID           string `json:"id"`
			Label        string `json:"label"`
			DisplayOrder int    `json:"displayOrder"`
			Stages       []struct {
				ID           string            `json:"id"`
				Label        string            `json:"label"`
				DisplayOrder int               `json:"displayOrder"`
				Metadata     map[string]string `json:"metadata"`
			} `json:"stages"`
		} `json:"results"`
	}
	if err := c.api.JSON(ctx, apiclient.Request{Method: http.MethodGet, Path: "/crm/v3/pipelines/deals"}, &resp); err != nil {
		return nil, err
	}
	idx := stageIndex{}
	var p connector.Page
	for _, pl := range resp.Results {
		for _, st := range pl.Stages {
			prob := decimal(st.Metadata["probability"])
			closed := st.Metadata["isClosed"] == "true"
			f, _ := strconv.ParseFloat(prob, 64)
			s := connector.Stage{Pipeline: pl.ID, PipelineName: pl.Label, Stage: st.ID, StageName: st.Label,
				Position: st.DisplayOrder, IsClosed: closed, IsWon: closed && prob != "" && f == 1, Probability: prob}
			idx[[2]string{pl.ID, st.ID}] = s
			p.Stages = append(p.Stages, s)
		}
	}
	if err := r.Commit(ctx, "stages", stamp(c.now()), p); err != nil {
		return nil, err
	}
	return idx, nil
}
