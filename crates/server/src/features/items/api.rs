//! `/api/v1/{kind}` — needs, capabilities and achievements share one set of routes; `kind` is
//! the plural path segment.

use axum::Json;
use axum::body::Bytes;

use axum::extract::State;
use axum::http::StatusCode;
use kejiyun_db::audit::AuditEntry;
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::{Item, ItemInput, ItemKind};
use serde::{Deserialize, Serialize};

use super::actions::{Decision, ListQuery};
use crate::http::auth::{ApiUser, MaybeApiUser};
use crate::http::client::ClientAddr;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::platform::state::AppState;

/// Path segment naming a kind of item.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindSlug {
    /// 科技需求
    Needs,
    /// 科技所能
    Capabilities,
    /// 科技成果
    Achievements,
}

impl From<KindSlug> for ItemKind {
    fn from(s: KindSlug) -> Self {
        match s {
            KindSlug::Needs => ItemKind::Need,
            KindSlug::Capabilities => ItemKind::Capability,
            KindSlug::Achievements => ItemKind::Achievement,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CreateQuery {
    /// Send to review at once instead of saving a draft.
    #[serde(default)]
    submit: bool,
}

/// Published items, newest first; with `q`, by relevance of the Chinese full-text search.
#[utoipa::path(get, path = "/api/v1/{kind}", tag = "items",
    params(("kind" = KindSlug, Path, description = "needs | capabilities | achievements"), ListQuery),
    responses((status = 200, body = Page<Item>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiPath(kind): ApiPath<KindSlug>,
    ClientAddr(client): ClientAddr,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Item>>> {
    state.limits.search(client).await?;
    Ok(Json(super::actions::list_public(&state, Some(kind.into()), &q).await?))
}

/// Publish a new item (as a draft, or straight to review with `?submit=true`).
#[utoipa::path(post, path = "/api/v1/{kind}", tag = "items", security(("bearer" = [])),
    params(("kind" = KindSlug, Path), CreateQuery), request_body = ItemInput,
    responses((status = 201, body = Item), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiPath(kind): ApiPath<KindSlug>,
    ApiQuery(q): ApiQuery<CreateQuery>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ItemInput>,
) -> ApiResult<(StatusCode, Json<Item>)> {
    let item = super::actions::create(&state, &user, kind.into(), input, q.submit).await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// One item: published ones for everybody, others for their owner and the admins of their region.
#[utoipa::path(get, path = "/api/v1/{kind}/{id}", tag = "items",
    params(("kind" = KindSlug, Path), ("id" = i64, Path)),
    responses((status = 200, body = Item), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    ApiPath((kind, id)): ApiPath<(KindSlug, i64)>,
    MaybeApiUser(viewer): MaybeApiUser,
) -> ApiResult<Json<Item>> {
    Ok(Json(super::actions::get(&state, viewer.as_ref(), kind.into(), id).await?))
}

/// Edit an item (owner only). A published item goes back to review.
#[utoipa::path(patch, path = "/api/v1/{kind}/{id}", tag = "items", security(("bearer" = [])),
    params(("kind" = KindSlug, Path), ("id" = i64, Path)), request_body = ItemInput,
    responses((status = 200, body = Item), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiPath((kind, id)): ApiPath<(KindSlug, i64)>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ItemInput>,
) -> ApiResult<Json<Item>> {
    Ok(Json(super::actions::update(&state, &user, kind.into(), id, input).await?))
}

/// Send a draft or rejected item to review.
#[utoipa::path(post, path = "/api/v1/{kind}/{id}/submit", tag = "items", security(("bearer" = [])),
    params(("kind" = KindSlug, Path), ("id" = i64, Path)),
    responses((status = 200, body = Item), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    ApiPath((kind, id)): ApiPath<(KindSlug, i64)>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Item>> {
    Ok(Json(super::actions::submit(&state, &user, kind.into(), id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    decision: Decision,
    /// Required when rejecting.
    #[serde(default)]
    reason: Option<String>,
}

/// Approve or reject a pending item (admins whose region covers the item).
#[utoipa::path(post, path = "/api/v1/{kind}/{id}/review", tag = "items", security(("bearer" = [])),
    params(("kind" = KindSlug, Path), ("id" = i64, Path)), request_body = ReviewInput,
    responses((status = 200, body = Item), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    ApiPath((kind, id)): ApiPath<(KindSlug, i64)>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<Json<Item>> {
    Ok(Json(super::actions::review(&state, &user, kind.into(), id, input.decision, input.reason).await?))
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    #[serde(default)]
    reason: Option<String>,
}

/// Close an item (its owner, or an admin of its region). The body is optional.
#[utoipa::path(post, path = "/api/v1/{kind}/{id}/close", tag = "items", security(("bearer" = [])),
    params(("kind" = KindSlug, Path), ("id" = i64, Path)), request_body(content = Option<CloseInput>),
    responses((status = 200, body = Item), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    ApiPath((kind, id)): ApiPath<(KindSlug, i64)>,
    ApiUser(user): ApiUser,
    body: Bytes,
) -> ApiResult<Json<Item>> {
    let input: CloseInput = if body.iter().all(u8::is_ascii_whitespace) {
        CloseInput::default()
    } else {
        crate::http::extract::json_from_bytes(&body)?
    };
    Ok(Json(super::actions::close(&state, &user, kind.into(), id, input.reason).await?))
}

/// Confirm that a published item is still open (answers the 180-day check).
#[utoipa::path(post, path = "/api/v1/{kind}/{id}/confirm", tag = "items", security(("bearer" = [])),
    params(("kind" = KindSlug, Path), ("id" = i64, Path)),
    responses((status = 200, body = Item), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    ApiPath((kind, id)): ApiPath<(KindSlug, i64)>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Item>> {
    Ok(Json(super::actions::confirm(&state, &user, kind.into(), id).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    action: String,
    actor_name: Option<String>,
    from_status: Option<String>,
    to_status: Option<String>,
    detail: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<AuditEntry> for HistoryEntry {
    fn from(a: AuditEntry) -> Self {
        HistoryEntry {
            action: a.action,
            actor_name: a.actor_name,
            from_status: a.from_status,
            to_status: a.to_status,
            detail: a.detail,
            created_at: a.created_at,
        }
    }
}

/// The audit trail of an item (owner and admins of its region).
#[utoipa::path(get, path = "/api/v1/{kind}/{id}/history", tag = "items", security(("bearer" = [])),
    params(("kind" = KindSlug, Path), ("id" = i64, Path)),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    ApiPath((kind, id)): ApiPath<(KindSlug, i64)>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    let trail = super::actions::history(&state, &user, kind.into(), id).await?;
    Ok(Json(trail.into_iter().map(HistoryEntry::from).collect()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    page: Option<u32>,
    per_page: Option<u32>,
}

/// Items waiting for review in the admin's region subtree, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/review-queue", tag = "items", security(("bearer" = [])), params(QueueQuery),
    responses((status = 200, body = Page<Item>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn review_queue(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<Page<Item>>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    Ok(Json(super::actions::review_queue(&state, &user, page).await?))
}
