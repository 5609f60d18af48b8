//! The task runner: every `serve` process runs one worker over the durable task queue
//! (`kejiyun_db::tasks`) and one scheduler of periodic jobs.
//!
//! - Work that must happen after a change (notices, match notices, soon push, imports, exports) is
//!   enqueued by storage in the transaction of that change (outbox), so it is never lost and never
//!   done for a change that rolled back.
//! - The worker claims due tasks (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on
//!   SQLite) under a lease, runs the handler of their kind, and ends them: done, or queued again
//!   with exponential back-off, or dead after their last attempt, with the last error kept. A
//!   process that dies mid-task leaves a lease that expires; the task is then claimed again, so
//!   handlers are idempotent per task id.
//! - Periodic jobs are task rows with a unique `(job, time slot)` key: every node schedules every
//!   slot, one row exists, so each job runs once per slot whatever the number of nodes.
//!
//! The handlers belong to the features; `crate::router::tasks` is their table.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use kejiyun_db::tasks::{Task, TaskState, backoff_ms};
use kejiyun_domain::time::{now, to_millis};
use tokio::sync::watch;

use crate::platform::state::AppState;

/// How often an idle worker looks for due tasks (a request that enqueues work wakes it sooner).
pub const POLL: Duration = Duration::from_secs(1);
/// Tasks claimed at once.
const BATCH: i64 = 16;
/// Done tasks are kept this long for the record, then purged.
pub const KEEP_DONE: Duration = Duration::from_secs(7 * 24 * 3600);

/// How a handler ended.
pub enum Outcome {
    /// The runner marks the task done.
    Done,
    /// The handler ended the task itself, in the transaction of its own effect.
    Finished,
}

/// Why a task failed; `permanent` failures are not retried.
#[derive(Debug)]
pub struct TaskError {
    pub message: String,
    pub permanent: bool,
}

impl TaskError {
    pub fn retry(message: impl std::fmt::Display) -> TaskError {
        TaskError { message: message.to_string(), permanent: false }
    }

    pub fn permanent(message: impl std::fmt::Display) -> TaskError {
        TaskError { message: message.to_string(), permanent: true }
    }
}

impl From<kejiyun_domain::Error> for TaskError {
    fn from(e: kejiyun_domain::Error) -> Self {
        TaskError::retry(format!("{}: {}", e.code.as_str(), e.message))
    }
}

impl From<kejiyun_db::Error> for TaskError {
    fn from(e: kejiyun_db::Error) -> Self {
        TaskError::retry(e)
    }
}

pub type TaskFuture = Pin<Box<dyn Future<Output = Result<Outcome, TaskError>> + Send>>;

/// What a handler gets: the state, the claimed task, and the worker that holds it.
pub struct Job {
    pub state: AppState,
    pub task: Task,
    pub worker: Arc<str>,
}

pub type Handler = fn(Job) -> TaskFuture;

/// A periodic job: its kind and how often it runs.
#[derive(Clone, Copy)]
pub struct Periodic {
    pub kind: &'static str,
    pub every: Duration,
}

/// The table of task kinds and periodic jobs.
#[derive(Default, Clone)]
pub struct Tasks {
    handlers: HashMap<&'static str, Handler>,
    periodic: Vec<Periodic>,
}

impl Tasks {
    /// Handles tasks of `kind`.
    pub fn on(mut self, kind: &'static str, handler: Handler) -> Tasks {
        self.handlers.insert(kind, handler);
        self
    }

    /// Runs `kind` once per `every` slot (on one node), with `{"at": slot start ms}` as payload.
    pub fn every(mut self, kind: &'static str, every: Duration, handler: Handler) -> Tasks {
        self.periodic.push(Periodic { kind, every });
        self.on(kind, handler)
    }

    pub fn periodic(&self) -> &[Periodic] {
        &self.periodic
    }
}

/// A worker id unique to this process run: `host:pid:random`.
pub fn worker_id() -> Arc<str> {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
    let random = hex::encode(rand::random::<[u8; 4]>());
    Arc::from(format!("{host}:{}:{random}", std::process::id()))
}

/// The slot of a periodic job at `at_ms`: its start in ms and its key.
pub fn slot(every: Duration, at_ms: i64) -> (i64, String) {
    let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX).max(1);
    let start = at_ms - at_ms.rem_euclid(every_ms);
    let key = kejiyun_domain::time::from_millis(start).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    (start, key)
}

