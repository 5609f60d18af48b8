//! The task queue's storage against a fresh SQLite file and, when `DATABASE_URL` is set, a fresh
//! PostgreSQL database per test (created through `DATABASE_URL`, dropped afterwards).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kejiyun_db::tasks::{self, NewTask, Task, TaskFilter, TaskState, TaskStats, backoff_ms};
use kejiyun_db::{Backend, Db};
use serde_json::json;
use sqlx::{AssertSqlSafe, Connection};

/// A fixed clock: every test passes its own times.
const T0: i64 = 1_800_000_000_000;
const LEASE: i64 = 60_000;

struct TestDb {
    db: Db,
    url: String,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

/// A PostgreSQL database of one test, dropped when the test ends (also when it fails).
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime; the drop statement gets a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(AssertSqlSafe(drop)).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}

fn unique_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!(
        "kejiyun_tasks_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestDb {
    async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = kejiyun_db::sqlite_url(&dir.path().join("kejiyun.db"));
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        TestDb { db, url, _dir: Some(dir), _pg: None }
    }

    /// `None` (skip) when `DATABASE_URL` is not set, except under CI.
    async fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var("DATABASE_URL") else {
            assert!(std::env::var("CI").is_err(), "CI must run the PostgreSQL tests: set DATABASE_URL");
            eprintln!("DATABASE_URL not set: PostgreSQL variant skipped");
            return None;
        };
        let name = unique_name();
        let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        let pg = PgDatabase { admin_url: admin_url.clone(), name: name.clone() };
        let (prefix, _) = admin_url.rsplit_once('/').unwrap();
        let url = format!("{prefix}/{name}");
        let db = Db::connect(&url).await.unwrap();
        assert_eq!(db.backend(), Backend::Postgres);
        db.migrate().await.unwrap();
        Some(TestDb { db, url, _dir: None, _pg: Some(pg) })
    }

    /// Another handle with its own pools on the same database, as another node would have.
    async fn other_node(&self) -> Db {
        Db::connect(&self.url).await.unwrap()
    }
}

/// Each test runs once per backend: `sqlite::name` and `postgres::name`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let t = super::TestDb::sqlite().await;
                    super::$name(&t).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    if let Some(t) = super::TestDb::postgres().await {
                        super::$name(&t).await;
                    }
                }
            )*
        }
    };
}

on_both_backends!(
    enqueue_commits_and_rolls_back_with_its_transaction,
    claims_by_priority_then_run_at_then_id,
    tasks_wait_for_their_run_at,
    concurrent_claimers_never_share_a_task,
    expired_lease_is_claimed_again,
    lease_expiring_on_the_last_attempt_makes_the_task_dead,
    failures_retry_with_backoff_until_dead,
    dead_task_is_queued_again_by_retry,
    periodic_job_is_scheduled_once_per_slot,
    only_the_holder_finishes,
    stats_agree_with_the_rows,
    lists_newest_first_with_filters,
    purge_deletes_old_done_tasks_only,
);

async fn enqueue(db: &Db, task: NewTask) -> i64 {
    db.enqueue(&task).await.unwrap().expect("inserted")
}

fn task(kind: &str, priority: i32, run_at: i64) -> NewTask {
    NewTask::new(kind, json!({})).priority(priority).run_at(run_at)
}

async fn get(db: &Db, id: i64) -> Task {
    db.task(id).await.unwrap().expect("task exists")
}

fn ids(tasks: &[Task]) -> Vec<i64> {
    tasks.iter().map(|t| t.id).collect()
}

async fn count_all(db: &Db) -> i64 {
    db.count_tasks(&TaskFilter::default()).await.unwrap()
}

