-- A rule segment (DESIGN §8, issue 13) keeps its filter here as JSON
-- ({"all":[...]}); NULL for an ordinary segment, whose members are added
-- by hand, file or button.

-- +goose Up
ALTER TABLE segments ADD COLUMN filter TEXT;

-- +goose Down
ALTER TABLE segments DROP COLUMN filter;
