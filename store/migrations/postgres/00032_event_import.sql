-- The import a join came from, for a person's history (0 = none). A
-- constant default adds the column without rewriting the log.

-- +goose Up
ALTER TABLE membership_events ADD COLUMN import_id BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE membership_events DROP COLUMN import_id;
