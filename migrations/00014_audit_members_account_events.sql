-- Sign-ins, failed sign-ins and account changes happen before any tenant is chosen, so
-- their audit entries have no tenant_id: under row-level security no tenant could
-- read them, and owners and admins must. A tenant's scope now also reads the entries
-- of no tenant that concern one of its members: by the member as actor, or naming
-- their email as target (a failed password is recorded for "anonymous", naming the
-- address typed). Writing is unchanged: an entry of no tenant is written under the
-- system scope only.

-- +goose Up
CREATE POLICY members_account_events ON audit_log FOR SELECT USING (
    tenant_id IS NULL AND EXISTS (
        SELECT FROM tenant_members m JOIN users u ON u.id = m.user_id
        WHERE m.tenant_id = NULLIF(current_setting('srg.tenant_id', true), '')::bigint
          AND (audit_log.actor = 'user:' || m.user_id OR lower(audit_log.target) = lower(u.email))));

-- +goose Down
DROP POLICY members_account_events ON audit_log;
