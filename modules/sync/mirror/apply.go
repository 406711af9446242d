// Package mirror writes what connectors read into the CRM mirror and ad spend
// tables, and keeps each connector's cursors beside that data, so a page and the
// cursor that resumes after it commit together.
package mirror

import (
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/modules/sync/connector"
)

var (
	accounts = table{
		name:     "crm_accounts",
		cols:     []string{"tenant_id", "source", "external_id", "name", "domain", "modified_at", "deleted", "merged_into", "synced_at"},
		conflict: []string{"tenant_id", "source", "external_id"},
		update:   []string{"name", "domain", "modified_at", "deleted", "merged_into", "synced_at"},
	}
	contacts = table{
		name: "crm_contacts",
		cols: []string{"tenant_id", "source", "kind", "external_id", "email", "first_name", "last_name", "company",
			"account_external_id", "converted", "converted_contact_id", "converted_account_id", "converted_opportunity_id",
			"created_at_source", "modified_at", "deleted", "merged_into", "synced_at"},
		conflict: []string{"tenant_id", "source", "kind", "external_id"},
		update: []string{"email", "first_name", "last_name", "company", "account_external_id", "converted",
			"converted_contact_id", "converted_account_id", "converted_opportunity_id", "created_at_source",
			"modified_at", "deleted", "merged_into", "synced_at"},
	}
	contactAccounts = table{
		name:     "crm_contact_accounts",
		cols:     []string{"tenant_id", "source", "contact_external_id", "account_external_id"},
		conflict: []string{"tenant_id", "source", "contact_external_id", "account_external_id"},
	}
	opportunities = table{
		name: "crm_opportunities",
		cols: []string{"tenant_id", "source", "external_id", "name", "account_external_id", "amount", "currency",
			"pipeline", "stage", "is_won", "is_closed", "created_date", "close_date", "campaign_external_id",
			"modified_at", "deleted", "merged_into", "synced_at"},
		conflict: []string{"tenant_id", "source", "external_id"},
		update: []string{"name", "account_external_id", "amount", "currency", "pipeline", "stage", "is_won",
			"is_closed", "created_date", "close_date", "campaign_external_id", "modified_at", "deleted", "merged_into", "synced_at"},
	}
	contactRoles = table{
		name:     "crm_opportunity_contacts",
		cols:     []string{"tenant_id", "source", "opportunity_external_id", "contact_external_id", "role", "is_primary", "deleted"},
		conflict: []string{"tenant_id", "source", "opportunity_external_id", "contact_external_id"},
		update:   []string{"role", "is_primary", "deleted"},
	}
	stages = table{
		name:     "crm_stages",
		cols:     []string{"tenant_id", "source", "pipeline", "pipeline_name", "stage", "stage_name", "position", "is_won", "is_closed", "probability"},
		conflict: []string{"tenant_id", "source", "pipeline", "stage"},
		update:   []string{"pipeline_name", "stage_name", "position", "is_won", "is_closed", "probability"},
	}
	campaigns = table{
		name:     "crm_campaigns",
		cols:     []string{"tenant_id", "source", "external_id", "name", "type", "status", "modified_at", "deleted", "synced_at"},
		conflict: []string{"tenant_id", "source", "external_id"},
		update:   []string{"name", "type", "status", "modified_at", "deleted", "synced_at"},
	}
	campaignMembers = table{
		name: "crm_campaign_members",
		cols: []string{"tenant_id", "source", "external_id", "campaign_external_id", "lead_external_id", "contact_external_id",
			"status", "has_responded", "first_responded_date", "modified_at", "deleted", "synced_at"},
		conflict: []string{"tenant_id", "source", "external_id"},
		update: []string{"campaign_external_id", "lead_external_id", "contact_external_id", "status", "has_responded",
			"first_responded_date", "modified_at", "deleted", "synced_at"},
	}
	spend = table{
		name:     "ad_spend_daily",
		cols:     []string{"tenant_id", "platform", "account_id", "campaign_id", "campaign_name", "day", "spend", "currency", "clicks", "impressions", "synced_at"},
		conflict: []string{"tenant_id", "platform", "account_id", "campaign_id", "day"},
		update:   []string{"campaign_name", "spend", "currency", "clicks", "impressions", "synced_at"},
	}
)

// Counts is how many records of each type a page or run wrote.
type Counts map[connector.Object]int

