-- Sign-in: login challenges (the SMS code step), sessions, the failed attempts and
-- code sends that throttling counts, and per-tenant API tokens. Secrets are stored only
-- as hashes: session and challenge tokens and API tokens as SHA-256 (they are random
-- 256-bit values), login codes as HMAC-SHA256 under a server key.

-- +goose Up
CREATE TABLE login_challenges (
    id               bigserial PRIMARY KEY,
    token_hash       bytea NOT NULL UNIQUE,
    user_id          bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- NULL when Twilio Verify made the code and checks it.
    code_hash        bytea,
    code_expires_at  timestamptz NOT NULL,
    attempts         int NOT NULL DEFAULT 0,
    last_sent_at     timestamptz NOT NULL,
    remote_addr      text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL
);
CREATE INDEX login_challenges_user_id ON login_challenges (user_id);

CREATE TABLE sessions (
    id            bigserial PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE,
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    -- The absolute end; the idle end is last_seen_at plus the configured idle timeout.
    expires_at    timestamptz NOT NULL,
    remote_addr   text NOT NULL DEFAULT '',
    user_agent    text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- account is the lower-cased email as typed, known user or not, so that throttling
-- behaves the same for both.
CREATE TABLE auth_attempts (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('password_failed', 'code_failed', 'code_sent')),
    account    text NOT NULL,
    remote_ip  text NOT NULL,
    at         timestamptz NOT NULL
);
CREATE INDEX auth_attempts_account ON auth_attempts (kind, account, at);
CREATE INDEX auth_attempts_ip ON auth_attempts (kind, remote_ip, at);

CREATE TABLE api_tokens (
    id            bigserial PRIMARY KEY,
    tenant_id     bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (name <> '' AND length(name) <= 100),
    role          text NOT NULL CHECK (role IN ('owner', 'admin', 'marketer', 'analyst', 'viewer')),
    token_hash    bytea NOT NULL UNIQUE,
    created_by    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_tokens_tenant_id ON api_tokens (tenant_id);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE auth_attempts;
DROP TABLE sessions;
DROP TABLE login_challenges;
