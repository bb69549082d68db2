-- Who may find and join a segment: open (listed to end users, joinable),
-- invite (joinable through a card an admin shared, not listed; the
-- default, as every segment behaved before) or closed (admins add people;
-- the card offers only Opt out). The store checks the value (no CHECK
-- here: SQLite could not drop the column again).

-- +goose Up
ALTER TABLE segments ADD COLUMN visibility TEXT NOT NULL DEFAULT 'invite';

-- +goose Down
ALTER TABLE segments DROP COLUMN visibility;
