-- When a directory sync last reported the user (issue 13). A full read
-- of a tenant (its first sync, or one after Graph expired the delta
-- link) lists only the users who exist now: once
-- it has written every page, the tenant's known users with an AAD object
-- id that it did not stamp are gone from the directory and marked as
-- left (MarkUnseenLeft). NULL: never reported.

-- +goose Up
ALTER TABLE users ADD COLUMN directory_seen_at TIMESTAMP;

-- +goose Down
ALTER TABLE users DROP COLUMN directory_seen_at;
