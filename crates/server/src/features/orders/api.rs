//! `/api/v1/orders`, `/api/v1/invitations`: service orders, proposals and consent.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kejiyun_domain::page::Page;
use kejiyun_domain::service::{CloseInput, Invitation, OrderInput, RatingInput, ResponseInput, ServiceOrder};
use serde::Deserialize;

use crate::features::orders::actions::{OrderDetail, OrderListQuery, ProposalInput};
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::platform::state::AppState;
use kejiyun_domain::matching::{MatchKind, Suggestion};

/// Service orders as the caller's role sees them (org: own; steward: assigned; admin: region),
/// overdue first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "services", security(("bearer" = [])), params(OrderListQuery),
    responses((status = 200, body = Page<ServiceOrder>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_orders(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<OrderListQuery>,
) -> ApiResult<Json<Page<ServiceOrder>>> {
    Ok(Json(super::actions::list_orders(&state, &user, &q).await?))
}

/// Open a service order (an org for itself, or its steward on its behalf), optionally from a need.
#[utoipa::path(post, path = "/api/v1/orders", tag = "services", security(("bearer" = [])), request_body = OrderInput,
    responses((status = 201, body = OrderDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_order(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<OrderInput>,
) -> ApiResult<(StatusCode, Json<OrderDetail>)> {
    Ok((StatusCode::CREATED, Json(super::actions::open_order(&state, &user, input).await?)))
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
    Ok(Json(super::actions::get_order(&state, &user, id).await?))
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
    Ok(Json(super::actions::start(&state, &user, id).await?))
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
    Ok((StatusCode::CREATED, Json(super::actions::propose(&state, &user, id, input).await?)))
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
    Ok(Json(super::actions::respond(&state, &user, id, proposal_id, input).await?))
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
    Ok(Json(super::actions::complete(&state, &user, id).await?))
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
    Ok(Json(super::actions::close(&state, &user, id, input).await?))
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
    Ok(Json(super::actions::rate(&state, &user, id, input).await?))
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
    Ok(Json(super::actions::suggestions(&state, &user, id, q.kind, q.limit.unwrap_or(10)).await?))
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
    Ok(Json(super::actions::invitations(&state, &user, q.all).await?))
}
