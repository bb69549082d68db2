-- User attributes (DESIGN §8): one row per (user, name), from the
-- directory or an imported CSV column. value is as given; value_fold is
-- its folded form (segmentbot.FoldValue, computed in Go: SQLite's lower()
-- folds ASCII only), the one filters compare. The index answers a
-- condition (name, folded values) with user ids alone, without the table.
-- No foreign key, as memberships: users are never deleted, and a check
-- per row would slow the bulk writes of a directory sync or an import.

-- +goose Up
CREATE TABLE user_attributes (
    user_id    BIGINT NOT NULL,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    value_fold TEXT NOT NULL,
    source     TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, name)
);
CREATE INDEX user_attributes_name_value ON user_attributes (name, value_fold, user_id);

-- +goose Down
DROP TABLE user_attributes;