async fn enqueue_commits_and_rolls_back_with_its_transaction(t: &TestDb) {
    let db = &t.db;
    let payload = json!({"user_id": 7, "title": "应急推送：暴雨预警", "to": [1, 2, 3], "nested": {"ok": true}});
    let new = NewTask::new("notify", payload.clone()).priority(-10).run_at(T0 - 1).max_attempts(4);

    // Rolled back: the task never existed, and its unique key is not taken.
    let mut tx = db.writer().begin().await.unwrap();
    let id = tasks::enqueue_in(&mut tx, &new).await.unwrap();
    assert!(id.is_some());
    let inside: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tasks").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(inside, 1, "visible inside its transaction");
    let keyed = new.clone().unique_key("notify:poll-3");
    assert!(tasks::enqueue_in(&mut tx, &keyed).await.unwrap().is_some());
    tx.rollback().await.unwrap();
    assert_eq!(count_all(db).await, 0);
    assert!(db.claim_tasks("w1", T0, LEASE, 10).await.unwrap().is_empty());

    // Committed: claimable, with everything as enqueued.
    let before = kejiyun_domain::time::to_millis(kejiyun_domain::time::now());
    let mut tx = db.writer().begin().await.unwrap();
    let id = tasks::enqueue_in(&mut tx, &new).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    let after = kejiyun_domain::time::to_millis(kejiyun_domain::time::now());
    let stored = get(db, id).await;
    assert_eq!(stored.state, TaskState::Queued);
    assert_eq!((stored.attempts, stored.locked_by.as_deref(), stored.locked_until), (0, None, None));
    assert!(stored.created_at >= before && stored.created_at <= after);

    let claimed = db.claim_tasks("w1", T0, LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let c = &claimed[0];
    assert_eq!(c.id, id);
    assert_eq!(c.kind, "notify");
    assert_eq!(c.payload, payload);
    assert_eq!(c.priority, -10);
    assert_eq!(c.state, TaskState::Running);
    assert_eq!((c.attempts, c.max_attempts), (1, 4));
    assert_eq!(c.run_at, T0 - 1);
    assert_eq!(c.locked_by.as_deref(), Some("w1"));
    assert_eq!(c.locked_until, Some(T0 + LEASE));
    assert_eq!((c.unique_key.as_deref(), c.last_error.as_deref(), c.finished_at), (None, None, None));
    assert_eq!(&get(db, id).await, c, "the returned task is the stored row");

    // The key left free by the rollback can be used; used again, it is refused.
    let mut tx = db.writer().begin().await.unwrap();
    let first = tasks::enqueue_in(&mut tx, &new.clone().unique_key("notify:poll-3")).await.unwrap();
    assert!(first.is_some());
    assert_eq!(tasks::enqueue_in(&mut tx, &new.clone().unique_key("notify:poll-3")).await.unwrap(), None);
    tx.commit().await.unwrap();
    assert_eq!(db.enqueue(&new.clone().unique_key("notify:poll-3")).await.unwrap(), None);
    assert_eq!(count_all(db).await, 2);
}

async fn claims_by_priority_then_run_at_then_id(t: &TestDb) {
    let db = &t.db;
    let a = enqueue(db, task("notify", 0, T0 - 1_000)).await;
    let b = enqueue(db, task("push", -5, T0 - 10)).await;
    let c = enqueue(db, task("notify", 0, T0 - 2_000)).await;
    let d = enqueue(db, task("notify", 0, T0 - 1_000)).await;
    let e = enqueue(db, task("housekeeping", 5, T0 - 5_000)).await;
    let future = enqueue(db, task("push", -100, T0 + 1)).await;

    // The limit shows the order is the statement's, not only the sort of what came back.
    let first = db.claim_tasks("w", T0, LEASE, 2).await.unwrap();
    assert_eq!(ids(&first), vec![b, c]);
    let rest = db.claim_tasks("w", T0, LEASE, 10).await.unwrap();
    assert_eq!(ids(&rest), vec![a, d, e]);
    assert!(db.claim_tasks("w", T0, LEASE, 10).await.unwrap().is_empty());
    assert_eq!(ids(&db.claim_tasks("w", T0 + 1, LEASE, 10).await.unwrap()), vec![future]);
    assert!(db.claim_tasks("w", T0 + 1, LEASE, 0).await.unwrap().is_empty());
}

async fn tasks_wait_for_their_run_at(t: &TestDb) {
    let db = &t.db;
    let id = enqueue(db, task("notify", -1, T0 + 60_000)).await;
    assert!(db.claim_tasks("w", T0, LEASE, 10).await.unwrap().is_empty());
    assert!(db.claim_tasks("w", T0 + 59_999, LEASE, 10).await.unwrap().is_empty());
    assert_eq!(get(db, id).await.state, TaskState::Queued);
    assert_eq!(ids(&db.claim_tasks("w", T0 + 60_000, LEASE, 10).await.unwrap()), vec![id]);
}

async fn concurrent_claimers_never_share_a_task(t: &TestDb) {
    const TASKS: i64 = 150;
    const WORKERS: usize = 4;
    let db = &t.db;
    for i in 0..TASKS {
        enqueue(db, task("notify", (i % 3) as i32, T0 - i)).await;
    }
    // On PostgreSQL half the workers use pools of their own, as workers on other nodes do.
    let mut handles = vec![db.clone(), db.clone()];
    for _ in 2..WORKERS {
        handles.push(if db.backend() == Backend::Postgres { t.other_node().await } else { db.clone() });
    }
    let start = Arc::new(tokio::sync::Barrier::new(WORKERS));
    let mut joins = Vec::new();
    for (n, handle) in handles.into_iter().enumerate() {
        let start = start.clone();
        joins.push(tokio::spawn(async move {
            let worker = format!("worker-{n}");
            let mut got = Vec::new();
            start.wait().await;
            loop {
                let claimed = handle.claim_tasks(&worker, T0, LEASE, 3).await.unwrap();
                if claimed.is_empty() {
                    break;
                }
                for c in claimed {
                    assert_eq!(c.locked_by.as_deref(), Some(worker.as_str()));
                    assert_eq!(c.attempts, 1, "task {} claimed twice", c.id);
                    got.push(c.id);
                }
                tokio::task::yield_now().await;
            }
            (worker, got)
        }));
    }
    let mut owner: HashMap<i64, String> = HashMap::new();
    let mut per_worker = Vec::new();
    for j in joins {
        let (worker, got) = j.await.unwrap();
        per_worker.push(got.len());
        for id in got {
            if let Some(previous) = owner.insert(id, worker.clone()) {
                panic!("task {id} claimed by {previous} and {worker}");
            }
        }
    }
    eprintln!("tasks per worker: {per_worker:?}");
    assert_eq!(owner.len() as i64, TASKS, "together the workers took every task");
    let running = db.list_tasks(&TaskFilter { state: Some(TaskState::Running), kind: None }, 1_000, 0).await.unwrap();
    assert_eq!(running.len() as i64, TASKS);
    for r in running {
        assert_eq!(r.attempts, 1);
        assert_eq!(r.locked_by.as_ref(), owner.get(&r.id), "the row names the worker that got task {}", r.id);
    }
}

async fn expired_lease_is_claimed_again(t: &TestDb) {
    let db = &t.db;
    let id = enqueue(db, task("notify", 0, T0).max_attempts(3)).await;
    assert_eq!(ids(&db.claim_tasks("w1", T0, 1_000, 10).await.unwrap()), vec![id]);
    assert!(db.claim_tasks("w2", T0 + 500, 1_000, 10).await.unwrap().is_empty());
    assert!(db.claim_tasks("w2", T0 + 1_000, 1_000, 10).await.unwrap().is_empty(), "expired only after locked_until");

    // w1 died: its lease runs out and w2 takes the task.
    let again = db.claim_tasks("w2", T0 + 1_001, 1_000, 10).await.unwrap();
    assert_eq!(ids(&again), vec![id]);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(again[0].locked_by.as_deref(), Some("w2"));
    assert_eq!(again[0].locked_until, Some(T0 + 2_001));

    // Should w1 come back, it can neither finish nor fail the task any more.
    assert!(!db.finish_task(id, "w1", T0 + 1_100).await.unwrap());
    assert_eq!(db.fail_task(id, "w1", "late", T0 + 1_100, Some(T0 + 5_000)).await.unwrap(), None);
    let row = get(db, id).await;
    assert_eq!((row.state, row.locked_by.as_deref(), row.last_error), (TaskState::Running, Some("w2"), None));
    assert!(db.finish_task(id, "w2", T0 + 1_200).await.unwrap());
    assert_eq!(get(db, id).await.state, TaskState::Done);
}

async fn lease_expiring_on_the_last_attempt_makes_the_task_dead(t: &TestDb) {
    let db = &t.db;
    let id = enqueue(db, task("import", 0, T0).max_attempts(2)).await;
    assert_eq!(db.claim_tasks("w1", T0, 1_000, 10).await.unwrap()[0].attempts, 1);
    assert_eq!(db.claim_tasks("w2", T0 + 2_000, 1_000, 10).await.unwrap()[0].attempts, 2);
    let other = enqueue(db, task("import", 0, T0 + 4_000)).await;

    // The second (last) attempt's worker died too: the task is dead, not run a third time, and the
    // same claim still takes the other due task.
    let claimed = db.claim_tasks("w3", T0 + 5_000, 1_000, 10).await.unwrap();
    assert_eq!(ids(&claimed), vec![other]);
    let dead = get(db, id).await;
    assert_eq!(dead.state, TaskState::Dead);
    assert_eq!(dead.attempts, 2);
    assert_eq!(dead.finished_at, Some(T0 + 5_000));
    assert_eq!(dead.locked_until, None);
    let error = dead.last_error.unwrap();
    assert!(error.contains("lease expired") && error.contains("w2") && error.contains('2'), "{error}");
    assert!(db.claim_tasks("w3", T0 + 100_000, 1_000, 10).await.unwrap().iter().all(|t| t.id != id));
    assert_eq!(get(db, id).await.state, TaskState::Dead);
}

async fn failures_retry_with_backoff_until_dead(t: &TestDb) {
    let db = &t.db;
    let id = enqueue(db, task("push", 0, T0).max_attempts(3)).await;
    let mut at = T0;
    for attempt in 1..=3 {
        let claimed = db.claim_tasks("w", at, LEASE, 10).await.unwrap();
        assert_eq!(ids(&claimed), vec![id], "attempt {attempt}");
        assert_eq!(claimed[0].attempts, attempt);
        let retry_at = at + 10 + backoff_ms(claimed[0].attempts);
        let error = format!("gateway timeout {attempt}");
        let state = db.fail_task(id, "w", &error, at + 10, Some(retry_at)).await.unwrap();
        let row = get(db, id).await;
        assert_eq!(row.last_error.as_deref(), Some(error.as_str()));
        assert_eq!(row.locked_until, None);
        if attempt < 3 {
            assert_eq!(state, Some(TaskState::Queued));
            assert_eq!((row.state, row.run_at, row.finished_at), (TaskState::Queued, retry_at, None));
            assert!(db.claim_tasks("w", retry_at - 1, LEASE, 10).await.unwrap().is_empty(), "waits its backoff");
            at = retry_at;
        } else {
            assert_eq!(state, Some(TaskState::Dead));
            assert_eq!((row.state, row.attempts, row.finished_at), (TaskState::Dead, 3, Some(at + 10)));
        }
    }
    assert_eq!(at, T0 + 10 + 1_000 + 10 + 2_000, "backoff 1 s then 2 s");
    assert!(db.claim_tasks("w", at + 86_400_000, LEASE, 10).await.unwrap().is_empty());

    // Without a retry time a failure is final, attempts left or not.
    let once = enqueue(db, task("push", 0, T0).max_attempts(5)).await;
    db.claim_tasks("w", T0, LEASE, 10).await.unwrap();
    assert_eq!(db.fail_task(once, "other", "x", T0, None).await.unwrap(), None, "not the holder");
    assert_eq!(get(db, once).await.state, TaskState::Running);
    assert_eq!(db.fail_task(once, "w", "bad payload", T0 + 1, None).await.unwrap(), Some(TaskState::Dead));
    let row = get(db, once).await;
    assert_eq!(
        (row.state, row.finished_at, row.last_error.as_deref()),
        (TaskState::Dead, Some(T0 + 1), Some("bad payload"))
    );
    assert_eq!(db.fail_task(once, "w", "again", T0 + 2, Some(T0 + 3)).await.unwrap(), None, "no longer running");
}

async fn dead_task_is_queued_again_by_retry(t: &TestDb) {
    let db = &t.db;
    let id = enqueue(db, task("export", 0, T0).max_attempts(1)).await;
    db.claim_tasks("w", T0, LEASE, 10).await.unwrap();
    assert!(!db.retry_dead_task(id, T0).await.unwrap(), "a running task is not retried");
    assert_eq!(db.fail_task(id, "w", "disk full", T0 + 1, Some(T0 + 2)).await.unwrap(), Some(TaskState::Dead));

    assert!(db.retry_dead_task(id, T0 + 100).await.unwrap());
    let row = get(db, id).await;
    assert_eq!((row.state, row.attempts, row.run_at, row.finished_at), (TaskState::Queued, 0, T0 + 100, None));
    assert_eq!(row.last_error.as_deref(), Some("disk full"), "kept until it runs");
    assert!(!db.retry_dead_task(id, T0 + 100).await.unwrap(), "only dead tasks");
    assert!(!db.retry_dead_task(id + 1_000, T0).await.unwrap());

    let claimed = db.claim_tasks("w", T0 + 100, LEASE, 10).await.unwrap();
    assert_eq!((ids(&claimed), claimed[0].attempts), (vec![id], 1));
    assert!(db.finish_task(id, "w", T0 + 101).await.unwrap());
}

async fn periodic_job_is_scheduled_once_per_slot(t: &TestDb) {
    let db = &t.db;
    let other = t.other_node().await;
    let payload = json!({"job": "close_expired"});
    assert!(db.schedule_periodic("housekeeping", "2026-12-01T14:00", payload.clone(), T0).await.unwrap());
    assert!(!db.schedule_periodic("housekeeping", "2026-12-01T14:00", payload.clone(), T0).await.unwrap());
    assert!(!other.schedule_periodic("housekeeping", "2026-12-01T14:00", payload.clone(), T0 + 5).await.unwrap());
    let only = db.list_tasks(&TaskFilter::default(), 10, 0).await.unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].unique_key.as_deref(), Some("housekeeping:2026-12-01T14:00"));
    assert_eq!((only[0].kind.as_str(), only[0].run_at, &only[0].payload), ("housekeeping", T0, &payload));

    // Another kind with the same slot, and the next slot, are separate tasks.
    assert!(db.schedule_periodic("digest", "2026-12-01T14:00", json!({}), T0).await.unwrap());
    assert!(other.schedule_periodic("housekeeping", "2026-12-01T15:00", payload.clone(), T0).await.unwrap());
    assert_eq!(count_all(db).await, 3);

    // Eight schedulers on two handles race for one slot: one wins.
    let mut joins = Vec::new();
    for n in 0..8 {
        let handle = if n % 2 == 0 { db.clone() } else { other.clone() };
        let payload = payload.clone();
        joins.push(tokio::spawn(async move {
            handle.schedule_periodic("housekeeping", "2026-12-01T16:00", payload, T0).await.unwrap()
        }));
    }
    let mut won = 0;
    for j in joins {
        won += usize::from(j.await.unwrap());
    }
    assert_eq!(won, 1);
    let slot: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tasks WHERE unique_key = $1")
        .bind("housekeeping:2026-12-01T16:00")
        .fetch_one(db.reader())
        .await
        .unwrap();
    assert_eq!(slot, 1);
    assert_eq!(count_all(db).await, 4);

    // Run once per slot: once claimed and done, the slot cannot be scheduled again.
    let claimed = db.claim_tasks("w", T0, LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 4);
    for c in &claimed {
        assert!(db.finish_task(c.id, "w", T0).await.unwrap());
    }
    assert!(!db.schedule_periodic("housekeeping", "2026-12-01T14:00", payload, T0).await.unwrap());
    assert!(db.claim_tasks("w", T0 + 1, LEASE, 10).await.unwrap().is_empty());
    other.close().await;
}

