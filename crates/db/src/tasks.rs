//! The task queue's storage (outbox pattern, as crates.io's `crates_io_worker`): work that may wait
//! is enqueued with [`enqueue_in`] in the same transaction as the change that causes it, so it exists
//! exactly when the change does; workers take it with [`Db::claim_tasks`].
//!
//! A claim is one `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING …`: on PostgreSQL the inner
//! select locks its rows `FOR UPDATE SKIP LOCKED`, so workers on several nodes never take the same
//! task and never wait for each other; on SQLite the statement runs on the one writer connection,
//! which serialises claims. A claim is a lease (`locked_until`): a worker that dies mid-task leaves a
//! lease that expires, and the task is claimed again — or marked dead once its attempts are used up.
//! Finishing and failing are accepted only from the worker holding the task.
//!
//! Times are UTC milliseconds ([`kejiyun_domain::time::to_millis`]); callers pass `now` so runners
//! and tests control the clock. Backoff is computed here in Rust ([`backoff_ms`]), not in SQL.

use kejiyun_domain::time::{now, to_millis};
use serde::Serialize;
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::sql::Sql;
use crate::{Backend, Db, Error, Result};

/// Attempts of a task unless its [`NewTask`] says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 10;

/// Delay before the first retry; each further failure doubles it.
const BACKOFF_BASE_MS: i64 = 1_000;
/// The longest delay between two attempts: one hour.
const BACKOFF_CAP_MS: i64 = 3_600_000;

const COLUMNS: &str = "id, kind, payload, priority, state, attempts, max_attempts, run_at, locked_until, locked_by, \
     last_error, unique_key, created_at, finished_at";

/// Where a task is in its life: `queued` → `running` → `done`, or back to `queued` for a retry,
/// or `dead` when its attempts are used up (kept for an admin to read and retry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Queued,
    Running,
    Done,
    Dead,
}

impl TaskState {
    pub const ALL: &'static [TaskState] = &[TaskState::Queued, TaskState::Running, TaskState::Done, TaskState::Dead];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Running => "running",
            TaskState::Done => "done",
            TaskState::Dead => "dead",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            TaskState::Queued => "待执行",
            TaskState::Running => "执行中",
            TaskState::Done => "已完成",
            TaskState::Dead => "已失败",
        }
    }

    /// Reads a stored code or a Chinese label.
    pub fn parse(text: &str) -> Option<TaskState> {
        TaskState::ALL.iter().copied().find(|s| s.code() == text || s.label() == text)
    }
}

impl std::fmt::Display for TaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A task as stored. Times are UTC milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    /// Lower runs first.
    pub priority: i32,
    pub state: TaskState,
    /// Claims so far, the running one included.
    pub attempts: i32,
    pub max_attempts: i32,
    /// Not to be run before.
    pub run_at: i64,
    /// The lease of a running task; `None` otherwise.
    pub locked_until: Option<i64>,
    /// The worker that holds the task, or last held it.
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub unique_key: Option<String>,
    pub created_at: i64,
    /// When it became done or dead.
    pub finished_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: i64,
    kind: String,
    payload: String,
    priority: i64,
    state: String,
    attempts: i64,
    max_attempts: i64,
    run_at: i64,
    locked_until: Option<i64>,
    locked_by: Option<String>,
    last_error: Option<String>,
    unique_key: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
}

impl TryFrom<TaskRow> for Task {
    type Error = Error;
    fn try_from(r: TaskRow) -> Result<Task> {
        let corrupt = |what: &str| Error::Corrupt(format!("task {} {what}", r.id));
        let small = |v: i64, what: &str| i32::try_from(v).map_err(|_| corrupt(what));
        Ok(Task {
            id: r.id,
            payload: serde_json::from_str(&r.payload).map_err(|_| corrupt("payload"))?,
            priority: small(r.priority, "priority")?,
            state: TaskState::parse(&r.state).ok_or_else(|| corrupt("state"))?,
            attempts: small(r.attempts, "attempts")?,
            max_attempts: small(r.max_attempts, "max_attempts")?,
            kind: r.kind,
            run_at: r.run_at,
            locked_until: r.locked_until,
            locked_by: r.locked_by,
            last_error: r.last_error,
            unique_key: r.unique_key,
            created_at: r.created_at,
            finished_at: r.finished_at,
        })
    }
}

fn into_tasks(rows: Vec<TaskRow>) -> Result<Vec<Task>> {
    rows.into_iter().map(Task::try_from).collect()
}

