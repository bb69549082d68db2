-- The cells of an imported file's other columns (DESIGN §8), as a JSON
-- object of attribute name -> value per staged row; NULL when the row has
-- none (a file of one column, or only empty cells). ApplyImport stores
-- them on the user the row matched.

-- +goose Up
ALTER TABLE import_rows ADD COLUMN attributes TEXT;

-- +goose Down
ALTER TABLE import_rows DROP COLUMN attributes;
