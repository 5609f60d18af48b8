//! Periodic work on items: needs past their deadline are closed, items untouched for 180 days are
//! queried and later closed (每半年确认). Each runs once per slot on one node (task queue).

use chrono::Duration as Days;
use kejiyun_domain::item::{CONFIRM_GRACE_DAYS, STALE_AFTER_DAYS};
use kejiyun_domain::notice::Notice;
use kejiyun_domain::time::{Timestamp, from_millis, now, to_millis, today_in_china};
use kejiyun_domain::{Error, Item};

use super::actions::item_notice;
use crate::platform::state::AppState;
use crate::platform::tasks::{Job, Outcome, TaskFuture};
use crate::platform::{from_db, from_search};

pub const HOUSEKEEPING: &str = "item_housekeeping";

fn expired(item: &Item) -> Notice {
    item_notice(item, "close", "需求已到期关闭", "您发布的需求已过截止日期，系统已自动关闭。如仍需要，请重新发布。")
}

fn ask_to_confirm(item: &Item) -> Notice {
    item_notice(
        item,
        "confirm_request",
        "请确认发布内容是否仍有效",
        format!("您发布的“{}”已超过180天未更新。如仍有效，请在30天内点击“确认有效”，否则将自动关闭。", item.title),
    )
}

fn closed_unconfirmed(item: &Item) -> Notice {
    item_notice(item, "close", "发布内容已自动关闭", "您的发布内容长期未更新且未确认有效，系统已自动关闭。")
}

/// One pass as of `at`. Returns the ids of items it closed.
pub async fn housekeeping(state: &AppState, at: Timestamp) -> Result<Vec<i64>, Error> {
    let mut closed = state.db.expire_needs(today_in_china(at), &expired).await.map_err(from_db)?;
    let stale_before = to_millis(at - Days::days(STALE_AFTER_DAYS));
    let close_before = to_millis(at - Days::days(CONFIRM_GRACE_DAYS));
    closed.extend(
        state
            .db
            .check_stale_items(to_millis(at), stale_before, close_before, &ask_to_confirm, &closed_unconfirmed)
            .await
            .map_err(from_db)?,
    );
    for id in &closed {
        state.search.delete(*id as u64).await.map_err(from_search)?;
    }
    Ok(closed)
}

/// The periodic task: housekeeping as of now (a late slot does today's work, not the slot's).
pub fn run(job: Job) -> TaskFuture {
    Box::pin(async move {
        let at = now().max(from_millis(job.task.run_at));
        housekeeping(&job.state, at).await?;
        Ok(Outcome::Done)
    })
}
