-- Opportunities whose name contains the search text or whose CRM id is it.
SELECT o.source || ':' || o.external_id AS id, o.source, o.external_id, o.name, o.amount::float8 AS amount, o.currency,
       o.stage, o.is_won, o.is_closed, o.created_date, o.close_date, COALESCE(c.name, '') AS account_name
FROM crm_opportunities o
LEFT JOIN crm_accounts c ON c.tenant_id = o.tenant_id AND c.source = o.source AND c.external_id = o.account_external_id
WHERE o.tenant_id = @tenant AND NOT o.deleted AND (o.name ILIKE @pattern OR o.external_id = @text)
ORDER BY o.created_date DESC NULLS LAST, o.external_id
LIMIT @limit
