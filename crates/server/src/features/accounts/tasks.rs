//! Tasks of accounts: delivering notices (站内通知) and deleting expired sessions.

use kejiyun_domain::notice::Notice;

use crate::platform::tasks::{Job, Outcome, TaskError, TaskFuture};

pub const PURGE_SESSIONS: &str = "purge_sessions";

/// Writes the notice carried by a `notify` task; the notification and the end of the task commit
/// together, and a second run of the same task writes nothing.
pub fn notify(job: Job) -> TaskFuture {
    Box::pin(async move {
        let notice: Notice = serde_json::from_value(job.task.payload.clone())
            .map_err(|e| TaskError::permanent(format!("bad notice payload: {e}")))?;
        job.state.db.deliver_notice(job.task.id, &job.worker, &notice).await?;
        Ok(Outcome::Finished)
    })
}

/// Deletes sessions past their expiry.
pub fn purge_sessions(job: Job) -> TaskFuture {
    Box::pin(async move {
        job.state.db.delete_expired_sessions().await?;
        Ok(Outcome::Done)
    })
}
