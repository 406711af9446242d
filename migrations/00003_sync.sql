-- Sync: the connectors a tenant has set up, their cursors and run log, the mirror of
-- the CRM (accounts, contacts and leads, opportunities, contact roles, campaigns and
-- their members, deal stages), daily ad spend, the campaign name mapping, and the
-- queue of people whose touchpoints must be written back to the CRM.

-- +goose Up
CREATE TABLE connectors (
    id              bigserial PRIMARY KEY,
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind            text NOT NULL,
    schedule        text NOT NULL DEFAULT '@every 15m',
    credentials     bytea NOT NULL,
    settings        jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'error', 'needs_reauth', 'disabled')),
    last_error      text NOT NULL DEFAULT '',
    next_run_at     timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, kind)
);

CREATE TABLE sync_cursors (
    connector_id    bigint NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
    stream          text NOT NULL,
    cursor          text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector_id, stream)
);

CREATE TABLE sync_runs (
    id              bigserial PRIMARY KEY,
    connector_id    bigint NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    direction       text NOT NULL CHECK (direction IN ('pull', 'writeback')),
    trigger         text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'error', 'needs_reauth')),
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    counts          jsonb NOT NULL DEFAULT '{}',
    cursor_before   jsonb NOT NULL DEFAULT '{}',
    cursor_after    jsonb NOT NULL DEFAULT '{}',
    error           text NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_connector ON sync_runs (connector_id, started_at DESC);

CREATE TABLE crm_accounts (
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    source          text NOT NULL,
    external_id     text NOT NULL,
    name            text NOT NULL DEFAULT '',
    domain          text NOT NULL DEFAULT '',
    modified_at     timestamptz,
    deleted         boolean NOT NULL DEFAULT false,
    merged_into     text NOT NULL DEFAULT '',
    synced_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, source, external_id)
);
CREATE INDEX crm_accounts_domain ON crm_accounts (tenant_id, lower(domain)) WHERE domain <> '';

-- Contacts and leads: kind says which. A converted lead names the contact, account and
-- opportunity it became.
CREATE TABLE crm_contacts (
    tenant_id                 bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    source                    text NOT NULL,
    kind                      text NOT NULL CHECK (kind IN ('contact', 'lead')),
    external_id               text NOT NULL,
    email                     text NOT NULL DEFAULT '',
    first_name                text NOT NULL DEFAULT '',
    last_name                 text NOT NULL DEFAULT '',
    company                   text NOT NULL DEFAULT '',
    account_external_id       text NOT NULL DEFAULT '',
    converted                 boolean NOT NULL DEFAULT false,
    converted_contact_id      text NOT NULL DEFAULT '',
    converted_account_id      text NOT NULL DEFAULT '',
    converted_opportunity_id  text NOT NULL DEFAULT '',
    created_at_source         timestamptz,
    modified_at               timestamptz,
    deleted                   boolean NOT NULL DEFAULT false,
    merged_into               text NOT NULL DEFAULT '',
    synced_at                 timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, source, kind, external_id)
);
CREATE INDEX crm_contacts_email ON crm_contacts (tenant_id, lower(email)) WHERE email <> '';

-- Other accounts a contact is associated with (HubSpot allows several).
CREATE TABLE crm_contact_accounts (
    tenant_id            bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    source               text NOT NULL,
    contact_external_id  text NOT NULL,
    account_external_id  text NOT NULL,
    PRIMARY KEY (tenant_id, source, contact_external_id, account_external_id)
);

CREATE TABLE crm_opportunities (
    tenant_id             bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    source                text NOT NULL,
    external_id           text NOT NULL,
    name                  text NOT NULL DEFAULT '',
    account_external_id   text NOT NULL DEFAULT '',
    amount                numeric(20, 4),
    currency              text NOT NULL DEFAULT '',
    pipeline              text NOT NULL DEFAULT '',
    stage                 text NOT NULL DEFAULT '',
    is_won                boolean NOT NULL DEFAULT false,
    is_closed             boolean NOT NULL DEFAULT false,
    created_date          timestamptz,
    close_date            date,
    campaign_external_id  text NOT NULL DEFAULT '',
    modified_at           timestamptz,
    deleted               boolean NOT NULL DEFAULT false,
    merged_into           text NOT NULL DEFAULT '',
    synced_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, source, external_id)
);
CREATE INDEX crm_opportunities_account ON crm_opportunities (tenant_id, source, account_external_id);

