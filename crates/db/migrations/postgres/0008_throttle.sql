-- Throttle state shared by every node on this database: login failure counts and lockouts, and
-- the abuse quotas (registration, publishing, votes). One row per key, e.g.
-- 'login:account:zhang.san', 'login:address:203.0.113.9', 'quota:registration:203.0.113.9',
-- 'quota:publishing:42'; each change is one atomic upsert (see crates/db/src/throttle.rs), so
-- concurrent nodes never lose a count. A missing row is a fresh key. Times are UTC milliseconds.
--
-- UNLOGGED: the state is worth minutes, and every failed login and quota step writes it; an
-- unlogged table skips the write-ahead log (no flush per write). After a database crash, or on a
-- promoted standby, it starts empty: counts and locks restart, as they did when a process
-- restarted with the in-memory counts.

CREATE UNLOGGED TABLE throttle (
    key          TEXT   PRIMARY KEY,
    -- Lockouts (`throttle::Rule`): failures in the current window, its start, the lock's end (0: none).
    count        BIGINT NOT NULL DEFAULT 0,
    window_start BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    -- Quotas (`throttle::Gcra`): the theoretical arrival time; at or before now the burst is full.
    tat          BIGINT NOT NULL DEFAULT 0,
    -- After this the row carries no state: `Db::purge_throttle` deletes it.
    expires_at   BIGINT NOT NULL
);
CREATE INDEX throttle_expires ON throttle (expires_at);
