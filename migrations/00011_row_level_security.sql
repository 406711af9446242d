-- Tenant isolation in the database: the application runs as srg_app, a role that owns
-- nothing and cannot bypass row-level security, and every table with a tenant_id has a
-- forced policy that shows and accepts only the rows of the session's tenant
-- (srg.tenant_id), or every row under the system scope (srg.scope = 'system'). The pool
-- sets both from each query's context (app/db/scope.go).
--
-- A later migration that adds a table with a tenant_id calls
--   SELECT srg_isolate_tenant('the_table');
-- (TestEveryTenantTableIsIsolated fails until it does). A migration that changes a
-- tenant table's rows as a non-superuser owner first runs SET srg.scope = 'system'.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'srg_app') THEN
        CREATE ROLE srg_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- created by a migration of another database at the same moment
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, 'srg_app', 'MEMBER') THEN
        EXECUTE format('GRANT srg_app TO %I', current_user);
    END IF;
EXCEPTION WHEN unique_violation THEN
    NULL;
END $$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO srg_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO srg_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO srg_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO srg_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO srg_app;

-- +goose StatementBegin
CREATE FUNCTION srg_isolate_tenant(t regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    visible text := $v$tenant_id = NULLIF(current_setting('srg.tenant_id', true), '')::bigint
        OR current_setting('srg.scope', true) = 'system'$v$;
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (%s) WITH CHECK (%s)', t, visible, visible);
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT c.oid::regclass FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
    LOOP
        PERFORM srg_isolate_tenant(t);
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT c.oid::regclass FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relrowsecurity
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', t);
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
END $$;
-- +goose StatementEnd
DROP FUNCTION srg_isolate_tenant(regclass);
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM srg_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM srg_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM srg_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM srg_app;
REVOKE USAGE ON SCHEMA public FROM srg_app;