async fn only_the_holder_finishes(t: &TestDb) {
    let db = &t.db;
    let id = enqueue(db, task("notify", 0, T0)).await;
    assert!(!db.finish_task(id, "w1", T0).await.unwrap(), "a queued task is not finished");
    db.claim_tasks("w1", T0, LEASE, 10).await.unwrap();
    assert!(!db.finish_task(id, "w2", T0 + 1).await.unwrap());
    assert_eq!(get(db, id).await.state, TaskState::Running);

    // Finished in the handler's transaction: rolled back with it, committed with it.
    let mut tx = db.writer().begin().await.unwrap();
    assert!(tasks::finish_task_in(&mut tx, id, "w1", T0 + 2).await.unwrap());
    tx.rollback().await.unwrap();
    assert_eq!(get(db, id).await.state, TaskState::Running);
    let mut tx = db.writer().begin().await.unwrap();
    assert!(!tasks::finish_task_in(&mut tx, id, "w2", T0 + 3).await.unwrap());
    assert!(tasks::finish_task_in(&mut tx, id, "w1", T0 + 3).await.unwrap());
    tx.commit().await.unwrap();
    let row = get(db, id).await;
    assert_eq!((row.state, row.finished_at, row.locked_until), (TaskState::Done, Some(T0 + 3), None));
    assert_eq!(row.locked_by.as_deref(), Some("w1"), "the worker that ran it");
    assert!(!db.finish_task(id, "w1", T0 + 4).await.unwrap(), "finished once");
    assert_eq!(get(db, id).await.finished_at, Some(T0 + 3));
    assert!(db.claim_tasks("w2", T0 + 10 * LEASE, LEASE, 10).await.unwrap().is_empty(), "done is never claimed");
}