// Add adds other into c.
func (c Counts) Add(other Counts) {
	for k, v := range other {
		c[k] += v
	}
}

// Apply upserts every record of page for the tenant and source inside tx. Records
// are upserts by external id, so applying a page twice leaves the mirror as once.
func Apply(tx *gorm.DB, tenantID int64, source connector.Kind, page connector.Page) (Counts, error) {
	now := tx.NowFunc()
	src := string(source)
	counts := Counts{}
	var rows [][]any

	rows = rows[:0]
	for _, a := range page.Accounts {
		rows = append(rows, []any{tenantID, src, a.ExternalID, a.Name, strings.ToLower(a.Domain), ts(a.ModifiedAt), false, "", now})
	}
	if err := accounts.upsert(tx, rows); err != nil {
		return nil, err
	}
	counts[connector.ObjAccount] += len(rows)

	rows = nil
	var emails []string
	for _, c := range page.Contacts {
		kind := "contact"
		if c.Lead {
			kind = "lead"
			counts[connector.ObjLead]++
		} else {
			counts[connector.ObjContact]++
		}
		if c.Email != "" {
			emails = append(emails, strings.ToLower(c.Email))
		}
		rows = append(rows, []any{tenantID, src, kind, c.ExternalID, c.Email, c.FirstName, c.LastName, c.Company,
			c.AccountExternalID, c.Converted, c.ConvertedContactID, c.ConvertedAccountID, c.ConvertedOpportunityID,
			ts(c.CreatedAt), ts(c.ModifiedAt), false, "", now})
	}
	if err := contacts.upsert(tx, rows); err != nil {
		return nil, err
	}

	rows = nil
	for _, ca := range page.ContactAccounts {
		rows = append(rows, []any{tenantID, src, ca.ContactExternalID, ca.AccountExternalID})
	}
	if err := contactAccounts.upsert(tx, rows); err != nil {
		return nil, err
	}
	counts[connector.ObjContactAccount] += len(rows)

	rows = nil
	for _, o := range page.Opportunities {
		rows = append(rows, []any{tenantID, src, o.ExternalID, o.Name, o.AccountExternalID, decimal(o.Amount), o.Currency,
			o.Pipeline, o.Stage, o.IsWon, o.IsClosed, ts(o.CreatedAt), day(o.CloseDate), o.CampaignExternalID,
			ts(o.ModifiedAt), false, "", now})
	}
	if err := opportunities.upsert(tx, rows); err != nil {
		return nil, err
	}
	counts[connector.ObjOpportunity] += len(rows)

	rows = nil
	for _, r := range page.ContactRoles {
		rows = append(rows, []any{tenantID, src, r.OpportunityExternalID, r.ContactExternalID, r.Role, r.IsPrimary, r.Deleted})
	}
	if err := contactRoles.upsert(tx, rows); err != nil {
		return nil, err
	}
	counts[connector.ObjContactRole] += len(rows)

	rows = nil
	for _, s := range page.Stages {
		rows = append(rows, []any{tenantID, src, s.Pipeline, s.PipelineName, s.Stage, s.StageName, s.Position, s.IsWon, s.IsClosed, decimal(s.Probability)})
	}
	if err := stages.upsert(tx, rows); err != nil {
		return nil, err
	}
	counts[connector.ObjStage] += len(rows)

	rows = nil
	for _, c := range page.Campaigns {
		rows = append(rows, []any{tenantID, src, c.ExternalID, c.Name, c.Type, c.Status, ts(c.ModifiedAt), false, now})
	}
	if err := campaigns.upsert(tx, rows); err != nil {
		return nil, err
	}
	counts[connector.ObjCampaign] += len(rows)

	rows = nil
	for _, m := range page.CampaignMembers {
		rows = append(rows, []any{tenantID, src, m.ExternalID, m.CampaignExternalID, m.LeadExternalID, m.ContactExternalID,
			m.Status, m.HasResponded, day(m.FirstRespondedDate), ts(m.ModifiedAt), false, now})
	}
	if err := campaignMembers.upsert(tx, rows); err != nil {
		return nil, err
	}
	counts[connector.ObjCampaignMember] += len(rows)

	rows = nil
	for _, s := range page.Spend {
		rows = append(rows, []any{tenantID, src, s.AccountID, s.CampaignID, s.CampaignName, day(s.Day), s.Spend, s.Currency, s.Clicks, s.Impressions, now})
	}
	if err := spend.upsert(tx, rows); err != nil {
		return nil, err
	}
	counts[connector.ObjSpend] += len(rows)

	if err := applyDeletions(tx, tenantID, src, page.Deletions, counts); err != nil {
		return nil, err
	}
	if err := queueWriteback(tx, tenantID, src, emails); err != nil {
		return nil, err
	}
	for k, v := range counts {
		if v == 0 {
			delete(counts, k)
		}
	}
	return counts, nil
}

