-- The attribute cells of an import are written on a second connection,
-- beside the transaction that adds its members (issue 13): one row per
-- part of the import whose cells were written, with how many users had
-- an attribute added or changed and the time stamped on them. A retry of
-- the members' transaction reports that count instead of writing the
-- cells again; the looked-up part finds there which users the directory's
-- part counted, which imports.known_applied_at told before. No foreign
-- key: the members' transaction holds the import's row, and a key check
-- would wait for it. Whoever deletes an import deletes these rows.

-- +goose Up
CREATE TABLE import_attribute_writes (
    import_id     BIGINT NOT NULL,
    part          TEXT NOT NULL,
    users_updated BIGINT NOT NULL,
    applied_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (import_id, part)
);
INSERT INTO import_attribute_writes (import_id, part, users_updated, applied_at)
SELECT id, 'known', 0, known_applied_at FROM imports WHERE known_applied_at IS NOT NULL;
ALTER TABLE imports DROP COLUMN known_applied_at;

-- +goose Down
ALTER TABLE imports ADD COLUMN known_applied_at TIMESTAMPTZ;
UPDATE imports i SET known_applied_at = w.applied_at FROM import_attribute_writes w
WHERE w.import_id = i.id AND w.part = 'known';
DROP TABLE import_attribute_writes;