/// Schedules the current slot of every periodic job (a no-op where another node did).
pub async fn schedule(state: &AppState, tasks: &Tasks, at_ms: i64) -> Result<(), kejiyun_db::Error> {
    for p in &tasks.periodic {
        let (start, key) = slot(p.every, at_ms);
        state.db.schedule_periodic(p.kind, &key, serde_json::json!({ "at": start }), start).await?;
    }
    Ok(())
}

/// Claims and runs the tasks due now; returns how many ran.
pub async fn run_due(state: &AppState, tasks: &Tasks, worker: &Arc<str>) -> Result<usize, kejiyun_db::Error> {
    let at = to_millis(now());
    let lease = i64::try_from(state.settings.tasks.lease.as_millis()).unwrap_or(i64::MAX);
    let claimed = state.db.claim_tasks(worker, at, lease, BATCH).await?;
    let n = claimed.len();
    for task in claimed {
        run_one(state, tasks, worker, task).await?;
    }
    Ok(n)
}

async fn run_one(state: &AppState, tasks: &Tasks, worker: &Arc<str>, task: Task) -> Result<(), kejiyun_db::Error> {
    let (id, kind, attempts) = (task.id, task.kind.clone(), task.attempts);
    let result = match tasks.handlers.get(kind.as_str()) {
        Some(handler) => {
            let job = Job { state: state.clone(), task, worker: worker.clone() };
            // A panicking handler fails its task instead of the worker.
            match tokio::spawn(handler(job)).await {
                Ok(r) => r,
                Err(e) => Err(TaskError::retry(format!("handler panicked: {e}"))),
            }
        }
        None => Err(TaskError::permanent(format!("no handler for task kind {kind}"))),
    };
    let at = to_millis(now());
    match result {
        Ok(Outcome::Done) => {
            state.db.finish_task(id, worker, at).await?;
        }
        Ok(Outcome::Finished) => {}
        Err(e) => {
            let retry_at = (!e.permanent).then(|| at + backoff_ms(attempts));
            let ended = state.db.fail_task(id, worker, &e.message, at, retry_at).await?;
            if ended == Some(TaskState::Dead) {
                tracing::error!(task = id, kind = %kind, error = %e.message, "task failed for good");
            } else {
                tracing::warn!(task = id, kind = %kind, error = %e.message, "task failed; will retry");
            }
        }
    }
    Ok(())
}

/// Runs until every task due now is done (or failed for now); for tests and `kejiyun tasks run`.
pub async fn drain(state: &AppState, tasks: &Tasks) -> Result<usize, kejiyun_db::Error> {
    let worker = worker_id();
    let mut total = 0;
    loop {
        let n = run_due(state, tasks, &worker).await?;
        if n == 0 {
            return Ok(total);
        }
        total += n;
    }
}

/// The worker and the scheduler of this process, until `stop`.
pub async fn run(state: AppState, tasks: Arc<Tasks>, mut stop: watch::Receiver<bool>) {
    let worker = worker_id();
    let mut last_schedule: Option<i64> = None;
    loop {
        let at = to_millis(now());
        if last_schedule.is_none_or(|last| at.saturating_sub(last) >= 1000) {
            match schedule(&state, &tasks, at).await {
                Ok(()) => last_schedule = Some(at),
                Err(e) => tracing::warn!(error = %e, "scheduling periodic jobs failed; will retry"),
            }
        }
        let ran = match run_due(&state, &tasks, &worker).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "task queue unavailable; will retry");
                0
            }
        };
        if ran > 0 {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = state.task_wake.notified() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// The periodic job that purges done tasks older than [`KEEP_DONE`].
pub fn purge_done(job: Job) -> TaskFuture {
    Box::pin(async move {
        let keep = i64::try_from(KEEP_DONE.as_millis()).unwrap_or(i64::MAX);
        job.state.db.purge_done_tasks(to_millis(now()) - keep).await?;
        Ok(Outcome::Done)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_start_on_their_period() {
        let ten = Duration::from_secs(600);
        let (start, key) = slot(ten, 1_764_597_000_123);
        assert_eq!(start % 600_000, 0);
        assert!(start <= 1_764_597_000_123 && 1_764_597_000_123 - start < 600_000);
        assert_eq!(slot(ten, start), (start, key.clone()));
        assert_eq!(slot(ten, start + 599_999).1, key);
        assert_ne!(slot(ten, start + 600_000).1, key);
    }
}
