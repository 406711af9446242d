-- The people of one account.
SELECT p.id, p.email, p.first_seen_at, p.last_seen_at, p.account_id, '' AS account_domain
FROM people p
WHERE p.tenant_id = @tenant AND p.account_id = @id
ORDER BY p.last_seen_at DESC, p.id
LIMIT 200
