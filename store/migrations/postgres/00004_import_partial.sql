-- An import whose rows the directory knew were applied while the rest
-- were still being looked up live (ApplyKnown): its counts so far are in
-- the counters, and ApplyImport then applies only the looked-up rest.

-- +goose Up
ALTER TABLE imports ADD COLUMN partial BOOLEAN NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE imports DROP COLUMN partial;
