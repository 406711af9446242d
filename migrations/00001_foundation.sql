-- Foundation: tenants and their tracking sites, users and memberships, the audit log,
-- and the scheduler's run records.

-- +goose Up
CREATE TABLE tenants (
    id          bigserial PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9-]{0,38}[a-z0-9]$'),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sites (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    site_key    text NOT NULL UNIQUE,
    name        text NOT NULL DEFAULT '',
    domains     text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sites_tenant_id ON sites (tenant_id);

CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    email          text NOT NULL,
    name           text NOT NULL DEFAULT '',
    phone          text NOT NULL DEFAULT '',
    password_hash  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE tenant_members (
    tenant_id   bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('owner', 'admin', 'marketer', 'analyst', 'viewer')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX tenant_members_user_id ON tenant_members (user_id);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint REFERENCES tenants(id) ON DELETE CASCADE,
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    remote_addr text NOT NULL DEFAULT '',
    details     jsonb NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at DESC);

-- One row per job and scheduled tick. The unique key is the cross-instance lock on a
-- tick: the instance whose insert succeeds runs it; the others skip.
CREATE TABLE job_runs (
    id           bigserial PRIMARY KEY,
    job_name     text NOT NULL,
    tick_at      timestamptz NOT NULL,
    instance     text NOT NULL,
    trigger      text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    error        text NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    UNIQUE (job_name, tick_at)
);
CREATE INDEX job_runs_job_started ON job_runs (job_name, started_at DESC);

-- +goose Down
DROP TABLE job_runs;
DROP TABLE audit_log;
DROP TABLE tenant_members;
DROP TABLE users;
DROP TABLE sites;
DROP TABLE tenants;