CREATE TABLE crm_opportunity_contacts (
    tenant_id                bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    source                   text NOT NULL,
    opportunity_external_id  text NOT NULL,
    contact_external_id      text NOT NULL,
    role                     text NOT NULL DEFAULT '',
    is_primary               boolean NOT NULL DEFAULT false,
    deleted                  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, source, opportunity_external_id, contact_external_id)
);
CREATE INDEX crm_opportunity_contacts_contact ON crm_opportunity_contacts (tenant_id, source, contact_external_id);

CREATE TABLE crm_stages (
    tenant_id      bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    source         text NOT NULL,
    pipeline       text NOT NULL,
    pipeline_name  text NOT NULL DEFAULT '',
    stage          text NOT NULL,
    stage_name     text NOT NULL DEFAULT '',
    position       int NOT NULL DEFAULT 0,
    is_won         boolean NOT NULL DEFAULT false,
    is_closed      boolean NOT NULL DEFAULT false,
    probability    numeric(5, 4),
    PRIMARY KEY (tenant_id, source, pipeline, stage)
);

CREATE TABLE crm_campaigns (
    tenant_id      bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    source         text NOT NULL,
    external_id    text NOT NULL,
    name           text NOT NULL DEFAULT '',
    type           text NOT NULL DEFAULT '',
    status         text NOT NULL DEFAULT '',
    modified_at    timestamptz,
    deleted        boolean NOT NULL DEFAULT false,
    synced_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, source, external_id)
);

CREATE TABLE crm_campaign_members (
    tenant_id             bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    source                text NOT NULL,
    external_id           text NOT NULL,
    campaign_external_id  text NOT NULL,
    lead_external_id      text NOT NULL DEFAULT '',
    contact_external_id   text NOT NULL DEFAULT '',
    status                text NOT NULL DEFAULT '',
    has_responded         boolean NOT NULL DEFAULT false,
    first_responded_date  date,
    modified_at           timestamptz,
    deleted               boolean NOT NULL DEFAULT false,
    synced_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, source, external_id)
);

CREATE TABLE ad_spend_daily (
    tenant_id      bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    platform       text NOT NULL,
    account_id     text NOT NULL,
    campaign_id    text NOT NULL,
    campaign_name  text NOT NULL DEFAULT '',
    day            date NOT NULL,
    spend          numeric(20, 6) NOT NULL DEFAULT 0,
    currency       text NOT NULL DEFAULT '',
    clicks         bigint NOT NULL DEFAULT 0,
    impressions    bigint NOT NULL DEFAULT 0,
    synced_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, platform, account_id, campaign_id, day)
);
CREATE INDEX ad_spend_daily_day ON ad_spend_daily (tenant_id, day);

-- A tenant's mapping from a tracked utm_campaign or utm_id value to an ad or CRM
-- campaign whose name or id differs.
CREATE TABLE campaign_mappings (
    tenant_id    bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    utm_key      text NOT NULL CHECK (utm_key IN ('utm_campaign', 'utm_id')),
    utm_value    text NOT NULL,
    platform     text NOT NULL,
    campaign_id  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, utm_key, utm_value)
);

-- People whose whole history must be (re)written to a connector's CRM: newly
-- identified, or newly matched to a CRM contact or lead.
CREATE TABLE writeback_queue (
    connector_id  bigint NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
    person_id     bigint NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    run_after     timestamptz NOT NULL DEFAULT now(),
    attempts      int NOT NULL DEFAULT 0,
    last_error    text NOT NULL DEFAULT '',
    PRIMARY KEY (connector_id, person_id)
);

-- +goose Down
DROP TABLE writeback_queue;
DROP TABLE campaign_mappings;
DROP TABLE ad_spend_daily;
DROP TABLE crm_campaign_members;
DROP TABLE crm_campaigns;
DROP TABLE crm_stages;
DROP TABLE crm_opportunity_contacts;
DROP TABLE crm_opportunities;
DROP TABLE crm_contact_accounts;
DROP TABLE crm_contacts;
DROP TABLE crm_accounts;
DROP TABLE sync_runs;
DROP TABLE sync_cursors;
DROP TABLE connectors;
