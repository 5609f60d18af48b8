//! Throttle state shared by every node on one database: login failure counts and lockouts
//! (`kejiyun_domain::throttle::Rule`) and abuse quotas (`kejiyun_domain::throttle::Gcra`), one row
//! per key in `throttle`. Each change is one atomic upsert that computes the domain's transition in
//! SQL, so concurrent requests on any number of nodes never lose a count (the row lock serialises
//! them). A missing row is a fresh key; rows past `expires_at` carry no state and are deleted by
//! [`Db::purge_throttle`].

use std::sync::LazyLock;

use kejiyun_domain::throttle::{Failures, Gcra, Rule};
use sqlx::AssertSqlSafe;

use crate::sql::Sql;
use crate::{Db, Result};

/// The answer of [`Db::take_quota`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    /// The request counted against the quota and may go ahead.
    Taken,
    /// The quota is used up; nothing was counted.
    Exhausted { retry_after_ms: u64 },
}

/// Whether the stored window is over or its lock has ended (`Rule::fail` starts afresh).
/// `$2` is now, `$3` now minus the rule's window.
const RESTART: &str = "(throttle.window_start < $3 OR (throttle.locked_until <> 0 AND throttle.locked_until <= $2))";

/// One more failure of `$1` at `$2`, as `Rule::fail` computes it. `$4` is the rule's limit, `$5` the
/// end of a lock starting now, `$6` the lock of a first failure (`$5` when one failure locks, else
/// 0) and `$7` when the row stops mattering. `SET` expressions all read the row as it was.
static RECORD_FAILURE: LazyLock<String> = LazyLock::new(|| {
    let count = format!("CASE WHEN {RESTART} THEN 1 ELSE throttle.count + 1 END");
    format!(
        "INSERT INTO throttle (key, count, window_start, locked_until, tat, expires_at) \
         VALUES ($1, 1, $2, $6, 0, $7) \
         ON CONFLICT (key) DO UPDATE SET \
           count = {count}, \
           window_start = CASE WHEN {RESTART} THEN $2 ELSE throttle.window_start END, \
           locked_until = CASE WHEN {count} >= $4 THEN $5 WHEN {RESTART} THEN 0 ELSE throttle.locked_until END, \
           expires_at = $7 \
         RETURNING count, window_start, locked_until"
    )
});

/// One request of `$1` at `$2` against a GCRA quota (`$3` emission interval, `$4` tolerance), as
/// `Gcra::take` computes it: no row comes back when the quota is used up. The row is empty again
/// once its `tat` has passed.
const TAKE_QUOTA: &str = "INSERT INTO throttle (key, count, window_start, locked_until, tat, expires_at) \
     VALUES ($1, 0, 0, 0, $2 + $3, $2 + $3) \
     ON CONFLICT (key) DO UPDATE SET \
       tat = CASE WHEN throttle.tat > $2 THEN throttle.tat ELSE $2 END + $3, \
       expires_at = CASE WHEN throttle.tat > $2 THEN throttle.tat ELSE $2 END + $3 \
     WHERE throttle.tat - $4 <= $2 \
     RETURNING tat";

#[derive(sqlx::FromRow)]
struct FailureRow {
    key: String,
    count: i64,
    window_start: i64,
    locked_until: i64,
}

fn state(count: i64, window_start: i64, locked_until: i64) -> Failures {
    Failures { count: u32::try_from(count).unwrap_or(u32::MAX), first_at: window_start, locked_until }
}

impl Db {
    /// The failure states of `keys`, in their order (`Failures::default()` for a fresh key).
    pub async fn failures(&self, keys: &[&str]) -> Result<Vec<Failures>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT key, count, window_start, locked_until FROM throttle WHERE key IN (");
        sql.bind_list(keys.iter().copied()).push(")");
        let rows: Vec<FailureRow> = sql.query_as().fetch_all(&self.read).await?;
        Ok(keys
            .iter()
            .map(|k| {
                rows.iter()
                    .find(|r| r.key == *k)
                    .map(|r| state(r.count, r.window_start, r.locked_until))
                    .unwrap_or_default()
            })
            .collect())
    }

