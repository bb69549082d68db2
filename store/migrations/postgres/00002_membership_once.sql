-- Join and Leave record the channel activity they are made for in their
-- own transaction (segmentbot.Once), so a tap commits once instead of
-- three times (claim, change, done). p_activity '' records nothing. The
-- activity is recorded after the user's row is locked and the segment
-- found, so a change that cannot happen leaves it for the channel to
-- record. Result -3: the activity was recorded before; nothing changed.

-- +goose Up
DROP FUNCTION membership_join(BIGINT, BIGINT, TEXT, BIGINT, TIMESTAMPTZ);
DROP FUNCTION membership_leave(BIGINT, BIGINT, TEXT, BIGINT, BOOLEAN, TIMESTAMPTZ);

-- +goose StatementBegin
CREATE FUNCTION membership_join(p_segment BIGINT, p_user BIGINT, p_source TEXT, p_actor BIGINT, p_at TIMESTAMPTZ,
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

-- +goose StatementBegin
CREATE FUNCTION membership_leave(p_segment BIGINT, p_user BIGINT, p_source TEXT, p_actor BIGINT, p_opt_out BOOLEAN, p_at TIMESTAMPTZ,
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
    DELETE FROM memberships WHERE segment_id = p_segment AND user_id = p_user;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF p_opt_out THEN
        INSERT INTO opt_outs (segment_id, user_id, source, created_at) VALUES (p_segment, p_user, p_source, p_at)
            ON CONFLICT (segment_id, user_id) DO NOTHING;
    END IF;
    INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at)
        VALUES (p_segment, p_user, 'leave', p_source, p_actor, p_at);
    RETURN n;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION membership_join(BIGINT, BIGINT, TEXT, BIGINT, TIMESTAMPTZ, TEXT, TEXT);
DROP FUNCTION membership_leave(BIGINT, BIGINT, TEXT, BIGINT, BOOLEAN, TIMESTAMPTZ, TEXT, TEXT);

-- +goose StatementBegin
CREATE FUNCTION membership_join(p_segment BIGINT, p_user BIGINT, p_source TEXT, p_actor BIGINT, p_at TIMESTAMPTZ)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    n INTEGER;
BEGIN
    PERFORM 1 FROM users WHERE id = p_user FOR NO KEY UPDATE;
    IF NOT FOUND THEN RETURN -1; END IF;
    PERFORM 1 FROM segments WHERE id = p_segment FOR KEY SHARE;
    IF NOT FOUND THEN RETURN -2; END IF;
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

-- +goose StatementBegin
CREATE FUNCTION membership_leave(p_segment BIGINT, p_user BIGINT, p_source TEXT, p_actor BIGINT, p_opt_out BOOLEAN, p_at TIMESTAMPTZ)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    n INTEGER;
BEGIN
    PERFORM 1 FROM users WHERE id = p_user FOR NO KEY UPDATE;
    IF NOT FOUND THEN RETURN -1; END IF;
    PERFORM 1 FROM segments WHERE id = p_segment FOR KEY SHARE;
    IF NOT FOUND THEN RETURN -2; END IF;
    DELETE FROM memberships WHERE segment_id = p_segment AND user_id = p_user;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF p_opt_out THEN
        INSERT INTO opt_outs (segment_id, user_id, source, created_at) VALUES (p_segment, p_user, p_source, p_at)
            ON CONFLICT (segment_id, user_id) DO NOTHING;
    END IF;
    INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at)
        VALUES (p_segment, p_user, 'leave', p_source, p_actor, p_at);
    RETURN n;
END
$$;
-- +goose StatementEnd
