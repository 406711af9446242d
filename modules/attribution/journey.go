package attribution

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/db"
)

// opportunity is an opportunity to attribute, from the CRM mirror.
type opportunity struct {
	ID        string // "<source>:<external id>"
	Source    string
	Amount    float64
	Currency  string
	IsWon     bool
	IsClosed  bool
	Deleted   bool
	CreatedAt time.Time
	CloseDate *time.Time
	People    []string
	// Lead marks a lead conversion: a person identified with no opportunity, whose
	// journey ends when they were identified and whose credits count one conversion.
	Lead bool
}

// kind is how a credit counts: won revenue, open pipeline, or lost pipeline.
func (o *opportunity) kind() string {
	switch {
	case o.Lead:
		return "lead"
	case o.IsWon:
		return "revenue"
	case o.IsClosed:
		return "lost"
	default:
		return "pipeline"
	}
}

// window is the span whose touchpoints count: the lookback before creation, through
// the close date (its whole day) or now.
func (o *opportunity) window(lookback time.Duration, now time.Time) (time.Time, time.Time) {
	to := now
	if o.Lead {
		to = o.CreatedAt.Add(time.Second)
	} else if o.IsClosed && o.CloseDate != nil {
		to = o.CloseDate.Add(24 * time.Hour)
	}
	return o.CreatedAt.Add(-lookback), to
}

type oppRow struct {
	Source      string
	ExternalID  string
	Amount      *float64
	Currency    string
	IsWon       bool
	IsClosed    bool
	Deleted     bool
	CreatedDate *time.Time
	CloseDate   *time.Time
	SyncedAt    time.Time
}

// loadOpportunities reads the tenant's opportunities (all, or those changed in the
// mirror since `since`, deleted ones included so their credits go) with the people
// linked to each.
func loadOpportunities(ctx context.Context, db *gorm.DB, tenantID int64, since *time.Time, accountBased bool) ([]*opportunity, error) {
	q := `SELECT source, external_id, amount::float8 AS amount, currency, is_won, is_closed, deleted, created_date, close_date, synced_at
		FROM crm_opportunities WHERE tenant_id = ?`
	args := []any{tenantID}
	if since != nil {
		q += ` AND (synced_at >= ? OR (source, external_id) IN (
			SELECT r.source, r.opportunity_external_id FROM crm_opportunity_contacts r
			JOIN crm_contacts c ON c.tenant_id = r.tenant_id AND c.source = r.source AND c.kind = 'contact' AND c.external_id = r.contact_external_id
			WHERE r.tenant_id = ? AND c.synced_at >= ?))`
		args = append(args, *since, tenantID, *since)
	} else {
		q += ` AND NOT deleted`
	}
	var rows []oppRow
	if err := db.WithContext(ctx).Raw(q+` ORDER BY source, external_id`, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("attribution: load opportunities: %w", err)
	}
	out, byID := opportunitiesOf(rows)
	if len(out) == 0 {
		return out, nil
	}
	// A full load links every opportunity; an incremental one only those it
	// loaded, a small share of the tenant.
	var only []oppRow
	if since != nil {
		only = rows
	}
	if err := linkPeople(ctx, db, tenantID, byID, accountBased, only); err != nil {
		return nil, err
	}
	leads, err := loadLeads(ctx, db, tenantID, since)
	if err != nil {
		return nil, err
	}
	return append(out, leads...), nil
}

// opportunitiesOf turns mirror rows into opportunities, also by id.
func opportunitiesOf(rows []oppRow) ([]*opportunity, map[string]*opportunity) {
	byID := make(map[string]*opportunity, len(rows))
	out := make([]*opportunity, 0, len(rows))
	for _, r := range rows {
		o := &opportunity{ID: r.Source + ":" + r.ExternalID, Source: r.Source, Currency: r.Currency, IsWon: r.IsWon,
			IsClosed: r.IsClosed || r.IsWon, Deleted: r.Deleted, CloseDate: r.CloseDate}
		if r.Amount != nil {
			o.Amount = *r.Amount
		}
		if r.CreatedDate != nil {
			o.CreatedAt = *r.CreatedDate
		} else {
			o.CreatedAt = r.SyncedAt
		}
		byID[o.ID] = o
		out = append(out, o)
	}
	return out, byID
}

