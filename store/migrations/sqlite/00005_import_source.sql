-- Where an import's members came from, for their memberships and join
-- events: a CSV file (import), emails pasted in chat (chat) or sent to
-- the REST API (api).

-- +goose Up
ALTER TABLE imports ADD COLUMN source TEXT NOT NULL DEFAULT 'import';

-- +goose Down
ALTER TABLE imports DROP COLUMN source;
