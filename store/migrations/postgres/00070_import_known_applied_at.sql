-- When ApplyKnown applied the directory's rows of an import (issue 13),
-- the time it stamped on the attributes it changed: the apply of the
-- looked-up rows then knows which users the first part already counted in
-- attributes_updated. NULL: applied in one part. SQLite always applies an
-- import in one part.

-- +goose Up
ALTER TABLE imports ADD COLUMN known_applied_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE imports DROP COLUMN known_applied_at;
