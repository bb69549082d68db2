-- A user who typed unsubscribe is out of every segment, existing or made
-- later, until they act themselves: one row per user here. Imports,
-- pasted and REST lists and admin joins skip them (skipped_opted_out);
-- only the user's own Opt in tap (that one segment) or Resubscribe (which
-- deletes the row) brings them back.

-- +goose Up
CREATE TABLE global_opt_outs (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    source     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE global_opt_outs;