// loadPeoplesOpportunities reads the opportunities (deleted ones left out) the
// people are linked to, as linkPeople links them, each with all its people, and
// the lead conversions among the people.
func loadPeoplesOpportunities(ctx context.Context, gdb *gorm.DB, tenantID int64, people []string, accountBased bool) ([]*opportunity, error) {
	args := map[string]any{"tenant": tenantID, "people": db.StringArray(people)}
	const ofPeople = `p.tenant_id = @tenant AND p.id = ANY(CAST(CAST(@people AS text[]) AS bigint[]))`
	keys := `
		SELECT r.source, r.opportunity_external_id FROM people p
		JOIN crm_contacts c ON c.tenant_id = p.tenant_id AND c.kind = 'contact' AND NOT c.deleted AND c.email <> '' AND lower(c.email) = lower(p.email)
		JOIN crm_opportunity_contacts r ON r.tenant_id = c.tenant_id AND r.source = c.source AND r.contact_external_id = c.external_id AND NOT r.deleted
		WHERE ` + ofPeople + `
		UNION
		SELECT l.source, l.converted_opportunity_id FROM people p
		JOIN crm_contacts l ON l.tenant_id = p.tenant_id AND l.kind = 'lead' AND l.converted AND l.converted_opportunity_id <> ''
			AND l.email <> '' AND lower(l.email) = lower(p.email)
		WHERE ` + ofPeople
	if accountBased {
		keys += `
		UNION
		SELECT o.source, o.external_id FROM people p
		JOIN accounts acc ON acc.id = p.account_id
		JOIN crm_accounts a ON a.tenant_id = p.tenant_id AND a.domain <> '' AND lower(a.domain) = acc.domain
		JOIN crm_opportunities o ON o.tenant_id = a.tenant_id AND o.source = a.source AND o.account_external_id = a.external_id
		WHERE ` + ofPeople
	}
	var rows []oppRow
	err := gdb.WithContext(ctx).Raw(`SELECT source, external_id, amount::float8 AS amount, currency, is_won, is_closed, deleted, created_date, close_date, synced_at
		FROM crm_opportunities WHERE tenant_id = @tenant AND NOT deleted AND (source, external_id) IN (`+keys+`)
		ORDER BY source, external_id`, args).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("attribution: load the people's opportunities: %w", err)
	}
	out, byID := opportunitiesOf(rows)
	if len(rows) > 0 {
		if err := linkPeople(ctx, gdb, tenantID, byID, accountBased, rows); err != nil {
			return nil, err
		}
	}
	var leads []struct {
		ID        string
		CreatedAt time.Time
	}
	if err := gdb.WithContext(ctx).Raw(`WITH cand AS MATERIALIZED (SELECT p.id, p.created_at, lower(p.email) AS email FROM people p
		WHERE `+ofPeople+`), `+linkedAmong+leadsAmong, args).Scan(&leads).Error; err != nil {
		return nil, fmt.Errorf("attribution: load the people's lead conversions: %w", err)
	}
	for _, r := range leads {
		out = append(out, &opportunity{ID: "lead:" + r.ID, Source: "srg", Amount: 1, Lead: true, CreatedAt: r.CreatedAt, People: []string{r.ID}})
	}
	return out, nil
}

// linkedEmails are the emails of people with an opportunity, as one set: an
// anti-join against it stays linear where a correlated lookup per person did not.
const linkedEmails = `WITH linked AS (
			SELECT lower(c.email) AS email FROM crm_contacts c
			JOIN crm_opportunity_contacts r ON r.tenant_id = c.tenant_id AND r.source = c.source
				AND r.contact_external_id = c.external_id AND NOT r.deleted
			WHERE c.tenant_id = @tenant AND c.kind = 'contact' AND NOT c.deleted AND c.email <> ''
			UNION
			SELECT lower(l.email) FROM crm_contacts l
			WHERE l.tenant_id = @tenant AND l.kind = 'lead' AND l.converted AND l.converted_opportunity_id <> '' AND l.email <> '')`

