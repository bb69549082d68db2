-- A broadcast written in chat is previewed before anything happens: the
-- preview is a draft, and its Send now / Schedule buttons turn it into a
-- broadcast once (state open -> confirmed, in the transaction that
-- creates the broadcast), however often they are tapped.

-- +goose Up
CREATE TABLE broadcast_drafts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    segment_id   BIGINT NOT NULL,
    name         TEXT NOT NULL,
    scheduled_at TIMESTAMP, -- the time it was written with, if any
    message      TEXT NOT NULL, -- JSON of segmentbot.BroadcastMessage
    filter       TEXT NOT NULL DEFAULT '', -- JSON of segmentbot.Filter, '' = none
    created_by   BIGINT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    state        TEXT NOT NULL,
    broadcast_id BIGINT NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE broadcast_drafts;