/// A task to enqueue. [`NewTask::new`] gives priority 0, due now, [`DEFAULT_MAX_ATTEMPTS`] and no
/// unique key; the builder methods change one field each.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    pub kind: String,
    pub payload: serde_json::Value,
    /// Lower runs first; urgent work negative.
    pub priority: i32,
    /// UTC milliseconds; not to be run before.
    pub run_at: i64,
    /// At least 1 (smaller values are stored as 1).
    pub max_attempts: i32,
    /// A second task with the same key is not inserted.
    pub unique_key: Option<String>,
}

impl NewTask {
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> NewTask {
        NewTask {
            kind: kind.into(),
            payload,
            priority: 0,
            run_at: to_millis(now()),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            unique_key: None,
        }
    }

    pub fn priority(mut self, priority: i32) -> NewTask {
        self.priority = priority;
        self
    }

    pub fn run_at(mut self, run_at_ms: i64) -> NewTask {
        self.run_at = run_at_ms;
        self
    }

    pub fn max_attempts(mut self, max_attempts: i32) -> NewTask {
        self.max_attempts = max_attempts;
        self
    }

    pub fn unique_key(mut self, key: impl Into<String>) -> NewTask {
        self.unique_key = Some(key.into());
        self
    }
}

/// Filters of task lists; `None` matches all.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub state: Option<TaskState>,
    pub kind: Option<String>,
}

impl TaskFilter {
    fn where_clause(&self) -> Sql {
        let mut sql = Sql::new(" WHERE 1 = 1");
        if let Some(state) = self.state {
            sql.push(" AND state = ").bind(state.code());
        }
        if let Some(kind) = &self.kind {
            sql.push(" AND kind = ").bind(kind.as_str());
        }
        sql
    }
}

/// Figures of the queue for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TaskStats {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub dead: i64,
    /// How long the longest-waiting due task (queued, `run_at <= now`) has been due.
    pub oldest_queued_age_ms: Option<i64>,
    /// Tasks not done whose last attempt failed (`last_error` set): retries waiting or running,
    /// and dead tasks.
    pub failures: i64,
}

/// The delay before the next attempt after `attempts` attempts: 1 s, 2 s, 4 s … capped at 1 h.
pub fn backoff_ms(attempts: i32) -> i64 {
    let doublings = attempts.saturating_sub(1).clamp(0, 32).unsigned_abs();
    BACKOFF_BASE_MS.saturating_mul(1_i64 << doublings).min(BACKOFF_CAP_MS)
}

/// Enqueues `task` on `conn`, normally inside the transaction of the change that causes it.
/// Returns the new task's id, or `None` when a task with the same `unique_key` exists already.
pub async fn enqueue_in(conn: &mut AnyConnection, task: &NewTask) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO tasks (kind, payload, priority, state, attempts, max_attempts, run_at, unique_key, created_at) \
         VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7) ON CONFLICT (unique_key) DO NOTHING RETURNING id",
    )
    .bind(&task.kind)
    .bind(task.payload.to_string())
    .bind(i64::from(task.priority))
    .bind(i64::from(task.max_attempts.max(1)))
    .bind(task.run_at)
    .bind(task.unique_key.as_deref())
    .bind(to_millis(now()))
    .fetch_optional(conn)
    .await?)
}

/// Marks the task done if `worker` still holds it, on `conn` — inside the transaction of the
/// handler's own effect, so the effect and the end of the task commit together.
pub async fn finish_task_in(conn: &mut AnyConnection, id: i64, worker: &str, now_ms: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE tasks SET state = 'done', finished_at = $1, locked_until = NULL \
         WHERE id = $2 AND state = 'running' AND locked_by = $3",
    )
    .bind(now_ms)
    .bind(id)
    .bind(worker)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

impl Db {
    /// Row locks of the claim's inner select: PostgreSQL skips rows another worker is claiming;
    /// SQLite has one writer, so claims are serialised anyway.
    fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// Enqueues `task` on its own; see [`enqueue_in`] to enqueue with the change that causes it.
    pub async fn enqueue(&self, task: &NewTask) -> Result<Option<i64>> {
        let mut conn = self.write.acquire().await?;
        enqueue_in(&mut conn, task).await
    }

