//! `/api/v1/auth/…`, `/api/v1/me…`, `/api/v1/admin/users`: accounts, sessions and profiles.

use axum::Json;

use axum::extract::State;
use axum::http::StatusCode;
use kejiyun_db::notifications::Notification;
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::user::{ProfileInput, RegisterInput};
use kejiyun_domain::{Item, ItemKind, ItemStatus, User};
use serde::{Deserialize, Serialize};

use crate::http::auth::ApiUser;
use crate::http::client::ClientAddr;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::platform::state::AppState;

/// Register as 科技工作者 (`expert`), 企事业单位 (`org`) or 科普读者 (`public`).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts", request_body = RegisterInput,
    responses((status = 201, body = User), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(input): ApiJson<RegisterInput>,
) -> ApiResult<(StatusCode, Json<User>)> {
    state.limits.registration(client).await?;
    let user = super::actions::register(&state, input).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    username: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginOutput {
    /// Bearer token for `Authorization: Bearer …`.
    token: String,
    user: User,
}

/// Log in; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginInput,
    responses((status = 200, body = LoginOutput), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(input): ApiJson<LoginInput>,
) -> ApiResult<Json<LoginOutput>> {
    let (user, token) = super::actions::login(&state, &input.username, &input.password, "api", client).await?;
    Ok(Json(LoginOutput { token, user }))
}

/// Log out: the bearer token stops working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    _user: ApiUser,
    headers: axum::http::HeaderMap,
) -> ApiResult<StatusCode> {
    if let Some(token) = crate::http::auth::bearer_token(&headers) {
        super::actions::logout(&state, token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own account, with contact details.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
pub async fn me(ApiUser(user): ApiUser) -> Json<User> {
    Json(user)
}

/// Edit the caller's profile; absent fields stay unchanged.
#[utoipa::path(patch, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])), request_body = ProfileInput,
    responses((status = 200, body = User), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_me(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ProfileInput>,
) -> ApiResult<Json<User>> {
    Ok(Json(super::actions::update_profile(&state, &user, input).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    old_password: String,
    new_password: String,
}

/// Change the password; every other session of the account ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts", security(("bearer" = [])),
    request_body = PasswordInput,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ClientAddr(client): ClientAddr,
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<PasswordInput>,
) -> ApiResult<StatusCode> {
    let token = crate::http::auth::bearer_token(&headers);
    super::actions::change_password(&state, &user, &input.old_password, &input.new_password, token, client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MyItemsQuery {
    /// `need`, `capability` or `achievement`.
    kind: Option<ItemKind>,
    status: Option<ItemStatus>,
    page: Option<u32>,
    per_page: Option<u32>,
}

/// The caller's own items in every state (我的发布).
#[utoipa::path(get, path = "/api/v1/me/items", tag = "items", security(("bearer" = [])), params(MyItemsQuery),
    responses((status = 200, body = Page<Item>), (status = 401, body = ErrorBody)))]
pub async fn my_items(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<MyItemsQuery>,
) -> ApiResult<Json<Page<Item>>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    Ok(Json(crate::features::items::actions::list_mine(&state, &user, q.kind, q.status, page).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    id: i64,
    kind: String,
    title: String,
    body: String,
    link: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    read: bool,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        NotificationView {
            id: n.id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            link: n.link,
            created_at: n.created_at,
            read: n.read,
        }
    }
}

/// In-site notices of the caller, newest first.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<NotificationView>), (status = 401, body = ErrorBody)))]
pub async fn my_notifications(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Vec<NotificationView>>> {
    let list = super::actions::notifications(&state, &user).await?;
    Ok(Json(list.into_iter().map(NotificationView::from).collect()))
}

/// Marks all the caller's notices read (reading the list does not).
#[utoipa::path(post, path = "/api/v1/me/notifications/read", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn mark_notifications_read(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<StatusCode> {
    super::actions::mark_notifications_read(&state, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An admin creates a steward or admin account in its own region subtree.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "accounts", security(("bearer" = [])),
    request_body = RegisterInput,
    responses((status = 201, body = User), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_staff(
    State(state): State<AppState>,
    ApiUser(admin): ApiUser,
    ApiJson(input): ApiJson<RegisterInput>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let user = super::actions::create_staff(&state, &admin, input).await?;
    Ok((StatusCode::CREATED, Json(user)))
}
