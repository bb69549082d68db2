-- A segment name's Unicode skeleton (UTS #39, case-folded): two names
-- with the same skeleton look alike ("Sales" and Cyrillic "Ѕales"), so the
-- unique index refuses the second, race-safe. Existing rows are filled in
-- by the Go migration 00046; '' means not computed.

-- +goose Up
ALTER TABLE segments ADD COLUMN name_skeleton TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX segments_name_skeleton ON segments (name_skeleton) WHERE name_skeleton <> '';

-- +goose Down
DROP INDEX segments_name_skeleton;
ALTER TABLE segments DROP COLUMN name_skeleton;
