//! `/api/v1/me/region-requests` (the account's own) and `/api/v1/admin/region-requests` (admins
//! above the requester's region decide).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kejiyun_domain::region_request::{RegionDecisionInput, RegionRequest, RegionRequestInput, RegionRequestStatus};
use serde::Deserialize;

use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::platform::state::AppState;

/// Ask to move the caller's account to another region (experts, organisations, the public; one
/// open request at a time). An admin of the current region decides.
#[utoipa::path(post, path = "/api/v1/me/region-requests", tag = "accounts", security(("bearer" = [])),
    request_body = RegionRequestInput,
    responses((status = 201, body = RegionRequest), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<RegionRequestInput>,
) -> ApiResult<(StatusCode, Json<RegionRequest>)> {
    Ok((StatusCode::CREATED, Json(super::actions::request(&state, &user, input).await?)))
}

/// The caller's region requests, newest first.
#[utoipa::path(get, path = "/api/v1/me/region-requests", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<RegionRequest>), (status = 401, body = ErrorBody)))]
pub async fn mine(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Vec<RegionRequest>>> {
    Ok(Json(super::actions::mine(&state, &user).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DecideQuery {
    /// Which requests (default `pending`).
    status: Option<RegionRequestStatus>,
}

/// Region requests of accounts in the caller's scope (admins), oldest first when pending.
#[utoipa::path(get, path = "/api/v1/admin/region-requests", tag = "accounts", security(("bearer" = [])),
    params(DecideQuery),
    responses((status = 200, body = Vec<RegionRequest>), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn to_decide(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<DecideQuery>,
) -> ApiResult<Json<Vec<RegionRequest>>> {
    let status = q.status.unwrap_or(RegionRequestStatus::Pending);
    Ok(Json(super::actions::to_decide(&state, &user, status).await?))
}

/// Approve (the account moves) or decline (with a note) a pending request.
#[utoipa::path(post, path = "/api/v1/admin/region-requests/{id}/decide", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RegionDecisionInput,
    responses((status = 200, body = RegionRequest), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<RegionDecisionInput>,
) -> ApiResult<Json<RegionRequest>> {
    Ok(Json(super::actions::decide(&state, &user, id, input).await?))
}
