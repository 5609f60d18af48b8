//! `/api/v1/admin/tasks`: the task queue (province admins).

use axum::Json;
use axum::extract::State;
use kejiyun_db::tasks::Task;
use kejiyun_domain::page::Page;
use kejiyun_domain::time::{Timestamp, from_millis};
use serde::Serialize;

use super::actions::TaskListQuery;
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::platform::state::AppState;

/// A task as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub id: i64,
    pub kind: String,
    /// `queued`, `running`, `done` or `dead`.
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    /// Not run before this time.
    #[schema(value_type = String, format = DateTime)]
    pub run_at: Timestamp,
    pub last_error: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
}

impl From<Task> for TaskView {
    fn from(t: Task) -> Self {
        TaskView {
            id: t.id,
            kind: t.kind,
            state: t.state.code().to_string(),
            attempts: t.attempts,
            max_attempts: t.max_attempts,
            run_at: from_millis(t.run_at),
            last_error: t.last_error,
            created_at: from_millis(t.created_at),
            finished_at: t.finished_at.map(from_millis),
        }
    }
}

/// Tasks of the queue, newest first (province admins).
#[utoipa::path(get, path = "/api/v1/admin/tasks", tag = "meta", security(("bearer" = [])), params(TaskListQuery),
    responses((status = 200, body = Page<TaskView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<TaskListQuery>,
) -> ApiResult<Json<Page<TaskView>>> {
    let page = super::actions::list(&state, &user, &q).await?;
    Ok(Json(page.map(TaskView::from)))
}

/// Queue a dead task again (province admins).
#[utoipa::path(post, path = "/api/v1/admin/tasks/{id}/retry", tag = "meta", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = TaskView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TaskView>> {
    Ok(Json(super::actions::retry(&state, &user, id).await?.into()))
}