// linkedAmong is linkedEmails restricted to the emails of a few candidates (a
// CTE named cand with an email column, lower-cased). The candidates' emails are
// matched as a set: row-level security keeps Postgres from looking lower(email)
// up in an index from a correlated subquery, which then scans the contacts once
// per person.
const linkedAmong = `linked AS MATERIALIZED (
			SELECT lower(c.email) AS email FROM crm_contacts c
			JOIN crm_opportunity_contacts r ON r.tenant_id = c.tenant_id AND r.source = c.source
				AND r.contact_external_id = c.external_id AND NOT r.deleted
			WHERE c.tenant_id = @tenant AND c.kind = 'contact' AND NOT c.deleted AND c.email <> ''
				AND lower(c.email) IN (SELECT email FROM cand)
			UNION
			SELECT lower(l.email) FROM crm_contacts l
			WHERE l.tenant_id = @tenant AND l.kind = 'lead' AND l.converted AND l.converted_opportunity_id <> '' AND l.email <> ''
				AND lower(l.email) IN (SELECT email FROM cand))`

// leadsAmong selects, from the candidates, the lead conversions: id and
// created_at of those not linked to an opportunity.
const leadsAmong = `
		SELECT p.id::text AS id, p.created_at FROM cand p
		WHERE NOT EXISTS (SELECT 1 FROM linked WHERE linked.email = p.email) ORDER BY p.id`

// loadLeads are the lead conversions: people (identified since `since`, or all) who
// are not linked to any opportunity, and, listed as deleted, former ones.
func loadLeads(ctx context.Context, db *gorm.DB, tenantID int64, since *time.Time) ([]*opportunity, error) {
	q := linkedEmails + `
		SELECT p.id::text AS id, p.created_at FROM people p
		WHERE p.tenant_id = @tenant AND NOT EXISTS (SELECT 1 FROM linked WHERE linked.email = lower(p.email))`
	args := map[string]any{"tenant": tenantID}
	q += ` ORDER BY p.id`
	if since != nil {
		// The few people identified since, rather than every linked email.
		q = `WITH cand AS MATERIALIZED (SELECT p.id, p.created_at, lower(p.email) AS email FROM people p
			WHERE p.tenant_id = @tenant AND p.created_at >= @since), ` + linkedAmong + leadsAmong
		args["since"] = *since
	}
	var rows []struct {
		ID        string
		CreatedAt time.Time
	}
	if err := db.WithContext(ctx).Raw(q, args).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("attribution: load leads: %w", err)
	}
	out := make([]*opportunity, len(rows))
	for i, r := range rows {
		out[i] = &opportunity{ID: "lead:" + r.ID, Source: "srg", Amount: 1, Lead: true, CreatedAt: r.CreatedAt, People: []string{r.ID}}
	}
	gone, err := formerLeads(ctx, db, tenantID, since)
	if err != nil {
		return nil, err
	}
	for _, id := range gone {
		out = append(out, &opportunity{ID: id, Source: "srg", Lead: true, Deleted: true})
	}
	return out, nil
}

// formerLeads are the lead conversions with credits whose person has since got
// an opportunity, so their credits go. An incremental run looks only at what can
// have linked a person since `since`: a contact synced since that is in a role,
// a contact in a role of an opportunity synced since (a new role), or a lead
// synced since that was converted into an opportunity.
func formerLeads(ctx context.Context, db *gorm.DB, tenantID int64, since *time.Time) ([]string, error) {
	q := linkedEmails + `
		SELECT s.opportunity_id FROM attribution_state s
		JOIN people p ON p.tenant_id = s.tenant_id AND 'lead:' || p.id::text = s.opportunity_id
		WHERE s.tenant_id = @tenant AND s.opportunity_id LIKE 'lead:%' AND s.journey_hash <> 'deleted'
			AND EXISTS (SELECT 1 FROM linked WHERE linked.email = lower(p.email))`
	args := map[string]any{"tenant": tenantID}
	if since != nil {
		// Joins on lower(email) hash: under row-level security Postgres cannot look
		// lower(email) up in an index.
		q = `WITH newly AS MATERIALIZED (
			SELECT lower(c.email) AS email FROM crm_contacts c
			WHERE c.tenant_id = @tenant AND c.synced_at >= @since AND c.kind = 'contact' AND NOT c.deleted AND c.email <> ''
				AND EXISTS (SELECT 1 FROM crm_opportunity_contacts r WHERE r.tenant_id = c.tenant_id AND r.source = c.source
					AND r.contact_external_id = c.external_id AND NOT r.deleted)
			UNION
			SELECT lower(c.email) FROM crm_opportunities o
			JOIN crm_opportunity_contacts r ON r.tenant_id = o.tenant_id AND r.source = o.source AND r.opportunity_external_id = o.external_id AND NOT r.deleted
			JOIN crm_contacts c ON c.tenant_id = r.tenant_id AND c.source = r.source AND c.kind = 'contact' AND c.external_id = r.contact_external_id
			WHERE o.tenant_id = @tenant AND o.synced_at >= @since AND NOT c.deleted AND c.email <> ''
			UNION
			SELECT lower(l.email) FROM crm_contacts l
			WHERE l.tenant_id = @tenant AND l.synced_at >= @since AND l.kind = 'lead' AND l.converted AND l.converted_opportunity_id <> '' AND l.email <> ''),
		cand AS MATERIALIZED (SELECT 'lead:' || p.id::text AS lead FROM people p
			WHERE p.tenant_id = @tenant AND lower(p.email) IN (SELECT email FROM newly))
		SELECT s.opportunity_id FROM cand
		JOIN attribution_state s ON s.tenant_id = @tenant AND s.opportunity_id = cand.lead
		WHERE s.journey_hash <> 'deleted'`
		args["since"] = *since
	}
	var gone []string
	if err := db.WithContext(ctx).Raw(q+` ORDER BY 1`, args).Scan(&gone).Error; err != nil {
		return nil, fmt.Errorf("attribution: former leads: %w", err)
	}
	return gone, nil
}

