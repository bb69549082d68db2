-- Idempotency-Key of REST creates: the first request with a key claims it
-- (status 0), its answer is kept (status, body) and replayed to every retry
-- with the same key and body. A create records what it made (resource_id)
-- in its own transaction, so a retry after a 500 whose change was saved
-- (status -1) gets that resource, not a second one.

-- +goose Up
CREATE TABLE idempotency_keys (
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    body_hash   TEXT NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0,
    response    TEXT NOT NULL DEFAULT '',
    resource_id BIGINT NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
