-- Companies whose name or domain contains the search text: the tracked accounts
-- (by email domain), and the CRM's accounts tied to a tracked account by domain.
SELECT a.id, a.domain, COALESCE(NULLIF(a.name, ''), max(c.name), '') AS name, string_agg(DISTINCT c.source, ',') AS sources
FROM accounts a
LEFT JOIN crm_accounts c ON c.tenant_id = a.tenant_id AND lower(c.domain) = a.domain AND NOT c.deleted
WHERE a.tenant_id = @tenant AND (a.domain ILIKE @pattern OR a.name ILIKE @pattern OR c.name ILIKE @pattern)
GROUP BY a.id, a.domain, a.name
ORDER BY a.domain
LIMIT @limit