async fn stats_agree_with_the_rows(t: &TestDb) {
    let db = &t.db;
    assert_eq!(db.task_stats(T0).await.unwrap(), TaskStats::default());

    // Done after one failure: its error does not count as a failure any more.
    let recovered = enqueue(db, task("notify", 0, T0 - 200_000).max_attempts(3)).await;
    db.claim_tasks("w", T0 - 200_000, LEASE, 10).await.unwrap();
    db.fail_task(recovered, "w", "timeout", T0 - 200_000, Some(T0 - 199_000)).await.unwrap();
    db.claim_tasks("w", T0 - 199_000, LEASE, 10).await.unwrap();
    assert!(db.finish_task(recovered, "w", T0 - 199_000).await.unwrap());

    let done = enqueue(db, task("notify", -10, T0 - 100_000)).await;
    let dead = enqueue(db, task("notify", -10, T0 - 100_000)).await;
    let retrying = enqueue(db, task("notify", -10, T0 - 100_000)).await;
    let running = enqueue(db, task("notify", -10, T0 - 100_000)).await;
    assert_eq!(db.claim_tasks("w", T0, LEASE, 4).await.unwrap().len(), 4);
    assert!(db.finish_task(done, "w", T0).await.unwrap());
    db.fail_task(dead, "w", "bad", T0, None).await.unwrap();
    db.fail_task(retrying, "w", "busy", T0, Some(T0 + 1)).await.unwrap();
    let _ = running;
    enqueue(db, task("push", 0, T0 - 5_000)).await;
    enqueue(db, task("push", 0, T0 - 1_000)).await;
    enqueue(db, task("push", 0, T0 + 10_000)).await;

    let stats = db.task_stats(T0).await.unwrap();
    assert_eq!(
        stats,
        TaskStats { queued: 4, running: 1, done: 2, dead: 1, oldest_queued_age_ms: Some(5_000), failures: 2 }
    );
    // Every figure recounted from the rows.
    let all = db.list_tasks(&TaskFilter::default(), 1_000, 0).await.unwrap();
    let in_state = |s: TaskState| all.iter().filter(|t| t.state == s).count() as i64;
    assert_eq!(
        (stats.queued, stats.running, stats.done, stats.dead),
        (
            in_state(TaskState::Queued),
            in_state(TaskState::Running),
            in_state(TaskState::Done),
            in_state(TaskState::Dead)
        )
    );
    for &s in TaskState::ALL {
        assert_eq!(db.count_tasks(&TaskFilter { state: Some(s), kind: None }).await.unwrap(), in_state(s));
    }
    let failing = all.iter().filter(|t| t.state != TaskState::Done && t.last_error.is_some()).count() as i64;
    assert_eq!(stats.failures, failing);
    let oldest_due = all.iter().filter(|t| t.state == TaskState::Queued && t.run_at <= T0).map(|t| T0 - t.run_at).max();
    assert_eq!(stats.oldest_queued_age_ms, oldest_due);

    // Later every queued task is due, the retry included.
    assert_eq!(db.task_stats(T0 + 10_000).await.unwrap().oldest_queued_age_ms, Some(15_000));
    // Nothing due yet: no age.
    assert_eq!(db.task_stats(T0 - 10_000).await.unwrap().oldest_queued_age_ms, None);
}

