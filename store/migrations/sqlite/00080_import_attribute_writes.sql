-- Parity with PostgreSQL's 00080 (issue 13): where the database runs
-- writers side by side, an import's attribute cells are written on a
-- second connection and recorded here per part. SQLite writes them in the
-- transaction of the members, so this table stays empty; it exists so
-- that both databases clear an import's rows with the same statements.

-- +goose Up
CREATE TABLE import_attribute_writes (
    import_id     BIGINT NOT NULL,
    part          TEXT NOT NULL,
    users_updated BIGINT NOT NULL,
    applied_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (import_id, part)
);

-- +goose Down
DROP TABLE import_attribute_writes;
