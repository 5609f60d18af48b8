use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kejiyun_domain::Region;
use serde::Deserialize;

use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::platform::state::AppState;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers and the search index is open.
#[utoipa::path(get, path = "/readyz", tag = "meta",
    responses((status = 200, body = String), (status = 503, body = String)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if let Err(e) = state.db.ping().await {
        tracing::warn!(error = %e, "readiness check failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
    }
    // An index without a change-log position has not been built from the database yet.
    if state.search.applied_seq().is_none() {
        return (StatusCode::SERVICE_UNAVAILABLE, "search index not ready");
    }
    (StatusCode::OK, "ready")
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RegionQuery {
    /// Parent region code; without it the province itself is returned.
    parent: Option<String>,
}

/// Regions of Sichuan: the children of `parent` (市/州 of the province, 县/区 of a 市/州).
#[utoipa::path(get, path = "/api/v1/regions", tag = "meta", params(RegionQuery),
    responses((status = 200, body = Vec<Region>), (status = 422, body = ErrorBody)))]
pub async fn regions(ApiQuery(q): ApiQuery<RegionQuery>) -> ApiResult<Json<Vec<Region>>> {
    let tree = kejiyun_domain::regions();
    let list = match q.parent.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(parent) => {
            tree.require(parent).map_err(|e| e.with_field("parent"))?;
            tree.children(parent).into_iter().cloned().collect()
        }
        None => vec![tree.province().clone()],
    };
    Ok(Json(list))
}
