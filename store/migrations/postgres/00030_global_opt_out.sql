-- A user who typed unsubscribe is out of every segment, existing or made
-- later, until they act themselves (DESIGN §3, issue 14): one row per user
-- here. Imports, pasted and REST lists and admin joins skip them
-- (skipped_opted_out); only the user's own Opt in tap (that one segment)
-- or Resubscribe (which deletes the row) brings them back.
--
-- membership_join gains the rule: a join whose source is not the user's
-- own act (button, resubscribe) is refused with -4 when the user opted out
-- of everything or of that segment, and changes nothing.

-- +goose Up
CREATE TABLE global_opt_outs (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    source     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION membership_join(p_segment BIGINT, p_user BIGINT, p_source TEXT, p_actor BIGINT, p_at TIMESTAMPTZ,
    p_channel TEXT, p_activity TEXT)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    n INTEGER;
BEGIN
    PERFORM 1 FROM users WHERE id = p_user FOR NO KEY UPDATE;
    IF NOT FOUND THEN RETURN -1; END IF;
    PERFORM 1 FROM segments WHERE id = p_segment FOR KEY SHARE;
    IF NOT FOUND THEN RETURN -2; END IF;
    IF p_source NOT IN ('button', 'resubscribe') AND (
        EXISTS (SELECT 1 FROM global_opt_outs WHERE user_id = p_user)
        OR EXISTS (SELECT 1 FROM opt_outs WHERE segment_id = p_segment AND user_id = p_user)) THEN
        RETURN -4;
    END IF;
    IF p_activity <> '' THEN
        INSERT INTO processed_activities (channel, id, state, started_at) VALUES (p_channel, p_activity, 'done', p_at)
            ON CONFLICT (channel, id) DO NOTHING;
        IF NOT FOUND THEN RETURN -3; END IF;
    END IF;
    DELETE FROM opt_outs WHERE segment_id = p_segment AND user_id = p_user;
    INSERT INTO memberships (segment_id, user_id, source, joined_at) VALUES (p_segment, p_user, p_source, p_at)
        ON CONFLICT (segment_id, user_id) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at)
        VALUES (p_segment, p_user, 'join', p_source, p_actor, p_at);
    RETURN n;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION membership_join(p_segment BIGINT, p_user BIGINT, p_source TEXT, p_actor BIGINT, p_at TIMESTAMPTZ,
    p_channel TEXT, p_activity TEXT)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    n INTEGER;
BEGIN
    PERFORM 1 FROM users WHERE id = p_user FOR NO KEY UPDATE;
    IF NOT FOUND THEN RETURN -1; END IF;
    PERFORM 1 FROM segments WHERE id = p_segment FOR KEY SHARE;
    IF NOT FOUND THEN RETURN -2; END IF;
    IF p_activity <> '' THEN
        INSERT INTO processed_activities (channel, id, state, started_at) VALUES (p_channel, p_activity, 'done', p_at)
            ON CONFLICT (channel, id) DO NOTHING;
        IF NOT FOUND THEN RETURN -3; END IF;
    END IF;
    DELETE FROM opt_outs WHERE segment_id = p_segment AND user_id = p_user;
    INSERT INTO memberships (segment_id, user_id, source, joined_at) VALUES (p_segment, p_user, p_source, p_at)
        ON CONFLICT (segment_id, user_id) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at)
        VALUES (p_segment, p_user, 'join', p_source, p_actor, p_at);
    RETURN n;
END
$$;
-- +goose StatementEnd
DROP TABLE global_opt_outs;
