-- Portal: each tenant's reporting currency, in which its pages show amounts.

-- +goose Up
ALTER TABLE tenants ADD COLUMN currency text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$');

-- +goose Down
ALTER TABLE tenants DROP COLUMN currency;
