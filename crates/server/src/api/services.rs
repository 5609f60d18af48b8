//! `/api/v1/orders`, `/api/v1/orgs/{id}/…`, `/api/v1/steward/…`, `/api/v1/stats/services`:
//! 科服保姆 work, 一企一策 and service orders.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kejiyun_domain::page::Page;
use kejiyun_domain::service::{
    Assignment, CloseInput, ContactLogInput, Invitation, OrderInput, PlanActionInput, PlanInput, RatingInput,
    ResponseInput, ServedOrg, ServiceOrder, ServicePlan, ServiceStats,
};
use serde::Deserialize;

use crate::actions;
use crate::actions::items::{MatchKind, Suggestion};
use crate::actions::services::{OrderDetail, OrderListQuery, ProposalInput, StatsQuery};
use crate::auth::ApiUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

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
    Ok(Json(actions::services::assign_steward(&state, &user, id, input.steward_id).await?))
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
    Ok(Json(actions::services::steward_history(&state, &user, id).await?))
}

/// 我的服务企业: the steward's organisations with open needs, open orders and last contact.
#[utoipa::path(get, path = "/api/v1/steward/orgs", tag = "services", security(("bearer" = [])),
    responses((status = 200, body = Vec<ServedOrg>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn served_orgs(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Vec<ServedOrg>>> {
    Ok(Json(actions::services::served_orgs(&state, &user).await?))
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
    Ok(Json(actions::services::plan(&state, &user, id).await?))
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
    Ok(Json(actions::services::save_plan(&state, &user, id, input).await?))
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
    Ok((StatusCode::CREATED, Json(actions::services::add_plan_action(&state, &user, id, input).await?)))
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
    Ok(Json(actions::services::finish_plan_action(&state, &user, id, action_id).await?))
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
    Ok((StatusCode::CREATED, Json(actions::services::add_contact(&state, &user, id, input).await?)))
}

/// Service orders as the caller's role sees them (org: own; steward: assigned; admin: region),
/// overdue first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "services", security(("bearer" = [])), params(OrderListQuery),
    responses((status = 200, body = Page<ServiceOrder>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_orders(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<OrderListQuery>,
) -> ApiResult<Json<Page<ServiceOrder>>> {
    Ok(Json(actions::services::list_orders(&state, &user, &q).await?))
}

/// Open a service order (an org for itself, or its steward on its behalf), optionally from a need.
#[utoipa::path(post, path = "/api/v1/orders", tag = "services", security(("bearer" = [])), request_body = OrderInput,
    responses((status = 201, body = OrderDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_order(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<OrderInput>,
) -> ApiResult<(StatusCode, Json<OrderDetail>)> {
    Ok((StatusCode::CREATED, Json(actions::services::open_order(&state, &user, input).await?)))
}

/// One order with its proposals; contacts appear only between the two sides of an agreed proposal.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = OrderDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_order(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(actions::services::get_order(&state, &user, id).await?))
}

/// The steward takes the order up (first response): 受理 → 对接中.
#[utoipa::path(post, path = "/api/v1/orders/{id}/start", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = OrderDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn start_order(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(actions::services::start(&state, &user, id).await?))
}

/// Propose an expert (or a capability/achievement, whose owner answers) on the order.
#[utoipa::path(post, path = "/api/v1/orders/{id}/proposals", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ProposalInput,
    responses((status = 201, body = OrderDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn propose(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ProposalInput>,
) -> ApiResult<(StatusCode, Json<OrderDetail>)> {
    Ok((StatusCode::CREATED, Json(actions::services::propose(&state, &user, id, input).await?)))
}

/// Accept or decline a proposal (the proposed provider, or the organisation). A decline needs a reason.
#[utoipa::path(post, path = "/api/v1/orders/{id}/proposals/{proposal_id}/respond", tag = "services",
    security(("bearer" = [])), params(("id" = i64, Path), ("proposal_id" = i64, Path)), request_body = ResponseInput,
    responses((status = 200, body = OrderDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn respond(
    State(state): State<AppState>,
    ApiPath((id, proposal_id)): ApiPath<(i64, i64)>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ResponseInput>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(actions::services::respond(&state, &user, id, proposal_id, input).await?))
}

/// Complete the order (its steward or an admin).
#[utoipa::path(post, path = "/api/v1/orders/{id}/complete", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = OrderDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn complete_order(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(actions::services::complete(&state, &user, id).await?))
}

/// Close the order with a reason, from any open state.
#[utoipa::path(post, path = "/api/v1/orders/{id}/close", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CloseInput,
    responses((status = 200, body = OrderDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn close_order(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<CloseInput>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(actions::services::close(&state, &user, id, input).await?))
}

/// The organisation rates a completed order, once.
#[utoipa::path(post, path = "/api/v1/orders/{id}/rating", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RatingInput,
    responses((status = 200, body = OrderDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate_order(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<RatingInput>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(actions::services::rate(&state, &user, id, input).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SuggestionQuery {
    /// expert (default) | capability | achievement.
    kind: Option<MatchKind>,
    /// 1–50, default 10.
    limit: Option<u32>,
}

/// The matching engine's suggestions for the order, without providers already proposed.
#[utoipa::path(get, path = "/api/v1/orders/{id}/suggestions", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path), SuggestionQuery),
    responses((status = 200, body = Vec<Suggestion>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn suggestions(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<SuggestionQuery>,
) -> ApiResult<Json<Vec<Suggestion>>> {
    Ok(Json(actions::services::suggestions(&state, &user, id, q.kind, q.limit.unwrap_or(10)).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InvitationQuery {
    /// Also answered ones and those of finished orders.
    #[serde(default)]
    all: bool,
}

/// 待处理邀请: proposals waiting for the caller's answer.
#[utoipa::path(get, path = "/api/v1/me/invitations", tag = "services", security(("bearer" = [])),
    params(InvitationQuery), responses((status = 200, body = Vec<Invitation>), (status = 401, body = ErrorBody)))]
pub async fn invitations(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<InvitationQuery>,
) -> ApiResult<Json<Vec<Invitation>>> {
    Ok(Json(actions::services::invitations(&state, &user, q.all).await?))
}

/// 服务量, 服务企业数, 有效解决方案数, 委托项目数, 技术合同数, 技术交易额, first response and
/// satisfaction for a region subtree and period (admins of that region).
#[utoipa::path(get, path = "/api/v1/stats/services", tag = "services", security(("bearer" = [])), params(StatsQuery),
    responses((status = 200, body = ServiceStats), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn service_stats(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<ServiceStats>> {
    Ok(Json(actions::services::stats(&state, &user, &q).await?))
}
