-- Attribution: each tenant's settings, and what was last computed for each
-- opportunity (the hash of its journey, amount and settings), so a recompute writes
-- only the opportunities that changed.

-- +goose Up
CREATE TABLE attribution_settings (
    tenant_id   bigint PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    settings    jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE attribution_state (
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    opportunity_id  text NOT NULL,
    journey_hash    text NOT NULL,
    touchpoints     int NOT NULL,
    computed_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, opportunity_id)
);

CREATE TABLE attribution_runs (
    tenant_id     bigint PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    last_started  timestamptz NOT NULL
);

-- The channel weights the data-driven models (markov, shapley) learnt from all of a
-- tenant's journeys at the last full recompute, with a bootstrap 95% interval.
CREATE TABLE attribution_weights (
    tenant_id   bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    model       text NOT NULL,
    channel     text NOT NULL,
    weight      double precision NOT NULL,
    ci_low      double precision NOT NULL,
    ci_high     double precision NOT NULL,
    journeys    int NOT NULL,
    computed_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, model, channel)
);

-- The model scoreboard: how well each model's channel weights, learnt on most
-- journeys, predict conversion on journeys held out.
CREATE TABLE attribution_scores (
    tenant_id   bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    model       text NOT NULL,
    log_loss    double precision NOT NULL,
    auc         double precision NOT NULL,
    train       int NOT NULL,
    holdout     int NOT NULL,
    computed_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, model)
);

-- +goose Down
DROP TABLE attribution_scores;
DROP TABLE attribution_weights;
DROP TABLE attribution_runs;
DROP TABLE attribution_state;
DROP TABLE attribution_settings;
