//! `/api/v1/admin/audit`: the audit log (admins, within their region), and its CSV export.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use kejiyun_db::audit::AuditEntry;
use kejiyun_domain::page::Page;
use kejiyun_domain::time::Timestamp;
use serde::Serialize;

use super::actions::AuditQuery;
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::platform::state::AppState;

/// One record of the audit log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// The account that acted (none for a failed login: nobody proved who they are).
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    /// The client address the request came from.
    pub address: Option<String>,
    /// The object's type, e.g. `user`, `contract`, `service_order`, `need`.
    pub entity: String,
    pub entity_id: i64,
    /// e.g. `login`, `logout`, `password_change`, `region_change`, `verify`, `export`.
    pub action: String,
    /// What the action is called on the page.
    pub action_label: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: Option<String>,
    /// `ok`, `failed` or `refused`.
    #[schema(pattern = "^(ok|failed|refused)$")]
    pub result: String,
    pub region_code: Option<String>,
}

impl From<AuditEntry> for AuditView {
    fn from(a: AuditEntry) -> Self {
        AuditView {
            action_label: super::actions::action_label(&a.entity, &a.action).to_string(),
            id: a.id,
            created_at: a.created_at,
            actor_id: a.actor_id,
            actor_name: a.actor_name,
            address: a.address,
            entity: a.entity,
            entity_id: a.entity_id,
            action: a.action,
            from_status: a.from_status,
            to_status: a.to_status,
            detail: a.detail,
            result: a.result,
            region_code: a.region_code,
        }
    }
}

/// Search the audit log, newest first (admins: records of their region subtree).
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "meta", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Page<AuditView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditView>>> {
    Ok(Json(super::actions::search(&state, &user, &q).await?.map(AuditView::from)))
}

/// Export a search of the audit log as CSV, oldest first, at most 50,000 records (audited).
#[utoipa::path(get, path = "/api/v1/admin/audit/export", tag = "meta", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    Ok(csv_response(super::actions::export_csv(&state, &user, &q).await?))
}

/// A CSV download.
pub fn csv_response(body: String) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"audit-log.csv\""));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
