//! `/api/v1/orgs/{id}/…`, `/api/v1/steward/…`: lead stewards and 一企一策.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kejiyun_domain::service::{Assignment, ContactLogInput, PlanActionInput, PlanInput, ServedOrg, ServicePlan};
use serde::Deserialize;

use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::platform::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    steward_id: i64,
}

/// Make a steward the organisation's lead steward (admins of the region). Open orders follow.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/steward", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path, description = "organisation account id")), request_body = AssignInput,
    responses((status = 200, body = Vec<Assignment>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn assign_steward(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<AssignInput>,
) -> ApiResult<Json<Vec<Assignment>>> {
    Ok(Json(super::actions::assign_steward(&state, &user, id, input.steward_id).await?))
}

/// The organisation's stewards, current first (the org, its steward, admins above it).
#[utoipa::path(get, path = "/api/v1/orgs/{id}/stewards", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Assignment>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn steward_history(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Vec<Assignment>>> {
    Ok(Json(super::actions::steward_history(&state, &user, id).await?))
}

/// 我的服务企业: the steward's organisations with open needs, open orders and last contact.
#[utoipa::path(get, path = "/api/v1/steward/orgs", tag = "services", security(("bearer" = [])),
    responses((status = 200, body = Vec<ServedOrg>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn served_orgs(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Vec<ServedOrg>>> {
    Ok(Json(super::actions::served_orgs(&state, &user).await?))
}

/// 一企一策: the organisation's service plan with actions and contact log.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/plan", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ServicePlan), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn plan(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<ServicePlan>> {
    Ok(Json(super::actions::plan(&state, &user, id).await?))
}

/// Write the plan's situation and goals (the lead steward).
#[utoipa::path(put, path = "/api/v1/orgs/{id}/plan", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PlanInput,
    responses((status = 200, body = ServicePlan), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn save_plan(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<PlanInput>,
) -> ApiResult<Json<ServicePlan>> {
    Ok(Json(super::actions::save_plan(&state, &user, id, input).await?))
}

/// Add a planned action with its due date (the lead steward).
#[utoipa::path(post, path = "/api/v1/orgs/{id}/plan/actions", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PlanActionInput,
    responses((status = 201, body = ServicePlan), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn add_plan_action(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<PlanActionInput>,
) -> ApiResult<(StatusCode, Json<ServicePlan>)> {
    Ok((StatusCode::CREATED, Json(super::actions::add_plan_action(&state, &user, id, input).await?)))
}

/// Mark a planned action done.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/plan/actions/{action_id}/done", tag = "services",
    security(("bearer" = [])), params(("id" = i64, Path), ("action_id" = i64, Path)),
    responses((status = 200, body = ServicePlan), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn finish_plan_action(
    State(state): State<AppState>,
    ApiPath((id, action_id)): ApiPath<(i64, i64)>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<ServicePlan>> {
    Ok(Json(super::actions::finish_plan_action(&state, &user, id, action_id).await?))
}

/// Record a visit, call or online contact (走访记录).
#[utoipa::path(post, path = "/api/v1/orgs/{id}/contacts", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ContactLogInput,
    responses((status = 201, body = ServicePlan), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn add_contact(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ContactLogInput>,
) -> ApiResult<(StatusCode, Json<ServicePlan>)> {
    Ok((StatusCode::CREATED, Json(super::actions::add_contact(&state, &user, id, input).await?)))
}
