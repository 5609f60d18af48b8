//! `/api/v1/stats/services`: the 科服 counters.

use axum::Json;
use axum::extract::State;
use kejiyun_domain::service::ServiceStats;

use crate::features::stats::actions::StatsQuery;
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::platform::state::AppState;

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
    Ok(Json(super::actions::stats(&state, &user, &q).await?))
}
