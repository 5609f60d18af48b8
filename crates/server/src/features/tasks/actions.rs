//! Reading the task queue and retrying dead tasks (province admins).

use kejiyun_db::tasks::{Task, TaskFilter, TaskState};
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::time::{now, to_millis};
use kejiyun_domain::{Error, User, policy};
use serde::Deserialize;

use crate::features::Result;
use crate::platform::from_db;
use crate::platform::state::AppState;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskListQuery {
    /// `queued`, `running`, `done` or `dead`.
    #[serde(default)]
    pub state: Option<String>,
    /// A task kind, e.g. `notify`, `match_notices`, `item_housekeeping`.
    #[serde(default)]
    pub kind: Option<String>,
    /// 1-based page.
    #[serde(default)]
    pub page: Option<u32>,
    /// 1–100, default 20.
    #[serde(default)]
    pub per_page: Option<u32>,
}

pub async fn list(state: &AppState, user: &User, q: &TaskListQuery) -> Result<Page<Task>> {
    policy::check_task_admin(user)?;
    let page = PageRequest::new(q.page, q.per_page)?;
    let task_state = match q.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(
            TaskState::parse(s).ok_or_else(|| Error::field("state", "任务状态应为 queued、running、done 或 dead"))?,
        ),
        None => None,
    };
    let kind = q.kind.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if kind.is_some_and(|k| k.chars().count() > 64) {
        return Err(Error::field("kind", "任务类型不能超过64个字符"));
    }
    let filter = TaskFilter { state: task_state, kind: kind.map(str::to_string) };
    let total = state.db.count_tasks(&filter).await.map_err(from_db)?;
    let items = state.db.list_tasks(&filter, page.limit(), page.offset()).await.map_err(from_db)?;
    Ok(Page::new(items, total, page))
}

/// Tasks by state, the oldest waiting one and failures, for the queue page.
pub async fn stats(state: &AppState, user: &User) -> Result<kejiyun_db::tasks::TaskStats> {
    policy::check_task_admin(user)?;
    state.db.task_stats(to_millis(now())).await.map_err(from_db)
}

/// Queues a dead task again with fresh attempts.
pub async fn retry(state: &AppState, user: &User, id: i64) -> Result<Task> {
    policy::check_task_admin(user)?;
    let task = state.db.task(id).await.map_err(from_db)?.ok_or_else(Error::not_found)?;
    if task.state != TaskState::Dead || !state.db.retry_dead_task(id, to_millis(now())).await.map_err(from_db)? {
        return Err(Error::illegal_transition("只有已失败的任务可以重试"));
    }
    state.task_wake.notify_one();
    state.db.task(id).await.map_err(from_db)?.ok_or_else(Error::not_found)
}
