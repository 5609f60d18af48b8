-- The change log of items: one row per write, in the same transaction as the write. Every server
-- process follows it to keep its own search index in step (several processes may share one
-- PostgreSQL database), and replays it after a crash.
CREATE TABLE item_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id    BIGINT NOT NULL,
    changed_at BIGINT NOT NULL
);
