-- The task queue (outbox): work that may wait — notices, push, imports, exports, periodic jobs —
-- is enqueued in the same transaction as the change that causes it, and workers claim it later.
-- A claimed task is leased (locked_until); a worker that dies leaves a lease that expires, and the
-- task is claimed again, or marked dead once its attempts are used up.
-- Times are UTC milliseconds.

CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT   NOT NULL,
    -- JSON text.
    payload      TEXT   NOT NULL,
    -- Lower runs first; 0 by default, urgent work negative.
    priority     BIGINT NOT NULL DEFAULT 0,
    state        TEXT   NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'dead')),
    -- Claims so far, the running one included.
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL CHECK (max_attempts >= 1),
    -- Not to be run before.
    run_at       BIGINT NOT NULL,
    -- The lease of a running task and the worker that holds (or last held) it.
    locked_until BIGINT,
    locked_by    TEXT,
    last_error   TEXT,
    -- One task per key, e.g. one periodic job per slot ('housekeeping:2026-12-01T14:00').
    unique_key   TEXT   UNIQUE,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
-- Claiming: due queued tasks in (priority, run_at, id) order, and expired leases.
CREATE INDEX tasks_claim ON tasks (state, priority, run_at, id);
CREATE INDEX tasks_lease ON tasks (state, locked_until);
-- Purging done tasks and listing by state.
CREATE INDEX tasks_finished ON tasks (state, finished_at);
-- Listing by kind, newest first.
CREATE INDEX tasks_kind ON tasks (kind, id);

-- A notification written by a `notify` task carries its id: running the task twice writes it once.
ALTER TABLE notifications ADD COLUMN task_id BIGINT;
CREATE UNIQUE INDEX notifications_task ON notifications (task_id);
