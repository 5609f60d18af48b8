//! In-site notices (站内通知).

use kejiyun_domain::time::{Timestamp, from_millis, now, to_millis};
use serde::Serialize;
use sqlx::AnyConnection;

use kejiyun_domain::notice::{NOTIFY_TASK, Notice};

use crate::tasks::NewTask;
use crate::{Db, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub created_at: Timestamp,
    pub read: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    title: String,
    body: String,
    link: Option<String>,
    created_at: i64,
    read_at: Option<i64>,
}

/// Enqueues the delivery of `notice` on `conn`, in the transaction of the change that causes it.
pub(crate) async fn enqueue(conn: &mut AnyConnection, notice: &Notice) -> Result<()> {
    let payload = serde_json::to_value(notice).map_err(|e| crate::Error::Corrupt(format!("notice: {e}")))?;
    crate::tasks::enqueue_in(conn, &NewTask::new(NOTIFY_TASK, payload)).await?;
    Ok(())
}

/// Writes a notification at once, on `conn` (for work that already runs as a task).
pub(crate) async fn write(conn: &mut AnyConnection, notice: &Notice) -> Result<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, title, body, link, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(notice.user_id)
    .bind(&notice.kind)
    .bind(&notice.title)
    .bind(&notice.body)
    .bind(notice.link.as_deref())
    .bind(to_millis(now()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Enqueues every notice of a change.
pub(crate) async fn enqueue_all(conn: &mut AnyConnection, notices: &[Notice]) -> Result<()> {
    for notice in notices {
        enqueue(conn, notice).await?;
    }
    Ok(())
}

impl Db {
    pub async fn notifications(&self, user_id: i64, limit: i64) -> Result<Vec<Notification>> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, kind, title, body, link, created_at, read_at FROM notifications \
             WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Notification {
                id: r.id,
                kind: r.kind,
                title: r.title,
                body: r.body,
                link: r.link,
                created_at: from_millis(r.created_at),
                read: r.read_at.is_some(),
            })
            .collect())
    }

    pub async fn unread_notifications(&self, user_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
            .bind(user_id)
            .fetch_one(&self.read)
            .await?)
    }

    pub async fn mark_notifications_read(&self, user_id: i64) -> Result<()> {
        sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(to_millis(now()))
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Writes the notification of the `notify` task `task_id` and ends the task, in one
    /// transaction; a second run of the same task writes nothing. Returns whether it was written.
    pub async fn deliver_notice(&self, task_id: i64, worker: &str, notice: &Notice) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let written = sqlx::query(
            "INSERT INTO notifications (user_id, kind, title, body, link, created_at, task_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (task_id) DO NOTHING",
        )
        .bind(notice.user_id)
        .bind(&notice.kind)
        .bind(&notice.title)
        .bind(&notice.body)
        .bind(notice.link.as_deref())
        .bind(to_millis(now()))
        .bind(task_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        crate::tasks::finish_task_in(&mut tx, task_id, worker, to_millis(now())).await?;
        tx.commit().await?;
        Ok(written)
    }
}