// applyDeletions marks records deleted, creating a tombstone for a record the mirror
// never saw so that the mirror knows it is gone.
func applyDeletions(tx *gorm.DB, tenantID int64, src string, dels []connector.Deletion, counts Counts) error {
	now := tx.NowFunc()
	byObj := map[connector.Object][][]any{}
	for _, d := range dels {
		var row []any
		switch d.Object {
		case connector.ObjAccount:
			row = []any{tenantID, src, d.ExternalID, "", "", nil, true, d.MergedInto, now}
		case connector.ObjContact, connector.ObjLead:
			row = []any{tenantID, src, string(d.Object), d.ExternalID, "", "", "", "", "", false, "", "", "", nil, nil, true, d.MergedInto, now}
		case connector.ObjOpportunity:
			row = []any{tenantID, src, d.ExternalID, "", "", nil, "", "", "", false, false, nil, nil, "", nil, true, d.MergedInto, now}
		case connector.ObjCampaign:
			row = []any{tenantID, src, d.ExternalID, "", "", "", nil, true, now}
		case connector.ObjCampaignMember:
			row = []any{tenantID, src, d.ExternalID, "", "", "", "", false, nil, nil, true, now}
		default:
			return fmt.Errorf("mirror: cannot delete a %q", d.Object)
		}
		byObj[d.Object] = append(byObj[d.Object], row)
		counts[connector.Object(string(d.Object)+"_deleted")]++
	}
	for obj, rows := range byObj {
		t := deletionTable(obj)
		if err := t.upsert(tx, rows); err != nil {
			return err
		}
	}
	// A merged contact's roles move to the survivor at the source (which reports
	// the survivor's roles as changed), but the mirror keys roles by contact, so the
	// loser's would stay live beside them.
	var merged []string
	for _, d := range dels {
		if d.Object == connector.ObjContact && d.MergedInto != "" {
			merged = append(merged, d.ExternalID)
		}
	}
	if len(merged) > 0 {
		if err := tx.Exec(`UPDATE crm_opportunity_contacts SET deleted = true
			WHERE tenant_id = ? AND source = ? AND contact_external_id IN ?`, tenantID, src, merged).Error; err != nil {
			return fmt.Errorf("mirror: retire merged contacts' roles: %w", err)
		}
	}
	return nil
}

// deletionTable is the record's table with a conflict that only sets the deleted
// flag and merge target, keeping the last known values.
func deletionTable(obj connector.Object) table {
	var t table
	switch obj {
	case connector.ObjAccount:
		t = accounts
	case connector.ObjContact, connector.ObjLead:
		t = contacts
	case connector.ObjOpportunity:
		t = opportunities
	case connector.ObjCampaign:
		t = campaigns
	case connector.ObjCampaignMember:
		t = campaignMembers
	}
	t.update = []string{"deleted", "synced_at"}
	for _, c := range t.cols {
		if c == "merged_into" {
			t.keepIfEmpty = []string{"merged_into"}
		}
	}
	return t
}

// queueWriteback queues the people these emails belong to for a full write-back to
// the tenant's connector of the same source, which now knows them as CRM records.
func queueWriteback(tx *gorm.DB, tenantID int64, src string, emails []string) error {
	if len(emails) == 0 {
		return nil
	}
	err := tx.Exec(`
		INSERT INTO writeback_queue (connector_id, person_id)
		SELECT c.id, p.id FROM connectors c JOIN people p ON p.tenant_id = c.tenant_id
		WHERE c.tenant_id = ? AND c.kind = ? AND lower(p.email) IN ?
		ON CONFLICT (connector_id, person_id) DO NOTHING`, tenantID, src, emails).Error
	if err != nil {
		return fmt.Errorf("mirror: queue write-back: %w", err)
	}
	return nil
}
