//! Tasks of matching: telling owners that a newly published item matches theirs.

use kejiyun_db::tasks::NewTask;
use kejiyun_domain::notice::Notice;
use kejiyun_domain::{Item, ItemStatus};

use crate::platform::tasks::{Job, Outcome, TaskError, TaskFuture};

pub const MATCH_NOTICES: &str = "match_notices";

/// The task, enqueued with the approval that publishes item `item_id`.
pub fn match_notices_task(item_id: i64) -> NewTask {
    NewTask::new(MATCH_NOTICES, serde_json::json!({ "item_id": item_id }))
}

/// Tells the owners of items that the newly published item matches theirs well (same industry and
/// a shared keyword), once per pair (storage keeps the pairs, so a second run sends nothing new).
pub fn match_notices(job: Job) -> TaskFuture {
    Box::pin(async move {
        let Some(item_id) = job.task.payload.get("item_id").and_then(|v| v.as_i64()) else {
            return Err(TaskError::permanent("payload without item_id"));
        };
        let state = &job.state;
        let Some(item) = state.db.item(item_id).await?.map(|v| v.item) else { return Ok(Outcome::Done) };
        if item.status != ItemStatus::Published {
            return Ok(Outcome::Done);
        }
        let found = super::actions::matches(state, None, item.kind, item.id, None, 5).await?;
        for m in found
            .iter()
            .filter(|m| m.owner_id != item.owner_id && kejiyun_domain::matching::worth_notifying(&m.reasons))
        {
            state.db.notify_match_once(item.id, m.id, &notice(&item, m)).await?;
        }
        Ok(Outcome::Done)
    })
}

fn notice(item: &Item, m: &kejiyun_domain::matching::Suggestion) -> Notice {
    Notice::new(
        m.owner_id,
        "match",
        format!("您的{}有新的匹配", m.kind.label()),
        format!("新发布的{}“{}”与您的“{}”相关（{}）。", item.kind.label(), item.title, m.title, m.reasons.join("；")),
        format!("/{}/{}", item.kind.slug(), item.id),
    )
}
