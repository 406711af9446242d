-- One tracked account of the tenant, named after its CRM account when it has one.
SELECT a.id, a.domain, COALESCE(NULLIF(a.name, ''), max(c.name), '') AS name, string_agg(DISTINCT c.source, ',') AS sources
FROM accounts a
LEFT JOIN crm_accounts c ON c.tenant_id = a.tenant_id AND lower(c.domain) = a.domain AND NOT c.deleted
WHERE a.tenant_id = @tenant AND a.id = @id
GROUP BY a.id, a.domain, a.name
