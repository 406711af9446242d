-- One opportunity of the tenant, by source and CRM id.
SELECT o.source || ':' || o.external_id AS id, o.source, o.external_id, o.name, o.amount::float8 AS amount, o.currency,
       o.stage, o.is_won, o.is_closed, o.created_date, o.close_date, COALESCE(c.name, '') AS account_name
FROM crm_opportunities o
LEFT JOIN crm_accounts c ON c.tenant_id = o.tenant_id AND c.source = o.source AND c.external_id = o.account_external_id
WHERE o.tenant_id = @tenant AND o.source = @source AND o.external_id = @external_id AND NOT o.deleted
