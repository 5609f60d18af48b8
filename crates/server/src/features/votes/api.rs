//! `/api/v1/polls`: 投票 (public votes such as 最美科技工作者).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kejiyun_domain::page::Page;
use kejiyun_domain::vote::{Poll, PollDetail, PollInput, VoteInput, VoteReceipt};

use super::actions::PollListQuery;
use crate::http::auth::{ApiUser, MaybeApiUser};
use crate::http::client::ClientAddr;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::platform::state::AppState;

/// Polls, the latest to end first.
#[utoipa::path(get, path = "/api/v1/polls", tag = "votes", params(PollListQuery),
    responses((status = 200, body = Page<Poll>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, ApiQuery(q): ApiQuery<PollListQuery>) -> ApiResult<Json<Page<Poll>>> {
    Ok(Json(super::actions::list(&state, &q).await?))
}

/// Organise a poll (admins, for their region or below).
#[utoipa::path(post, path = "/api/v1/admin/polls", tag = "votes", security(("bearer" = [])),
    request_body = PollInput,
    responses((status = 201, body = PollDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<PollInput>,
) -> ApiResult<(StatusCode, Json<PollDetail>)> {
    Ok((StatusCode::CREATED, Json(super::actions::create(&state, &user, input).await?)))
}

/// A poll with its candidates and counts; signed in, also the caller's votes and what is left today.
#[utoipa::path(get, path = "/api/v1/polls/{id}", tag = "votes", params(("id" = i64, Path)),
    responses((status = 200, body = PollDetail), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    MaybeApiUser(user): MaybeApiUser,
) -> ApiResult<Json<PollDetail>> {
    Ok(Json(super::actions::detail(&state, user.as_ref(), id).await?))
}

/// Vote for a candidate: once per candidate per day, at most the poll's `votes_per_day` a day.
#[utoipa::path(post, path = "/api/v1/polls/{id}/votes", tag = "votes", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = VoteInput,
    responses((status = 201, body = VoteReceipt), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "poll_not_open | already_voted | daily_vote_limit"),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn vote(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ClientAddr(client): ClientAddr,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<VoteInput>,
) -> ApiResult<(StatusCode, Json<VoteReceipt>)> {
    Ok((StatusCode::CREATED, Json(super::actions::vote(&state, &user, id, input, client).await?)))
}
