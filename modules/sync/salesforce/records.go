package salesforce

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/srgplatform/srg/modules/sync/connector"
)

// row is any record the connector reads; each stream fills the fields it selects.
// JSON nulls leave the zero value.
type row struct {
	ID             string      `json:"Id"`
	IsDeleted      bool        `json:"IsDeleted"`
	SystemModstamp string      `json:"SystemModstamp"`
	MasterRecordID string      `json:"MasterRecordId"`
	CreatedDate    string      `json:"CreatedDate"`
	Name           string      `json:"Name"`
	Website        string      `json:"Website"`
	AccountID      string      `json:"AccountId"`
	Email          string      `json:"Email"`
	FirstName      string      `json:"FirstName"`
	LastName       string      `json:"LastName"`
	Company        string      `json:"Company"`
	IsConverted    bool        `json:"IsConverted"`
	ConvContactID  string      `json:"ConvertedContactId"`
	ConvAccountID  string      `json:"ConvertedAccountId"`
	ConvOppID      string      `json:"ConvertedOpportunityId"`
	Amount         json.Number `json:"Amount"`
	Currency       string      `json:"CurrencyIsoCode"`
	StageName      string      `json:"StageName"`
	CloseDate      string      `json:"CloseDate"`
	IsClosed       bool        `json:"IsClosed"`
	IsWon          bool        `json:"IsWon"`
	CampaignID     string      `json:"CampaignId"`
	OpportunityID  string      `json:"OpportunityId"`
	ContactID      string      `json:"ContactId"`
	LeadID         string      `json:"LeadId"`
	Role           string      `json:"Role"`
	IsPrimary      bool        `json:"IsPrimary"`
	Type           string      `json:"Type"`
	Status         string      `json:"Status"`
	HasResponded   bool        `json:"HasResponded"`
	FirstResponded string      `json:"FirstRespondedDate"`
}

// stream is one object pulled into the mirror.
type stream struct {
	// name is the sObject and the stream's cursor name.
	name   string
	object connector.Object
	fields []string
	// add puts a live record (or, for contact roles, any record) on the page.
	add func(r *row, p *connector.Page) error
}

// streams lists the objects pulled, parents before children. Opportunity selects
// CurrencyIsoCode only when the org has it (multiCurrency).
func streams(multiCurrency bool) []stream {
	oppFields := []string{"Name", "AccountId", "Amount", "StageName", "CloseDate", "CreatedDate", "IsClosed", "IsWon", "CampaignId"}
	if multiCurrency {
		oppFields = append(oppFields, "CurrencyIsoCode")
	}
	return []stream{
		{name: "Account", object: connector.ObjAccount, fields: []string{"Name", "Website", "MasterRecordId"}, add: addAccount},
		{name: "Campaign", object: connector.ObjCampaign, fields: []string{"Name", "Type", "Status"}, add: addCampaign},
		{name: "Contact", object: connector.ObjContact, fields: []string{"AccountId", "Email", "FirstName", "LastName", "CreatedDate", "MasterRecordId"}, add: addContact},
		{name: "Lead", object: connector.ObjLead, fields: []string{"Email", "FirstName", "LastName", "Company", "IsConverted", "ConvertedContactId", "ConvertedAccountId", "ConvertedOpportunityId", "CreatedDate", "MasterRecordId"}, add: addLead},
		{name: "Opportunity", object: connector.ObjOpportunity, fields: oppFields, add: addOpportunity},
		{name: "OpportunityContactRole", object: connector.ObjContactRole, fields: []string{"OpportunityId", "ContactId", "Role", "IsPrimary"}, add: addContactRole},
		{name: "CampaignMember", object: connector.ObjCampaignMember, fields: []string{"CampaignId", "LeadId", "ContactId", "Status", "HasResponded", "FirstRespondedDate"}, add: addCampaignMember},
	}
}

// datetimeLayout is how Salesforce writes a dateTime in JSON.
const datetimeLayout = "2006-01-02T15:04:05.000-0700"

func parseDateTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(datetimeLayout, s)
	if err != nil {
		if t, err2 := time.Parse(time.RFC3339Nano, s); err2 == nil {
			return t.UTC(), nil
		}
		return time.Time{}, fmt.Errorf("bad dateTime %q", s)
	}
	return t.UTC(), nil
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad date %q", s)
	}
	return t, nil
}

// domain turns a Website value ("https://www.Acme.com/about", "acme.com") into a
// lower-case host without www.
func domain(website string) string {
	w := strings.TrimSpace(website)
	if w == "" {
		return ""
	}
	if !strings.Contains(w, "://") {
		w = "http://" + w
	}
	u, err := url.Parse(w)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

func addAccount(r *row, p *connector.Page) error {
	mod, err := parseDateTime(r.SystemModstamp)
	if err != nil {
		return err
	}
	p.Accounts = append(p.Accounts, connector.Account{ExternalID: r.ID, Name: r.Name, Domain: domain(r.Website), ModifiedAt: mod})
	return nil
}

func addCampaign(r *row, p *connector.Page) error {
	mod, err := parseDateTime(r.SystemModstamp)
	if err != nil {
		return err
	}
	p.Campaigns = append(p.Campaigns, connector.Campaign{ExternalID: r.ID, Name: r.Name, Type: r.Type, Status: r.Status, ModifiedAt: mod})
	return nil
}

func addContact(r *row, p *connector.Page) error {
	c, err := person(r)
	if err != nil {
		return err
	}
	c.AccountExternalID = r.AccountID
	p.Contacts = append(p.Contacts, c)
	return nil
}

func addLead(r *row, p *connector.Page) error {
	c, err := person(r)
	if err != nil {
		return err
	}
	c.Lead, c.Company = true, r.Company
	c.Converted, c.ConvertedContactID, c.ConvertedAccountID, c.ConvertedOpportunityID = r.IsConverted, r.ConvContactID, r.ConvAccountID, r.ConvOppID
	p.Contacts = append(p.Contacts, c)
	return nil
}

func person(r *row) (connector.Contact, error) {
	created, err := parseDateTime(r.CreatedDate)
	if err != nil {
		return connector.Contact{}, err
	}
	mod, err := parseDateTime(r.SystemModstamp)
	if err != nil {
		return connector.Contact{}, err
	}
	return connector.Contact{ExternalID: r.ID, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, CreatedAt: created, ModifiedAt: mod}, nil
}

func addOpportunity(r *row, p *connector.Page) error {
	created, err := parseDateTime(r.CreatedDate)
	if err != nil {
		return err
	}
	mod, err := parseDateTime(r.SystemModstamp)
	if err != nil {
		return err
	}
	closeDate, err := parseDate(r.CloseDate)
	if err != nil {
		return err
	}
	p.Opportunities = append(p.Opportunities, connector.Opportunity{
		ExternalID: r.ID, Name: r.Name, AccountExternalID: r.AccountID, Amount: r.Amount.String(),
		Currency: r.Currency, Pipeline: pipeline, Stage: r.StageName, IsWon: r.IsWon, IsClosed: r.IsClosed,
		CreatedAt: created, CloseDate: closeDate, CampaignExternalID: r.CampaignID, ModifiedAt: mod,
	})
	return nil
}

func addContactRole(r *row, p *connector.Page) error {
	p.ContactRoles = append(p.ContactRoles, connector.ContactRole{
		OpportunityExternalID: r.OpportunityID, ContactExternalID: r.ContactID, Role: r.Role, IsPrimary: r.IsPrimary, Deleted: r.IsDeleted,
	})
	return nil
}

func addCampaignMember(r *row, p *connector.Page) error {
	mod, err := parseDateTime(r.SystemModstamp)
	if err != nil {
		return err
	}
	responded, err := parseDate(r.FirstResponded)
	if err != nil {
		return err
	}
	p.CampaignMembers = append(p.CampaignMembers, connector.CampaignMember{
		ExternalID: r.ID, CampaignExternalID: r.CampaignID, LeadExternalID: r.LeadID, ContactExternalID: r.ContactID,
		Status: r.Status, HasResponded: r.HasResponded, FirstRespondedDate: responded, ModifiedAt: mod,
	})
	return nil
}
