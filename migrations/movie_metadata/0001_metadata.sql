-- Movie metadata (CONTRACT.md `Metadata`). Lengths are enforced by the domain types; the
-- checks here keep the table honest if anything else writes to it.
CREATE TABLE metadata (
    id          text PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 128),
    title       text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 256),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 4096),
    director    text NOT NULL CHECK (char_length(director) BETWEEN 1 AND 256),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
