-- How many users had an attribute added or changed by an import.

-- +goose Up
ALTER TABLE imports ADD COLUMN attributes_updated BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE imports DROP COLUMN attributes_updated;
