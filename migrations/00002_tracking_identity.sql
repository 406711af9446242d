-- Tracking: per-site tracker settings, per-tenant channel rules, events the ingester
-- could not index. Identity: people, the visitor ids linked to them, companies by
-- email domain, and the queue of touchpoint backfills.

-- +goose Up
CREATE TABLE tracking_site_settings (
    site_id              bigint PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
    tenant_id            bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    consent_required     boolean NOT NULL DEFAULT false,
    honor_dnt            boolean NOT NULL DEFAULT true,
    download_extensions  text[] NOT NULL DEFAULT '{}',
    form_fields          text[] NOT NULL DEFAULT '{}',
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE channel_rules (
    tenant_id   bigint PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    rules       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tracking_rejects (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    event_id    text NOT NULL,
    document    jsonb NOT NULL,
    error       text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tracking_rejects_tenant_at ON tracking_rejects (tenant_id, at DESC);

CREATE TABLE accounts (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    domain      text NOT NULL,
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, domain)
);

CREATE TABLE people (
    id             bigserial PRIMARY KEY,
    tenant_id      bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email          text NOT NULL,
    account_id     bigint REFERENCES accounts(id) ON DELETE SET NULL,
    traits         jsonb NOT NULL DEFAULT '{}',
    first_seen_at  timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX people_tenant_email ON people (tenant_id, lower(email));
CREATE INDEX people_account ON people (account_id);

CREATE TABLE visitor_links (
    tenant_id      bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    visitor_id     text NOT NULL,
    person_id      bigint NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    linked_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, visitor_id)
);
CREATE INDEX visitor_links_person ON visitor_links (person_id);

-- Touchpoints of a visitor indexed before the visitor was identified get the person
-- and account ids by a background pass; each row is done twice (pass 1 at once, pass 2
-- a minute later, for documents that were not yet searchable during pass 1).
CREATE TABLE identity_backfills (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    tenant_slug text NOT NULL,
    visitor_id  text NOT NULL,
    person_id   bigint NOT NULL,
    account_id  bigint,
    pass        int NOT NULL DEFAULT 1,
    run_after   timestamptz NOT NULL DEFAULT now(),
    attempts    int NOT NULL DEFAULT 0,
    last_error  text NOT NULL DEFAULT ''
);
CREATE INDEX identity_backfills_due ON identity_backfills (run_after);

-- +goose Down
DROP TABLE identity_backfills;
DROP TABLE visitor_links;
DROP TABLE people;
DROP TABLE accounts;
DROP TABLE tracking_rejects;
DROP TABLE channel_rules;
DROP TABLE tracking_site_settings;
