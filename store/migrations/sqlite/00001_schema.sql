-- +goose Up
CREATE TABLE segments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE, -- lower(trimmed name): names are unique case-insensitively
    description TEXT NOT NULL DEFAULT '',
    reply       TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    channel       TEXT NOT NULL,
    tenant_id     TEXT NOT NULL DEFAULT '',
    external_id   TEXT NOT NULL DEFAULT '', -- empty for users only a live lookup knows
    aad_object_id TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    upn           TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    in_bot_groups BOOLEAN NOT NULL DEFAULT FALSE,
    conv_ref      TEXT NOT NULL DEFAULT '',
    time_zone     TEXT NOT NULL DEFAULT '',
    last_seen     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_channel_external_id ON users (channel, external_id) WHERE external_id <> '';
CREATE INDEX users_external_id ON users (external_id);
CREATE INDEX users_aad_object_id ON users (aad_object_id);
CREATE INDEX users_email ON users (email);
CREATE INDEX users_upn ON users (upn);

-- No foreign keys (docs/decisions.md): an import adds up to a million
-- rows at once, and the two checks per row cost more than the row.
-- DeleteSegment deletes the segment's memberships itself; users are never
-- deleted.
CREATE TABLE memberships (
    segment_id BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    source     TEXT NOT NULL,
    joined_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (segment_id, user_id)
);
CREATE INDEX memberships_user_id ON memberships (user_id);

CREATE TABLE opt_outs (
    segment_id BIGINT NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (segment_id, user_id)
);
CREATE INDEX opt_outs_user_id ON opt_outs (user_id);

-- No foreign keys: the log outlives the segments it mentions.
CREATE TABLE membership_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    segment_id BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    action     TEXT NOT NULL,
    source     TEXT NOT NULL,
    actor_id   BIGINT NOT NULL DEFAULT 0,
    at         TIMESTAMP NOT NULL
);
CREATE INDEX membership_events_segment_user ON membership_events (segment_id, user_id, id);
CREATE INDEX membership_events_user ON membership_events (user_id, id);

CREATE TABLE processed_activities (
    channel    TEXT NOT NULL,
    id         TEXT NOT NULL,
    state      TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    PRIMARY KEY (channel, id)
);
CREATE INDEX processed_activities_started_at ON processed_activities (started_at);

CREATE TABLE imports (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    segment_id        BIGINT NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    status            TEXT NOT NULL,
    phase             TEXT NOT NULL,
    channel           TEXT NOT NULL DEFAULT '',
    file_url          TEXT NOT NULL DEFAULT '',
    file_name         TEXT NOT NULL DEFAULT '',
    uploaded_by       BIGINT NOT NULL DEFAULT 0,
    error             TEXT NOT NULL DEFAULT '',
    total             BIGINT NOT NULL DEFAULT 0,
    added             BIGINT NOT NULL DEFAULT 0,
    already_member    BIGINT NOT NULL DEFAULT 0,
    skipped_opted_out BIGINT NOT NULL DEFAULT 0,
    duplicates        BIGINT NOT NULL DEFAULT 0,
    failed            BIGINT NOT NULL DEFAULT 0,
    failed_by_reason  TEXT NOT NULL DEFAULT '{}', -- JSON object reason -> count
    progress          BIGINT NOT NULL DEFAULT 0,
    progress_msg      TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMP NOT NULL,
    started_at        TIMESTAMP,
    finished_at       TIMESTAMP,
    locked_by         TEXT NOT NULL DEFAULT '',
    locked_until      TIMESTAMP
);
CREATE INDEX imports_segment_id ON imports (segment_id, id);
CREATE INDEX imports_unfinished ON imports (id) WHERE status IN ('pending', 'processing');
-- What ClaimImport looks for: unfinished work, and reports not yet delivered.
CREATE INDEX imports_need_worker ON imports (id)
    WHERE (status IN ('pending', 'processing') OR phase = 'applied') AND phase NOT IN ('receiving', 'done');
CREATE INDEX imports_finished_at ON imports (finished_at);

-- The staging table: written once by COPY (or batched INSERTs) and never
-- updated. No foreign key: a check per row would cost as much as the row
-- itself; DeleteImportsBefore deletes the rows of the imports it deletes,
-- and it also sweeps rows whose import went with its segment.
CREATE TABLE import_rows (
    import_id BIGINT NOT NULL,
    row_no    BIGINT NOT NULL,
    value     TEXT NOT NULL,
    norm      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    note      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (import_id, row_no)
);
-- Duplicates and directory matches join on the normalised value.
CREATE INDEX import_rows_norm ON import_rows (import_id, norm);

-- The outcome of every row, written once by ApplyImport with one
-- INSERT ... SELECT; the report joins it to import_rows by row.
CREATE TABLE import_results (
    import_id BIGINT NOT NULL,
    row_no    BIGINT NOT NULL,
    user_id   BIGINT, -- the user the row reached, when it has one
    outcome   TEXT NOT NULL,
    reason    TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (import_id, row_no)
);

CREATE TABLE import_lookups (
    import_id BIGINT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    norm      TEXT NOT NULL,
    user_id   BIGINT, -- the user found, or NULL with a reason
    reason    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (import_id, kind, norm)
);

CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    segment_id   BIGINT NOT NULL, -- no foreign key: a cancelled broadcast outlives its segment
    name         TEXT NOT NULL,
    scheduled_at TIMESTAMP NOT NULL,
    created_by   BIGINT NOT NULL DEFAULT 0,
    status       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX broadcasts_scheduled ON broadcasts (scheduled_at) WHERE status = 'scheduled';
CREATE INDEX broadcasts_segment_id ON broadcasts (segment_id);

CREATE TABLE warnings (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    broadcast_id  BIGINT NOT NULL,
    import_id     BIGINT NOT NULL,
    user_id       BIGINT NOT NULL,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    claimed_by    TEXT NOT NULL DEFAULT '',
    claimed_until TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    sent_at       TIMESTAMP,
    UNIQUE (broadcast_id, import_id, user_id)
);
CREATE INDEX warnings_pending ON warnings (id) WHERE status = 'pending';

CREATE TABLE teams (
    channel    TEXT NOT NULL,
    id         TEXT NOT NULL,
    tenant_id  TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT '',
    ref        TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (channel, id)
);

-- +goose Down
DROP TABLE teams;
DROP TABLE warnings;
DROP TABLE broadcasts;
DROP TABLE import_results;
DROP TABLE import_lookups;
DROP TABLE import_rows;
DROP TABLE imports;
DROP TABLE processed_activities;
DROP TABLE membership_events;
DROP TABLE opt_outs;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE segments;
