-- People whose email contains the search text (an ILIKE pattern), latest seen first.
SELECT p.id, p.email, p.first_seen_at, p.last_seen_at, p.account_id, COALESCE(a.domain, '') AS account_domain
FROM people p
LEFT JOIN accounts a ON a.id = p.account_id AND a.tenant_id = p.tenant_id
WHERE p.tenant_id = @tenant AND p.email ILIKE @pattern
ORDER BY p.last_seen_at DESC, p.id
LIMIT @limit
