-- Single sign-on with OpenID Connect, per tenant: the tenant's identity provider and how
-- its groups map to roles; the sign-ins waiting for the provider's answer (state, nonce
-- and PKCE verifier, kept server-side and used once); and the tenant an SSO session is
-- confined to.

-- +goose Up
CREATE TABLE tenant_sso (
    tenant_id        bigint PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    issuer_url       text NOT NULL CHECK (issuer_url <> ''),
    client_id        text NOT NULL CHECK (client_id <> ''),
    -- AES-256-GCM under the secrets key (app/secrets), bound to the tenant.
    client_secret    bytea NOT NULL,
    allowed_domains  text[] NOT NULL DEFAULT '{}',
    groups_claim     text NOT NULL DEFAULT 'groups',
    -- {"IdP group": "role"}
    group_roles      jsonb NOT NULL CHECK (jsonb_typeof(group_roles) = 'object'),
    -- config: declared in the config file (tenants[].sso), changed only there; api: set
    -- through /api/tenants/:tenant/sso.
    source           text NOT NULL CHECK (source IN ('config', 'api')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- A sign-in sent to the identity provider. state is random (only its SHA-256 is kept);
-- the row is deleted when the provider sends the browser back, so it works once.
CREATE TABLE sso_logins (
    id             bigserial PRIMARY KEY,
    state_hash     bytea NOT NULL UNIQUE,
    tenant_id      bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    nonce          text NOT NULL,
    code_verifier  text NOT NULL,
    next           text NOT NULL,
    remote_addr    text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL
);
CREATE INDEX sso_logins_expires_at ON sso_logins (expires_at);
CREATE INDEX sso_logins_remote_addr ON sso_logins (remote_addr, created_at);

-- A session started by a tenant's identity provider acts in that tenant only.
ALTER TABLE sessions ADD COLUMN sso_tenant_id bigint REFERENCES tenants(id) ON DELETE CASCADE;
CREATE INDEX sessions_sso_tenant_id ON sessions (sso_tenant_id) WHERE sso_tenant_id IS NOT NULL;

-- +goose Down
DROP INDEX sessions_sso_tenant_id;
ALTER TABLE sessions DROP COLUMN sso_tenant_id;
DROP TABLE sso_logins;
DROP TABLE tenant_sso;
