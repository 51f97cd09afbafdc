-- One rating per (record_type, record_id, user_id): a second rating by the same user replaces
-- the first, so replayed events change nothing.
CREATE TABLE ratings (
    record_type text NOT NULL CHECK (record_type ~ '^[a-z0-9_-]{1,64}$'),
    record_id   text NOT NULL CHECK (char_length(record_id) BETWEEN 1 AND 128),
    user_id     text NOT NULL CHECK (char_length(user_id) BETWEEN 1 AND 128),
    value       smallint NOT NULL CHECK (value BETWEEN 1 AND 5),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (record_type, record_id, user_id)
);