    /// Counts one failure of `key` at `now_ms` under `rule` (a lock once the limit is reached);
    /// returns the new state.
    pub async fn record_failure(&self, key: &str, rule: &Rule, now_ms: i64) -> Result<Failures> {
        let window_ms = i64::try_from(rule.window.as_millis()).unwrap_or(i64::MAX);
        let lock_ms = i64::try_from(rule.lock_for.as_millis()).unwrap_or(i64::MAX);
        let lock_end = now_ms.saturating_add(lock_ms);
        let (count, window_start, locked_until): (i64, i64, i64) =
            sqlx::query_as(AssertSqlSafe(RECORD_FAILURE.as_str()))
                .bind(key)
                .bind(now_ms)
                .bind(now_ms.saturating_sub(window_ms))
                .bind(i64::from(rule.max_failures))
                .bind(lock_end)
                .bind(if rule.max_failures <= 1 { lock_end } else { 0 })
                .bind(now_ms.saturating_add(rule.forget_after_ms()))
                .fetch_one(&self.write)
                .await?;
        Ok(state(count, window_start, locked_until))
    }

    /// Forgets `key` (a successful login clears its account's count).
    pub async fn clear_throttle(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM throttle WHERE key = $1").bind(key).execute(&self.write).await?;
        Ok(())
    }

    /// Takes one request from `key`'s quota at `now_ms`, or says how long to wait.
    pub async fn take_quota(&self, key: &str, quota: &Gcra, now_ms: i64) -> Result<Quota> {
        let taken: Option<i64> = sqlx::query_scalar(TAKE_QUOTA)
            .bind(key)
            .bind(now_ms)
            .bind(quota.emission_ms)
            .bind(quota.tolerance_ms)
            .fetch_optional(&self.write)
            .await?;
        if taken.is_some() {
            return Ok(Quota::Taken);
        }
        // Refused: read the state for the wait (only ever later than the refusal saw; a hint).
        let tat: Option<i64> =
            sqlx::query_scalar("SELECT tat FROM throttle WHERE key = $1").bind(key).fetch_optional(&self.write).await?;
        let wait = quota.take(tat, now_ms).err().unwrap_or(1);
        Ok(Quota::Exhausted { retry_after_ms: wait.max(1) })
    }

    /// Deletes throttle rows that carry no state since before `before_ms` (their window, lock or
    /// quota refill is over). Returns how many.
    pub async fn purge_throttle(&self, before_ms: i64) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM throttle WHERE expires_at < $1").bind(before_ms).execute(&self.write).await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    //! The statements against the domain's transitions, on SQLite and, with `DATABASE_URL`, on a
    //! fresh PostgreSQL database; and concurrent upserts losing no count.

    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::time::Duration;

    use sqlx::Connection;

    use super::*;

    const T0: i64 = 1_800_000_000_000;

    /// A migrated database: a SQLite file, or a fresh PostgreSQL database when `pg`.
    async fn open(pg: bool) -> Option<(Db, tempfile::TempDir, Option<(String, String)>)> {
        let dir = tempfile::tempdir().unwrap();
        if !pg {
            let db = Db::connect(&crate::sqlite_url(&dir.path().join("t.db"))).await.unwrap();
            db.migrate().await.unwrap();
            return Some((db, dir, None));
        }
        let url = std::env::var("DATABASE_URL").ok()?;
        let name = format!("kejiyun_throttle_{:016x}", rand_u64());
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        let (prefix, _) = url.rsplit_once('/').unwrap();
        let db = Db::connect(&format!("{prefix}/{name}")).await.unwrap();
        db.migrate().await.unwrap();
        Some((db, dir, Some((url, name))))
    }

