-- Warehouse export: the destinations a tenant configured (credentials sealed), the
-- per-(destination, dataset) watermarks, the run log, and each tenant's salt for
-- hashed emails. The exported tables get a changed_at column kept by a trigger with
-- the clock time of the write, so an export can page through what changed since its
-- watermark whichever module wrote the row and however it set its own timestamps.

-- +goose Up
CREATE TABLE warehouse_destinations (
    id           bigserial PRIMARY KEY,
    tenant_id    bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('postgres', 's3', 'local')),
    credentials  bytea NOT NULL,
    settings     jsonb NOT NULL DEFAULT '{}',
    datasets     text[] NOT NULL,
    schedule     text NOT NULL,
    pii          text NOT NULL DEFAULT 'hash' CHECK (pii IN ('export', 'hash', 'omit')),
    enabled      boolean NOT NULL DEFAULT true,
    status       text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'error')),
    last_error   text NOT NULL DEFAULT '',
    next_run_at  timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);
CREATE INDEX warehouse_destinations_due ON warehouse_destinations (next_run_at) WHERE enabled;

CREATE TABLE warehouse_watermarks (
    destination_id  bigint NOT NULL REFERENCES warehouse_destinations(id) ON DELETE CASCADE,
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    dataset         text NOT NULL,
    mark_at         timestamptz NOT NULL,
    mark_id         text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (destination_id, dataset)
);

CREATE TABLE warehouse_runs (
    id              bigserial PRIMARY KEY,
    destination_id  bigint NOT NULL REFERENCES warehouse_destinations(id) ON DELETE CASCADE,
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    trigger         text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'backfill')),
    status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'error', 'recovered', 'interrupted')),
    backfill_from   timestamptz,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    rows            jsonb NOT NULL DEFAULT '{}',
    bytes           bigint NOT NULL DEFAULT 0,
    marks_before    jsonb NOT NULL DEFAULT '{}',
    marks_after     jsonb NOT NULL DEFAULT '{}',
    error           text NOT NULL DEFAULT ''
);
CREATE INDEX warehouse_runs_destination ON warehouse_runs (destination_id, started_at DESC);

CREATE TABLE warehouse_salts (
    tenant_id   bigint PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    salt        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION warehouse_changed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_at := clock_timestamp();
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- The start of the oldest transaction open on this database: an export stops before
-- it, as such a transaction may still commit rows stamped earlier. The application's
-- role cannot see other sessions in pg_stat_activity, so the function runs as its
-- owner, the user the application's sessions log in as.
-- +goose StatementBegin
CREATE FUNCTION warehouse_oldest_transaction() RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT min(xact_start) FROM pg_stat_activity
    WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
$$;
-- +goose StatementEnd

ALTER TABLE people ADD COLUMN changed_at timestamptz NOT NULL DEFAULT clock_timestamp();
ALTER TABLE accounts ADD COLUMN changed_at timestamptz NOT NULL DEFAULT clock_timestamp();
ALTER TABLE crm_opportunities ADD COLUMN changed_at timestamptz NOT NULL DEFAULT clock_timestamp();
ALTER TABLE ad_spend_daily ADD COLUMN changed_at timestamptz NOT NULL DEFAULT clock_timestamp();
ALTER TABLE attribution_state ADD COLUMN changed_at timestamptz NOT NULL DEFAULT clock_timestamp();
CREATE TRIGGER people_changed_at BEFORE INSERT OR UPDATE ON people FOR EACH ROW EXECUTE FUNCTION warehouse_changed_at();
CREATE TRIGGER accounts_changed_at BEFORE INSERT OR UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION warehouse_changed_at();
CREATE TRIGGER crm_opportunities_changed_at BEFORE INSERT OR UPDATE ON crm_opportunities FOR EACH ROW EXECUTE FUNCTION warehouse_changed_at();
CREATE TRIGGER ad_spend_daily_changed_at BEFORE INSERT OR UPDATE ON ad_spend_daily FOR EACH ROW EXECUTE FUNCTION warehouse_changed_at();
CREATE TRIGGER attribution_state_changed_at BEFORE INSERT OR UPDATE ON attribution_state FOR EACH ROW EXECUTE FUNCTION warehouse_changed_at();
CREATE INDEX people_changed ON people (tenant_id, changed_at, id);
CREATE INDEX accounts_changed ON accounts (tenant_id, changed_at, id);
CREATE INDEX crm_opportunities_changed ON crm_opportunities (tenant_id, changed_at);
CREATE INDEX ad_spend_daily_changed ON ad_spend_daily (tenant_id, changed_at);
CREATE INDEX attribution_state_changed ON attribution_state (tenant_id, changed_at, opportunity_id);

SELECT srg_isolate_tenant('warehouse_destinations');
SELECT srg_isolate_tenant('warehouse_watermarks');
SELECT srg_isolate_tenant('warehouse_runs');
SELECT srg_isolate_tenant('warehouse_salts');

-- +goose Down
DROP INDEX attribution_state_changed;
DROP INDEX ad_spend_daily_changed;
DROP INDEX crm_opportunities_changed;
DROP INDEX accounts_changed;
DROP INDEX people_changed;
DROP TRIGGER attribution_state_changed_at ON attribution_state;
DROP TRIGGER ad_spend_daily_changed_at ON ad_spend_daily;
DROP TRIGGER crm_opportunities_changed_at ON crm_opportunities;
DROP TRIGGER accounts_changed_at ON accounts;
DROP TRIGGER people_changed_at ON people;
ALTER TABLE attribution_state DROP COLUMN changed_at;
ALTER TABLE ad_spend_daily DROP COLUMN changed_at;
ALTER TABLE crm_opportunities DROP COLUMN changed_at;
ALTER TABLE accounts DROP COLUMN changed_at;
ALTER TABLE people DROP COLUMN changed_at;
DROP FUNCTION warehouse_changed_at();
DROP FUNCTION warehouse_oldest_transaction();
DROP TABLE warehouse_salts;
DROP TABLE warehouse_runs;
DROP TABLE warehouse_watermarks;
DROP TABLE warehouse_destinations;
