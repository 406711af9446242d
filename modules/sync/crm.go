package syncer

import (
	"context"
	"fmt"
	"strconv"
)

// crmPerson is who a tracked person is in one CRM.
type crmPerson struct {
	Email          string
	ContactID      string
	LeadID         string
	OpportunityIDs []string
}

// resolve looks up, once per run, the CRM records of the people in docs: the
// contact with their email, else an unconverted lead, and the live opportunities
// the contact has a role in.
func (wb *writeback) resolve(ctx context.Context, docs []tpDoc) error {
	var ids []int64
	for _, d := range docs {
		if _, done := wb.people[d.PersonID]; done {
			continue
		}
		id, err := strconv.ParseInt(d.PersonID, 10, 64)
		if err != nil {
			wb.people[d.PersonID] = nil
			continue
		}
		wb.people[d.PersonID] = nil
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil
	}
	var rows []struct {
		PersonID  int64
		Email     string
		ContactID *string
		LeadID    *string
	}
	err := wb.s.db.WithContext(ctx).Raw(`
		SELECT p.id AS person_id, p.email,
			(SELECT c.external_id FROM crm_contacts c WHERE c.tenant_id = p.tenant_id AND c.source = ? AND c.kind = 'contact'
				AND NOT c.deleted AND lower(c.email) = lower(p.email) ORDER BY c.modified_at DESC NULLS LAST, c.external_id LIMIT 1) AS contact_id,
			(SELECT c.external_id FROM crm_contacts c WHERE c.tenant_id = p.tenant_id AND c.source = ? AND c.kind = 'lead'
				AND NOT c.deleted AND NOT c.converted AND lower(c.email) = lower(p.email) ORDER BY c.modified_at DESC NULLS LAST, c.external_id LIMIT 1) AS lead_id
		FROM people p WHERE p.tenant_id = ? AND p.id IN ?`,
		string(wb.c.Kind), string(wb.c.Kind), wb.c.TenantID, ids).Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("sync: resolve CRM records: %w", err)
	}
	for _, r := range rows {
		p := &crmPerson{Email: r.Email}
		if r.ContactID != nil {
			p.ContactID = *r.ContactID
		}
		if r.LeadID != nil {
			p.LeadID = *r.LeadID
		}
		if p.ContactID != "" {
			err := wb.s.db.WithContext(ctx).Raw(`
				SELECT r.opportunity_external_id FROM crm_opportunity_contacts r
				JOIN crm_opportunities o ON o.tenant_id = r.tenant_id AND o.source = r.source AND o.external_id = r.opportunity_external_id
				WHERE r.tenant_id = ? AND r.source = ? AND r.contact_external_id = ? AND NOT r.deleted AND NOT o.deleted
				ORDER BY r.is_primary DESC, o.created_date DESC NULLS LAST, r.opportunity_external_id`,
				wb.c.TenantID, string(wb.c.Kind), p.ContactID).Scan(&p.OpportunityIDs).Error
			if err != nil {
				return fmt.Errorf("sync: resolve opportunities: %w", err)
			}
		}
		wb.people[strconv.FormatInt(r.PersonID, 10)] = p
	}
	return nil
}
