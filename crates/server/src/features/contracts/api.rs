//! `/api/v1/contracts`, `/api/v1/projects`: 技术合同登记 and 委托科研项目.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kejiyun_domain::contract::{
    AcceptanceInput, ConfirmInput, Contract, ContractInput, ContractVersion, MAX_ATTACHMENT_BYTES, MilestoneInput,
    ProgressInput, Project,
};
use kejiyun_domain::page::Page;
use kejiyun_domain::{Code, Error};

use crate::features::contracts::actions::{ContractListQuery, VerifyInput};
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::platform::state::AppState;

/// Contracts: an admin's region, or the ones the caller takes part in.
#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracts", security(("bearer" = [])),
    params(ContractListQuery),
    responses((status = 200, body = Page<Contract>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<ContractListQuery>,
) -> ApiResult<Json<Page<Contract>>> {
    Ok(Json(super::actions::list(&state, &user, &q).await?))
}

/// Register a technology contract (登记). With `order_id`, the service order moves to 已签约.
#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts", security(("bearer" = [])),
    request_body = ContractInput,
    responses((status = 201, body = Contract), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ContractInput>,
) -> ApiResult<(StatusCode, Json<Contract>)> {
    Ok((StatusCode::CREATED, Json(super::actions::register(&state, &user, input).await?)))
}

/// One contract (parties, registrant, the order's steward, admins above the buyer's region).
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Contract), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Contract>> {
    Ok(Json(super::actions::get(&state, &user, id).await?))
}

/// Correct a returned contract; it is registered again for verification.
#[utoipa::path(put, path = "/api/v1/contracts/{id}", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ContractInput,
    responses((status = 200, body = Contract), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn correct(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ContractInput>,
) -> ApiResult<Json<Contract>> {
    Ok(Json(super::actions::correct(&state, &user, id, input).await?))
}

/// 核验 (counts in 技术交易额 from now on) or 退回 with a reason (admins of the buyer's region).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/verify", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = VerifyInput,
    responses((status = 200, body = Contract), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<VerifyInput>,
) -> ApiResult<Json<Contract>> {
    Ok(Json(super::actions::verify(&state, &user, id, input).await?))
}

/// The other party confirms the contract registered with it (it goes to 待核验 and a linked
/// service order to 已签约) or declines it with a reason.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/confirm", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ConfirmInput,
    responses((status = 200, body = Contract), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ConfirmInput>,
) -> ApiResult<Json<Contract>> {
    Ok(Json(super::actions::confirm(&state, &user, id, input).await?))
}

/// The verified versions a correction or a new scan superseded, oldest first, each as it was
/// with the SHA-256 of its record and of its scan.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/versions", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ContractVersion>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Vec<ContractVersion>>> {
    Ok(Json(super::actions::versions(&state, &user, id).await?))
}

/// Upload the scanned contract: the raw PDF bytes as the body (at most 10 MB, no scripts).
#[utoipa::path(put, path = "/api/v1/contracts/{id}/attachment", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 200, body = Contract), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn upload_attachment(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    body: Body,
) -> ApiResult<Json<Contract>> {
    // Read with this route's own limit (larger than the JSON routes'), one byte over to detect excess.
    let bytes = axum::body::to_bytes(body, MAX_ATTACHMENT_BYTES + 1)
        .await
        .map_err(|_| Error::new(Code::PayloadTooLarge, "合同附件不能超过 10 MB"))?;
    Ok(Json(super::actions::upload_attachment(&state, &user, id, &bytes).await?))
}

/// Download the scanned contract.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/attachment", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn download_attachment(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
) -> ApiResult<Response> {
    let bytes = super::actions::attachment(&state, &user, id).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"contract-{id}.pdf\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// Make a 技术开发 contract a commissioned project (委托科研项目).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/project", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 201, body = Project), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_project(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
) -> ApiResult<(StatusCode, Json<Project>)> {
    Ok((StatusCode::CREATED, Json(super::actions::create_project(&state, &user, id).await?)))
}

/// A project with milestones (overdue ones flagged) and progress.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Project), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn project(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Project>> {
    Ok(Json(super::actions::project(&state, &user, id).await?))
}

/// Add a milestone (name, due date, deliverable, payment).
#[utoipa::path(post, path = "/api/v1/projects/{id}/milestones", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = MilestoneInput,
    responses((status = 201, body = Project), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn add_milestone(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<MilestoneInput>,
) -> ApiResult<(StatusCode, Json<Project>)> {
    Ok((StatusCode::CREATED, Json(super::actions::add_milestone(&state, &user, id, input).await?)))
}

/// 验收 of a milestone (the buyer); the project is accepted with its last milestone.
#[utoipa::path(post, path = "/api/v1/projects/{id}/milestones/{milestone_id}/accept", tag = "contracts",
    security(("bearer" = [])), params(("id" = i64, Path), ("milestone_id" = i64, Path)),
    request_body = AcceptanceInput,
    responses((status = 200, body = Project), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn accept_milestone(
    State(state): State<AppState>,
    ApiPath((id, milestone_id)): ApiPath<(i64, i64)>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<AcceptanceInput>,
) -> ApiResult<Json<Project>> {
    Ok(Json(super::actions::accept_milestone(&state, &user, id, milestone_id, input).await?))
}

/// Add a progress update.
#[utoipa::path(post, path = "/api/v1/projects/{id}/progress", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ProgressInput,
    responses((status = 201, body = Project), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn add_progress(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ProgressInput>,
) -> ApiResult<(StatusCode, Json<Project>)> {
    Ok((StatusCode::CREATED, Json(super::actions::add_progress(&state, &user, id, input).await?)))
}

/// Projects of the admin's region with a milestone past due.
#[utoipa::path(get, path = "/api/v1/admin/overdue-projects", tag = "contracts", security(("bearer" = [])),
    responses((status = 200, body = Vec<Project>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn overdue_projects(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Vec<Project>>> {
    Ok(Json(super::actions::overdue_projects(&state, &user).await?))
}