    fn rand_u64() -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
        h.finish()
    }

    async fn close(db: Db, pg: Option<(String, String)>) {
        db.close().await;
        if let Some((url, name)) = pg {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            sqlx::query(AssertSqlSafe(drop)).execute(&mut conn).await.unwrap();
        }
    }

    async fn statements_compute_the_domain_transitions(pg: bool) {
        let Some((db, _dir, pgdb)) = open(pg).await else {
            eprintln!("DATABASE_URL not set: PostgreSQL variant skipped");
            return;
        };
        // Lockouts: the same states as `Rule::fail` through windows, a lock, its end and a new window.
        let rule = Rule { max_failures: 3, window: Duration::from_secs(60), lock_for: Duration::from_secs(300) };
        let mut model = Failures::default();
        for t in [0, 1_000, 2_000, 3_000, 301_999, 302_000, 303_000, 370_000, 371_000, 440_000] {
            let now = T0 + t;
            let checked = db.failures(&["login:account:a", "login:account:none"]).await.unwrap();
            assert_eq!(checked, vec![model, Failures::default()], "at {t}");
            assert_eq!(rule.check(&checked[0], now), rule.check(&model, now), "at {t}");
            if rule.check(&model, now).is_ok() {
                model = rule.fail(model, now);
                assert_eq!(db.record_failure("login:account:a", &rule, now).await.unwrap(), model, "at {t}");
            }
        }
        let one = Rule { max_failures: 1, ..rule };
        let locked = db.record_failure("login:address:x", &one, T0).await.unwrap();
        assert_eq!(locked, one.fail(Failures::default(), T0));
        db.clear_throttle("login:account:a").await.unwrap();
        assert_eq!(db.failures(&["login:account:a"]).await.unwrap(), vec![Failures::default()]);

        // Quotas: the same answers as `Gcra::take`, waits included.
        let quota = Gcra::new(3, Duration::from_secs(60)).unwrap();
        let mut tat = None;
        for t in [0, 0, 0, 0, 19_999, 20_000, 20_000, 45_000, 200_000, 200_000] {
            let now = T0 + t;
            let want = match quota.take(tat, now) {
                Ok(next) => {
                    tat = Some(next);
                    Quota::Taken
                }
                Err(wait) => Quota::Exhausted { retry_after_ms: wait },
            };
            assert_eq!(db.take_quota("quota:registration:x", &quota, now).await.unwrap(), want, "at {t}");
        }

        // Purge: rows whose state is over go, live ones stay.
        let purged = db.purge_throttle(T0 + 250_000).await.unwrap();
        assert_eq!(purged, 1, "the quota was full again at T0 + 240 s; the address lock lasts to T0 + 300 s");
        let purged = db.purge_throttle(T0 + 10_000_000).await.unwrap();
        assert_eq!(purged, 1);
        close(db, pgdb).await;
    }

    async fn concurrent_upserts_lose_no_count(pg: bool) {
        let Some((db, _dir, pgdb)) = open(pg).await else {
            eprintln!("DATABASE_URL not set: PostgreSQL variant skipped");
            return;
        };
        let quota = Gcra::new(20, Duration::from_secs(3600)).unwrap();
        let rule = Rule { max_failures: 1000, window: Duration::from_secs(60), lock_for: Duration::from_secs(60) };
        let tasks: Vec<_> = (0..60)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.record_failure("login:account:busy", &rule, T0).await.unwrap();
                    db.take_quota("quota:voting:busy", &quota, T0).await.unwrap()
                })
            })
            .collect();
        let mut taken = 0;
        for t in tasks {
            if t.await.unwrap() == Quota::Taken {
                taken += 1;
            }
        }
        assert_eq!(taken, 20, "exactly the burst passes");
        assert_eq!(db.failures(&["login:account:busy"]).await.unwrap()[0].count, 60);
        close(db, pgdb).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_statements_compute_the_domain_transitions() {
        statements_compute_the_domain_transitions(false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_statements_compute_the_domain_transitions() {
        statements_compute_the_domain_transitions(true).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_concurrent_upserts_lose_no_count() {
        concurrent_upserts_lose_no_count(false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_concurrent_upserts_lose_no_count() {
        concurrent_upserts_lose_no_count(true).await;
    }
}
