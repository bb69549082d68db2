-- Delivered broadcasts (DESIGN §7). A broadcast keeps its message and
-- filter as JSON (NULL message: a placeholder, never sent), the size of
-- its audience once fixed (NULL before), its times, the progress card's
-- message id and the lease of the replica that owns it (fixes the
-- audience, reports, finishes).

-- +goose Up
ALTER TABLE broadcasts ADD COLUMN message TEXT;
ALTER TABLE broadcasts ADD COLUMN filter TEXT;
ALTER TABLE broadcasts ADD COLUMN audience BIGINT;
ALTER TABLE broadcasts ADD COLUMN started_at TIMESTAMP;
ALTER TABLE broadcasts ADD COLUMN finished_at TIMESTAMP;
ALTER TABLE broadcasts ADD COLUMN reported_at TIMESTAMP;
ALTER TABLE broadcasts ADD COLUMN progress_msg TEXT NOT NULL DEFAULT '';
ALTER TABLE broadcasts ADD COLUMN locked_by TEXT NOT NULL DEFAULT '';
ALTER TABLE broadcasts ADD COLUMN locked_until TIMESTAMP;
-- What ClaimBroadcast and FindSendingBroadcasts look for besides due ones.
CREATE INDEX broadcasts_need_owner ON broadcasts (id)
    WHERE status = 'sending' OR (started_at IS NOT NULL AND finished_at IS NOT NULL AND reported_at IS NULL);

-- One row per recipient, written when the audience is fixed, before any
-- send; it moves pending -> sent | failed | skipped once. claimed_by and
-- claimed_until lease a pending row to the replica sending it. No
-- foreign keys and no index besides the key: the audience of a million
-- is written in one statement, and every index would slow it.
CREATE TABLE deliveries (
    broadcast_id  BIGINT NOT NULL,
    user_id       BIGINT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    reason        TEXT NOT NULL DEFAULT '',
    attempts      INTEGER NOT NULL DEFAULT 0,
    sent_at       TIMESTAMP,
    claimed_by    TEXT NOT NULL DEFAULT '',
    claimed_until TIMESTAMP,
    PRIMARY KEY (broadcast_id, user_id)
);

-- How many rows of a broadcast are in each (status, reason) but pending,
-- kept by the statements that move rows: the counts of a report are then
-- a read of a few rows, however large the audience.
CREATE TABLE delivery_counts (
    broadcast_id BIGINT NOT NULL,
    status       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (broadcast_id, status, reason)
);

-- The send pace of each tenant, shared by all replicas: the next free
-- send slot. Replicas reserve slots in small chunks (TakeSendSlots).
CREATE TABLE send_pace (
    key     TEXT PRIMARY KEY,
    next_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE send_pace;
DROP TABLE delivery_counts;
DROP TABLE deliveries;
DROP INDEX broadcasts_need_owner;
ALTER TABLE broadcasts DROP COLUMN locked_until;
ALTER TABLE broadcasts DROP COLUMN locked_by;
ALTER TABLE broadcasts DROP COLUMN progress_msg;
ALTER TABLE broadcasts DROP COLUMN reported_at;
ALTER TABLE broadcasts DROP COLUMN finished_at;
ALTER TABLE broadcasts DROP COLUMN started_at;
ALTER TABLE broadcasts DROP COLUMN audience;
ALTER TABLE broadcasts DROP COLUMN filter;
ALTER TABLE broadcasts DROP COLUMN message;
