//! `/api/v1/{kind}/{id}/matches` and `/api/v1/admin/synonyms`: 智能匹配 and its synonym groups.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kejiyun_domain::matching::{MatchKind, Suggestion};
use serde::Deserialize;

use super::actions::SynonymGroupView;
use crate::features::items::api::KindSlug;
use crate::http::auth::{ApiUser, MaybeApiUser};
use crate::http::client::ClientAddr;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::platform::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MatchQuery {
    /// Which kind to suggest: `capability`, `achievement` or `expert` for a need, `need` for the
    /// others; the item's own kind gives similar items. Default: capabilities and achievements
    /// for a need, needs for the others.
    kind: Option<MatchKind>,
    /// 1–50, default 10.
    limit: Option<u32>,
}

/// 智能匹配: published items that answer this one, best first, each with a score and reasons.
#[utoipa::path(get, path = "/api/v1/{kind}/{id}/matches", tag = "items",
    params(("kind" = KindSlug, Path), ("id" = i64, Path), MatchQuery),
    responses((status = 200, body = Vec<Suggestion>), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn matches(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiPath((kind, id)): ApiPath<(KindSlug, i64)>,
    ApiQuery(q): ApiQuery<MatchQuery>,
    MaybeApiUser(viewer): MaybeApiUser,
) -> ApiResult<Json<Vec<Suggestion>>> {
    state.limits.search(client).await?;
    let found =
        super::actions::matches(&state, viewer.as_ref(), kind.into(), id, q.kind, q.limit.unwrap_or(10)).await?;
    Ok(Json(found))
}

/// Synonym groups the matching engine uses (admins).
#[utoipa::path(get, path = "/api/v1/admin/synonyms", tag = "items", security(("bearer" = [])),
    responses((status = 200, body = Vec<SynonymGroupView>), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn synonyms(
    State(state): State<AppState>,
    ApiUser(admin): ApiUser,
) -> ApiResult<Json<Vec<SynonymGroupView>>> {
    Ok(Json(super::actions::synonym_groups(&state, &admin).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SynonymInput {
    /// 2–20 terms meaning the same or closely related things, e.g. ["酒糟", "丢糟"].
    terms: Vec<String>,
}

/// Add a synonym group (province admins); matching uses it at once.
#[utoipa::path(post, path = "/api/v1/admin/synonyms", tag = "items", security(("bearer" = [])),
    request_body = SynonymInput,
    responses((status = 201, body = SynonymGroupView), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn add_synonyms(
    State(state): State<AppState>,
    ApiUser(admin): ApiUser,
    ApiJson(input): ApiJson<SynonymInput>,
) -> ApiResult<(StatusCode, Json<SynonymGroupView>)> {
    let group = super::actions::add_synonym_group(&state, &admin, &input.terms).await?;
    Ok((StatusCode::CREATED, Json(group)))
}