// linkPeople finds the tracked people of each opportunity: its contacts (by email),
// the leads converted into it, and with accountBased everyone at its company. With
// only set, it links only those opportunities.
func linkPeople(ctx context.Context, gdb *gorm.DB, tenantID int64, byID map[string]*opportunity, accountBased bool, only []oppRow) error {
	args := map[string]any{"tenant": tenantID}
	in := func(source, id string) string { return "" }
	if only != nil {
		sources, ids := make([]string, len(only)), make([]string, len(only))
		for i, r := range only {
			sources[i], ids[i] = r.Source, r.ExternalID
		}
		args["sources"], args["ids"] = db.StringArray(sources), db.StringArray(ids)
		in = func(source, id string) string {
			return ` AND (` + source + `, ` + id + `) IN (SELECT * FROM unnest(CAST(@sources AS text[]), CAST(@ids AS text[])))`
		}
	}
	q := `
		SELECT r.source || ':' || r.opportunity_external_id AS opp, p.id::text AS person
		FROM crm_opportunity_contacts r
		JOIN crm_contacts c ON c.tenant_id = r.tenant_id AND c.source = r.source AND c.kind = 'contact'
			AND c.external_id = r.contact_external_id AND NOT c.deleted AND c.email <> ''
		JOIN people p ON p.tenant_id = r.tenant_id AND lower(p.email) = lower(c.email)
		WHERE r.tenant_id = @tenant AND NOT r.deleted` + in("r.source", "r.opportunity_external_id") + `
		UNION
		SELECT l.source || ':' || l.converted_opportunity_id, p.id::text
		FROM crm_contacts l JOIN people p ON p.tenant_id = l.tenant_id AND lower(p.email) = lower(l.email)
		WHERE l.tenant_id = @tenant AND l.kind = 'lead' AND l.converted AND l.converted_opportunity_id <> '' AND l.email <> ''` +
		in("l.source", "l.converted_opportunity_id")
	if accountBased {
		q += `
		UNION
		SELECT o.source || ':' || o.external_id, p.id::text
		FROM crm_opportunities o
		JOIN crm_accounts a ON a.tenant_id = o.tenant_id AND a.source = o.source AND a.external_id = o.account_external_id AND a.domain <> ''
		JOIN accounts acc ON acc.tenant_id = o.tenant_id AND acc.domain = lower(a.domain)
		JOIN people p ON p.account_id = acc.id
		WHERE o.tenant_id = @tenant` + in("o.source", "o.external_id")
	}
	rows, err := gdb.WithContext(ctx).Raw(q+` ORDER BY 1, 2`, args).Rows()
	if err != nil {
		return fmt.Errorf("attribution: link people: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var opp, person string
		if err := rows.Scan(&opp, &person); err != nil {
			return fmt.Errorf("attribution: link people: %w", err)
		}
		if o := byID[opp]; o != nil {
			o.People = append(o.People, person)
		}
	}
	return rows.Err()
}
