-- Inbound webhook events waiting to be handled: a large Meta batch is
-- stored here in one transaction and answered at once; workers (and the
-- request itself, for a few seconds) handle the rows and delete them. A
-- row whose lease (claimed_until) ran out belongs to the next worker, so
-- a crash loses nothing; processed_activities keeps any event from being
-- handled twice. (channel, event_key) is unique: a redelivered batch
-- queues nothing again.

-- +goose Up
CREATE TABLE event_queue (
    id            BIGSERIAL PRIMARY KEY,
    channel       TEXT NOT NULL,
    event_key     TEXT NOT NULL,
    body          TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    claimed_until TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (channel, event_key)
);
CREATE INDEX event_queue_claimable ON event_queue (channel, claimed_until, id);

-- +goose Down
DROP TABLE event_queue;
