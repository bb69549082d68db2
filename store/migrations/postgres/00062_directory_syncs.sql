-- The directory sync (SEGMENTBOT_DIRECTORY_SYNC), one row per tenant of a
-- channel: the delta link the last finished sync returned, which the next
-- one reads from, and the lease of the replica running it now, so one
-- run of a schedule syncs a tenant once across replicas. synced_at is
-- when the last sync finished: a replica whose run of the same schedule
-- starts before it leaves the tenant alone.

-- +goose Up
CREATE TABLE directory_syncs (
    channel     TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    delta_link  TEXT NOT NULL DEFAULT '',
    worker      TEXT NOT NULL DEFAULT '',
    lease_until TIMESTAMPTZ,
    synced_at   TIMESTAMPTZ,
    PRIMARY KEY (channel, tenant_id)
);

-- +goose Down
DROP TABLE directory_syncs;
