//! 任务队列 page for province admins: counts by state, tasks filtered by state, dead tasks with
//! their last error and a 重试 button.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use kejiyun_db::tasks::TaskState;
use kejiyun_domain::time::{display, from_millis};
use serde::Deserialize;

use super::actions::TaskListQuery;
use crate::http::auth::WebUser;
use crate::http::page::{Csrf, CsrfForm, Layout, PageQuery, PageResult, not_found, redirect, render, signed_in};
use crate::http::views::Pager;
use crate::platform::state::AppState;

pub struct TaskLine {
    pub id: i64,
    pub kind: String,
    pub state_code: &'static str,
    pub state_label: &'static str,
    pub attempts: String,
    pub run_at: String,
    pub last_error: String,
    pub dead: bool,
}

#[derive(Template)]
#[template(path = "tasks/tasks.html")]
struct TasksPage {
    layout: Layout,
    /// (code, label, count, current)
    states: Vec<(&'static str, &'static str, i64, bool)>,
    filtered: bool,
    oldest: String,
    tasks: Vec<TaskLine>,
    pager: Pager,
}

#[derive(Deserialize)]
pub struct TasksQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    page: Option<u32>,
}

pub async fn tasks(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    PageQuery(q): PageQuery<TasksQuery>,
) -> PageResult {
    let user = signed_in(user)?;
    let query = TaskListQuery { state: q.state.clone(), page: q.page, per_page: Some(20), ..Default::default() };
    let page = super::actions::list(&state, &user, &query).await?;
    let stats = super::actions::stats(&state, &user).await?;
    let current = q.state.as_deref().and_then(TaskState::parse);
    let states = TaskState::ALL
        .iter()
        .map(|s| {
            let n = match s {
                TaskState::Queued => stats.queued,
                TaskState::Running => stats.running,
                TaskState::Done => stats.done,
                TaskState::Dead => stats.dead,
            };
            (s.code(), s.label(), n, current == Some(*s))
        })
        .collect();
    let base = match current {
        Some(s) => format!("/admin/tasks?state={}&", s.code()),
        None => "/admin/tasks?".to_string(),
    };
    let view = TasksPage {
        layout: Layout::new(&state, Some(&user), &csrf, "任务队列", "tasks").await,
        states,
        filtered: current.is_some(),
        oldest: stats.oldest_queued_age_ms.map_or_else(|| "无".to_string(), |ms| format!("{} 秒", ms / 1000)),
        tasks: page
            .items
            .iter()
            .map(|t| TaskLine {
                id: t.id,
                kind: t.kind.clone(),
                state_code: t.state.code(),
                state_label: t.state.label(),
                attempts: format!("{}/{}", t.attempts, t.max_attempts),
                run_at: display(from_millis(t.run_at)),
                last_error: t.last_error.clone().unwrap_or_default(),
                dead: t.state == TaskState::Dead,
            })
            .collect(),
        pager: Pager::of(&page, &base),
    };
    Ok(render(&view))
}

#[derive(Deserialize)]
pub struct RetryForm {}

/// 重试 a dead task.
pub async fn retry(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm<RetryForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let id: i64 = id.parse().map_err(|_| not_found())?;
    super::actions::retry(&state, &user, id).await?;
    Ok(redirect("/admin/tasks?state=queued"))
}
