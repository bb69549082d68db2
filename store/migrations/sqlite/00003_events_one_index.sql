-- The event log is written far more than read: an import of a million
-- rows logs up to a million joins, and each index on the log costs a
-- third of that write. One index stays, by user (a user's history, and a
-- (segment, user) history filtered from it); a segment's whole history is
-- an audit query that may scan.

-- +goose Up
DROP INDEX membership_events_segment_user;

-- +goose Down
CREATE INDEX membership_events_segment_user ON membership_events (segment_id, user_id, id);
