//! 智能匹配: published items (or experts) that answer an item, ranked by the search engine with
//! the matching weights and explained by reasons; the synonym groups that widen its queries.

use std::collections::HashMap;
use std::sync::Arc;

use kejiyun_domain::matching::{MatchKind, Suggestion, match_targets};
use kejiyun_domain::{Error, Item, ItemKind, User, regions};
use kejiyun_search::Weights;
use kejiyun_search::matching as ranker;

use crate::features::Result;
use crate::features::items::actions::{get, published_items};
use crate::platform::from_db;
use crate::platform::indexing::run_search;
use crate::platform::state::AppState;

/// Published items (or experts) that answer the item `id`, best first. Without `target`, a need
/// gets capabilities and achievements; an offer gets needs.
pub async fn matches(
    state: &AppState,
    viewer: Option<&User>,
    kind: ItemKind,
    id: i64,
    target: Option<MatchKind>,
    limit: u32,
) -> Result<Vec<Suggestion>> {
    if !(1..=50).contains(&limit) {
        return Err(Error::new(kejiyun_domain::Code::InvalidQuery, "limit 应在1到50之间").with_field("limit"));
    }
    let source = get(state, viewer, kind, id).await?;
    let key = crate::platform::cache::SuggestionKey { source_id: id, target, limit };
    if let Some(found) = state.cache.suggestions(&key) {
        return Ok(Vec::clone(&found));
    }
    let generation = state.cache.generation();
    let found = compute_matches(state, &source, target, limit).await?;
    state.cache.put_suggestions(generation, key, Arc::new(found.clone()));
    Ok(found)
}

async fn compute_matches(
    state: &AppState,
    source: &Item,
    target: Option<MatchKind>,
    limit: u32,
) -> Result<Vec<Suggestion>> {
    let kind = source.kind;
    let asked: [ItemKind; 1];
    let targets: &[ItemKind] = match target {
        Some(t) if !match_targets(kind).contains(&t) => {
            return Err(Error::field("kind", format!("{}不与{}匹配", kind.label(), t.label())));
        }
        Some(MatchKind::Expert) => return matching_experts(state, source, limit).await,
        Some(t) => {
            asked = [ranker::target_kind(t)];
            &asked
        }
        // By default the other side: offers for a need, needs for an offer.
        None => ranker::default_targets(kind),
    };
    matching_items(state, source, targets, limit as usize).await
}

/// Suggestions of one kind for any source item (also one built from a service order's text).
pub(crate) async fn suggestions_for(
    state: &AppState,
    source: &Item,
    target: MatchKind,
    limit: u32,
) -> Result<Vec<Suggestion>> {
    match target {
        MatchKind::Expert => matching_experts(state, source, limit).await,
        _ => matching_items(state, source, &[ranker::target_kind(target)], limit as usize).await,
    }
}

/// Published items of the `targets` kinds answering `source`, best first: the search crate's
/// ranker (the one `kejiyun match eval` scores) over this process's index and read cache.
async fn matching_items(
    state: &AppState,
    source: &Item,
    targets: &[ItemKind],
    limit: usize,
) -> Result<Vec<Suggestion>> {
    let queries = ranker::match_queries(source, targets, &state.synonyms(), Weights::MATCHING, limit);
    let mut hits = Vec::with_capacity(queries.len());
    for query in queries {
        hits.push(run_search(state, query).await?);
    }
    let ids: Vec<i64> = hits.iter().flat_map(|h| h.hits.iter().map(|(id, _)| *id as i64)).collect();
    let items = published_items(state, &ids).await?;
    Ok(ranker::rank_matches(source, &hits, &items, kejiyun_domain::time::now(), limit))
}

/// Experts whose published capabilities answer `source`, each with its best capability.
async fn matching_experts(state: &AppState, source: &Item, limit: u32) -> Result<Vec<Suggestion>> {
    let offers = matching_items(state, source, &[ItemKind::Capability], (limit as usize * 3).min(100)).await?;
    // The offers' owners in one query (not one per offer).
    let mut owner_ids: Vec<i64> = offers.iter().map(|o| o.owner_id).collect();
    owner_ids.sort_unstable();
    owner_ids.dedup();
    let owners: HashMap<i64, User> =
        state.db.users_by_ids(&owner_ids).await.map_err(from_db)?.into_iter().map(|u| (u.id, u)).collect();
    let mut out: Vec<Suggestion> = Vec::new();
    for offer in offers {
        if out.len() == limit as usize || out.iter().any(|e| e.id == offer.owner_id) {
            continue;
        }
        let Some(expert) = owners.get(&offer.owner_id) else { continue };
        if expert.role != kejiyun_domain::Role::Expert {
            continue;
        }
        let about: Vec<&str> =
            [Some(expert.display_name.as_str()), expert.title.as_deref(), expert.employer.as_deref()]
                .into_iter()
                .flatten()
                .collect();
        let mut reasons = offer.reasons.clone();
        reasons.push(format!("科技所能：{}", offer.title));
        out.push(Suggestion {
            kind: MatchKind::Expert,
            id: expert.id,
            title: about.join("，"),
            owner_id: expert.id,
            owner_name: expert.employer.clone().unwrap_or_else(|| expert.display_name.clone()),
            region_code: expert.region_code.clone(),
            score: offer.score,
            reasons,
            link: offer.link,
        });
    }
    // The expert's record of completed services lifts proven helpers among near-equals.
    let ids: Vec<i64> = out.iter().map(|e| e.id).collect();
    let record = state.db.completed_services(&ids).await.map_err(from_db)?;
    for expert in &mut out {
        let done = record.get(&expert.id).copied().unwrap_or(0);
        expert.score *= kejiyun_domain::matching::track_record_factor(done);
        if let Some(reason) = kejiyun_domain::matching::track_record_reason(done) {
            expert.reasons.push(reason);
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(out)
}

/// Synonym groups in use: the shipped list and those admins added.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SynonymGroupView {
    /// Id of an admin-added group; `null` for the shipped list.
    pub id: Option<i64>,
    pub terms: Vec<String>,
}

pub async fn synonym_groups(state: &AppState, admin: &User) -> Result<Vec<SynonymGroupView>> {
    kejiyun_domain::policy::check_admin(admin)?;
    let mut out: Vec<SynonymGroupView> = kejiyun_domain::synonyms::Synonyms::shipped()
        .groups()
        .iter()
        .map(|g| SynonymGroupView { id: None, terms: g.clone() })
        .collect();
    let added = state.db.synonym_groups().await.map_err(from_db)?;
    out.extend(added.into_iter().map(|g| SynonymGroupView { id: Some(g.id), terms: g.terms }));
    Ok(out)
}

/// A province admin adds a synonym group; matching uses it at once, no rebuild needed.
pub async fn add_synonym_group(state: &AppState, admin: &User, terms: &[String]) -> Result<SynonymGroupView> {
    if admin.admin_scope() != Some(regions().province().code.as_str()) {
        return Err(Error::new(kejiyun_domain::Code::Forbidden, "同义词表由省级管理员维护"));
    }
    let group = kejiyun_domain::synonyms::validate_group(terms)?;
    let id = state.db.add_synonym_group(&group, admin.id).await.map_err(from_db)?;
    state.reload_synonyms().await.map_err(from_db)?;
    Ok(SynonymGroupView { id: Some(id), terms: group })
}