async fn lists_newest_first_with_filters(t: &TestDb) {
    let db = &t.db;
    let mut notify = Vec::new();
    let mut all = Vec::new();
    for i in 0..5 {
        let kind = if i % 2 == 0 { "notify" } else { "housekeeping" };
        let id = enqueue(db, task(kind, 0, T0 + i)).await;
        if kind == "notify" {
            notify.push(id);
        }
        all.push(id);
    }
    all.reverse();
    notify.reverse();
    let everything = TaskFilter::default();
    assert_eq!(ids(&db.list_tasks(&everything, 100, 0).await.unwrap()), all);
    assert_eq!(ids(&db.list_tasks(&everything, 2, 1).await.unwrap()), all[1..3].to_vec());
    let by_kind = TaskFilter { state: None, kind: Some("notify".into()) };
    assert_eq!(ids(&db.list_tasks(&by_kind, 100, 0).await.unwrap()), notify);
    assert_eq!(db.count_tasks(&by_kind).await.unwrap(), 3);
    assert_eq!(db.count_tasks(&everything).await.unwrap(), 5);

    // The first-claimed (oldest run_at, a notify) is the only running one.
    db.claim_tasks("w", T0, LEASE, 1).await.unwrap();
    let running_notify = TaskFilter { state: Some(TaskState::Running), kind: Some("notify".into()) };
    assert_eq!(ids(&db.list_tasks(&running_notify, 100, 0).await.unwrap()), vec![*notify.last().unwrap()]);
    let running_other = TaskFilter { state: Some(TaskState::Running), kind: Some("housekeeping".into()) };
    assert_eq!(db.count_tasks(&running_other).await.unwrap(), 0);
    assert!(db.list_tasks(&TaskFilter { state: None, kind: Some("nothing".into()) }, 10, 0).await.unwrap().is_empty());
}

