-- Permissions: the Casbin rules of the permission matrix (the table of
-- github.com/casbin/gorm-adapter/v3, whose AutoMigrate srg turns off), and
-- notifications that tell every srg instance to reload its permissions when the
-- matrix or a tenant membership changes. Roles of users stay in tenant_members.

-- +goose Up
CREATE TABLE casbin_rule (
    id     bigserial PRIMARY KEY,
    ptype  varchar(100) NOT NULL DEFAULT '',
    v0     varchar(100) NOT NULL DEFAULT '',
    v1     varchar(100) NOT NULL DEFAULT '',
    v2     varchar(100) NOT NULL DEFAULT '',
    v3     varchar(100) NOT NULL DEFAULT '',
    v4     varchar(100) NOT NULL DEFAULT '',
    v5     varchar(100) NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX idx_casbin_rule ON casbin_rule (ptype, v0, v1, v2, v3, v4, v5);

-- A tenant's audit log is read newest first, a page at a time, keyed by id.
CREATE INDEX audit_log_tenant_id ON audit_log (tenant_id, id DESC);

-- NOTIFY is delivered at commit, and repeated payloads of one transaction are
-- delivered once, so a transaction that changes many rows causes one reload.
-- +goose StatementBegin
CREATE FUNCTION srg_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('srg_access', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER casbin_rule_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON casbin_rule
    FOR EACH STATEMENT EXECUTE FUNCTION srg_access_changed();
CREATE TRIGGER tenant_members_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tenant_members
    FOR EACH STATEMENT EXECUTE FUNCTION srg_access_changed();

-- +goose Down
DROP TRIGGER tenant_members_changed ON tenant_members;
DROP TABLE casbin_rule;
DROP INDEX audit_log_tenant_id;
DROP FUNCTION srg_access_changed();