    /// Enqueues the periodic job `kind` for one slot (e.g. `2026-12-01T14:00`), keyed
    /// `{kind}:{slot_key}`: however many nodes schedule the same slot, one task exists, so the job
    /// runs once per slot. Returns whether this call inserted it.
    ///
    /// Done tasks are purged by [`Db::purge_done_tasks`], which frees their keys: keep the purge
    /// cut-off older than any slot that may still be scheduled.
    pub async fn schedule_periodic(
        &self,
        kind: &str,
        slot_key: &str,
        payload: serde_json::Value,
        run_at_ms: i64,
    ) -> Result<bool> {
        let task = NewTask::new(kind, payload).run_at(run_at_ms).unique_key(format!("{kind}:{slot_key}"));
        Ok(self.enqueue(&task).await?.is_some())
    }

    /// Takes up to `limit` tasks for `worker`: queued ones due at `now_ms`, and running ones whose
    /// lease expired, in (priority, run_at, id) order. Each becomes running, leased until
    /// `now_ms + lease_ms`, with one more attempt. Expired tasks that have used up their attempts
    /// become dead instead. Returns the claimed tasks in that order.
    pub async fn claim_tasks(&self, worker: &str, now_ms: i64, lease_ms: i64, limit: i64) -> Result<Vec<Task>> {
        if limit <= 0 {
            return Ok(Vec::new());
        }
        let skip_locked = self.skip_locked();
        let mut tx = self.write.begin().await?;
        // A worker died during the last allowed attempt: nothing is left to try.
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE tasks SET state = 'dead', finished_at = $1, locked_until = NULL, \
             last_error = 'lease expired during attempt ' || CAST(attempts AS TEXT) \
               || ' (worker ' || COALESCE(locked_by, '') || ')' \
             WHERE id IN (SELECT id FROM tasks \
               WHERE state = 'running' AND locked_until < $1 AND attempts >= max_attempts{skip_locked})"
        )))
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        let rows: Vec<TaskRow> = sqlx::query_as(AssertSqlSafe(format!(
            "UPDATE tasks SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM tasks \
               WHERE (state = 'queued' AND run_at <= $3) \
                  OR (state = 'running' AND locked_until < $3 AND attempts < max_attempts) \
               ORDER BY priority, run_at, id LIMIT $4{skip_locked}) \
             RETURNING {COLUMNS}"
        )))
        .bind(worker)
        .bind(now_ms.saturating_add(lease_ms))
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut tasks = into_tasks(rows)?;
        // RETURNING gives no order.
        tasks.sort_by_key(|t| (t.priority, t.run_at, t.id));
        Ok(tasks)
    }

    /// Marks the task done if `worker` still holds it; `false` when it does not (its lease expired
    /// and another worker took it, or it is not running).
    pub async fn finish_task(&self, id: i64, worker: &str, now_ms: i64) -> Result<bool> {
        let mut conn = self.write.acquire().await?;
        finish_task_in(&mut conn, id, worker, now_ms).await
    }

    /// Records a failed attempt of a task `worker` holds: back to queued at `retry_at_ms` when one
    /// is given and attempts remain, else dead. Returns the new state, `None` when `worker` does
    /// not hold the task. The delay is the caller's ([`backoff_ms`]).
    pub async fn fail_task(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        now_ms: i64,
        retry_at_ms: Option<i64>,
    ) -> Result<Option<TaskState>> {
        // SET expressions read the row as it was, so every CASE sees the same attempts.
        let state: Option<String> = sqlx::query_scalar(
            "UPDATE tasks SET \
               state = CASE WHEN $1 = 1 AND attempts < max_attempts THEN 'queued' ELSE 'dead' END, \
               run_at = CASE WHEN $1 = 1 AND attempts < max_attempts THEN $2 ELSE run_at END, \
               finished_at = CASE WHEN $1 = 1 AND attempts < max_attempts THEN NULL ELSE $3 END, \
               last_error = $4, locked_until = NULL \
             WHERE id = $5 AND state = 'running' AND locked_by = $6 \
             RETURNING state",
        )
        .bind(i64::from(retry_at_ms.is_some()))
        .bind(retry_at_ms.unwrap_or(0))
        .bind(now_ms)
        .bind(error)
        .bind(id)
        .bind(worker)
        .fetch_optional(&self.write)
        .await?;
        state.map(|s| TaskState::parse(&s).ok_or_else(|| Error::Corrupt(format!("task {id} state")))).transpose()
    }

    /// Admin action: a dead task is queued again, due at `now_ms`, with its attempts reset (its
    /// last error is kept until it runs). `false` when the task is not dead.
    pub async fn retry_dead_task(&self, id: i64, now_ms: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE tasks SET state = 'queued', attempts = 0, run_at = $1, finished_at = NULL, locked_until = NULL \
             WHERE id = $2 AND state = 'dead'",
        )
        .bind(now_ms)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn task(&self, id: i64) -> Result<Option<Task>> {
        let row: Option<TaskRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM tasks WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(Task::try_from).transpose()
    }

    /// Tasks matching `filter`, newest first.
    pub async fn list_tasks(&self, filter: &TaskFilter, limit: i64, offset: i64) -> Result<Vec<Task>> {
        let mut sql = filter.where_clause();
        sql.text = format!("SELECT {COLUMNS} FROM tasks{}", sql.text);
        sql.push(" ORDER BY id DESC LIMIT ").bind(limit).push(" OFFSET ").bind(offset);
        let rows: Vec<TaskRow> = sql.query_as().fetch_all(&self.read).await?;
        into_tasks(rows)
    }

    pub async fn count_tasks(&self, filter: &TaskFilter) -> Result<i64> {
        let mut sql = filter.where_clause();
        sql.text = format!("SELECT COUNT(*) FROM tasks{}", sql.text);
        Ok(sql.query_scalar().fetch_one(&self.read).await?)
    }

    /// The queue's figures at `now_ms`.
    pub async fn task_stats(&self, now_ms: i64) -> Result<TaskStats> {
        let rows: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT state, COUNT(*), \
               CAST(COALESCE(SUM(CASE WHEN last_error IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
               MIN(CASE WHEN state = 'queued' AND run_at <= $1 THEN run_at END) \
             FROM tasks GROUP BY state",
        )
        .bind(now_ms)
        .fetch_all(&self.read)
        .await?;
        let mut stats = TaskStats::default();
        for (state, count, with_error, oldest_due) in rows {
            let state = TaskState::parse(&state).ok_or_else(|| Error::Corrupt(format!("task state {state}")))?;
            match state {
                TaskState::Queued => {
                    stats.queued = count;
                    stats.oldest_queued_age_ms = oldest_due.map(|run_at| now_ms.saturating_sub(run_at));
                }
                TaskState::Running => stats.running = count,
                TaskState::Done => stats.done = count,
                TaskState::Dead => stats.dead = count,
            }
            if state != TaskState::Done {
                stats.failures += with_error;
            }
        }
        Ok(stats)
    }

    /// Deletes done tasks finished before `before_ms`; dead ones are kept. Returns how many.
    pub async fn purge_done_tasks(&self, before_ms: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM tasks WHERE state = 'done' AND finished_at < $1")
            .bind(before_ms)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_up_to_one_hour() {
        assert_eq!(backoff_ms(1), 1_000);
        assert_eq!(backoff_ms(2), 2_000);
        assert_eq!(backoff_ms(3), 4_000);
        assert_eq!(backoff_ms(10), 512_000);
        assert_eq!(backoff_ms(12), 2_048_000);
        assert_eq!(backoff_ms(13), 3_600_000);
        assert_eq!(backoff_ms(40), 3_600_000);
        assert_eq!(backoff_ms(i32::MAX), 3_600_000);
        // Before any attempt (or a nonsensical count) the first delay.
        assert_eq!(backoff_ms(0), 1_000);
        assert_eq!(backoff_ms(-5), 1_000);
        assert_eq!(backoff_ms(i32::MIN), 1_000);
        for a in 1..40 {
            assert!(backoff_ms(a + 1) >= backoff_ms(a));
        }
    }

    #[test]
    fn states_round_trip_codes_and_labels() {
        for &s in TaskState::ALL {
            assert_eq!(TaskState::parse(s.code()), Some(s));
            assert_eq!(TaskState::parse(s.label()), Some(s));
            assert_eq!(serde_json::to_value(s).ok(), Some(serde_json::Value::String(s.code().to_string())));
        }
        assert_eq!(TaskState::Queued.code(), "queued");
        assert_eq!(TaskState::Dead.label(), "已失败");
        assert_eq!(TaskState::parse("failed"), None);
        assert_eq!(TaskState::parse("Queued"), None);
    }

    #[test]
    fn new_task_defaults_and_builders() {
        let t = NewTask::new("notify", serde_json::json!({"user": 1}));
        assert_eq!((t.priority, t.max_attempts, t.unique_key.as_deref()), (0, DEFAULT_MAX_ATTEMPTS, None));
        assert!((to_millis(now()) - t.run_at).abs() < 60_000);
        let t = t.priority(-10).run_at(5).max_attempts(2).unique_key("k");
        assert_eq!((t.priority, t.run_at, t.max_attempts, t.unique_key.as_deref()), (-10, 5, 2, Some("k")));
    }
}
