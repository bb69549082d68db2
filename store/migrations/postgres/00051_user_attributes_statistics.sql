-- The planner's estimate of a filter condition (name = ? AND value_fold
-- IN (...)) multiplies the two columns' selectivities as if they were
-- independent, and misjudges a common value of one name by ten times:
-- hash tables then sized for a tenth of their rows spill to disk. MCV
-- statistics on the pair give the real frequencies (docs/decisions.md,
-- attrs-store).

-- +goose Up
CREATE STATISTICS user_attributes_name_value_mcv (mcv) ON name, value_fold FROM user_attributes;

-- +goose Down
DROP STATISTICS user_attributes_name_value_mcv;