async fn purge_deletes_old_done_tasks_only(t: &TestDb) {
    let db = &t.db;
    let old_done = enqueue(db, task("notify", 0, T0)).await;
    let old_dead = enqueue(db, task("notify", 0, T0)).await;
    let new_done = enqueue(db, task("notify", 0, T0 + 1)).await;
    let queued = enqueue(db, task("notify", 0, T0 + 50_000)).await;
    assert!(db.schedule_periodic("housekeeping", "slot-1", json!({}), T0 + 2).await.unwrap());
    db.claim_tasks("w", T0, LEASE, 10).await.unwrap();
    assert!(db.finish_task(old_done, "w", T0).await.unwrap());
    db.fail_task(old_dead, "w", "gone", T0, None).await.unwrap();
    db.claim_tasks("w", T0 + 2, LEASE, 10).await.unwrap();
    assert!(db.finish_task(new_done, "w", T0 + 10_000).await.unwrap());
    let periodic = db.list_tasks(&TaskFilter { state: None, kind: Some("housekeeping".into()) }, 1, 0).await.unwrap();
    assert!(db.finish_task(periodic[0].id, "w", T0 + 1_000).await.unwrap());

    assert_eq!(db.purge_done_tasks(T0 + 5_000).await.unwrap(), 2);
    let left: HashSet<i64> =
        db.list_tasks(&TaskFilter::default(), 100, 0).await.unwrap().iter().map(|t| t.id).collect();
    assert_eq!(left, HashSet::from([old_dead, new_done, queued]));
    assert_eq!(db.purge_done_tasks(T0 + 5_000).await.unwrap(), 0);
    // A purged periodic task frees its slot's key (hence purge only slots that will not come again).
    assert!(db.schedule_periodic("housekeeping", "slot-1", json!({}), T0 + 2).await.unwrap());
}

/// PostgreSQL only: a claim passes over rows another transaction holds locked, without waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_claim_skips_locked_rows() {
    let Some(t) = TestDb::postgres().await else { return };
    let db = &t.db;
    let held = enqueue(db, task("notify", -1, T0)).await;
    let free = enqueue(db, task("notify", 0, T0)).await;
    let other = t.other_node().await;
    let mut tx = other.writer().begin().await.unwrap();
    let locked: i64 = sqlx::query_scalar("SELECT id FROM tasks WHERE id = $1 FOR UPDATE")
        .bind(held)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(locked, held);
    let claimed = tokio::time::timeout(Duration::from_secs(5), db.claim_tasks("w", T0, LEASE, 10))
        .await
        .expect("the claim does not wait for the lock")
        .unwrap();
    assert_eq!(ids(&claimed), vec![free]);
    tx.rollback().await.unwrap();
    assert_eq!(ids(&db.claim_tasks("w", T0, LEASE, 10).await.unwrap()), vec![held]);
    other.close().await;
}
