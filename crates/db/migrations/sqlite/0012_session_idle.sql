-- Sessions end when idle: when each was last used (UTC milliseconds), written at most once a minute.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;
