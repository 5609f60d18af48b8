//! 智能匹配: published items (or experts) that answer an item, ranked by the search engine with
//! the matching weights and explained by reasons; the synonym groups that widen its queries.

use std::sync::Arc;

use kejiyun_domain::matching::{MatchKind, Suggestion, match_targets};
use kejiyun_domain::{Error, Item, ItemKind, User, regions};
use kejiyun_search::SearchQuery;

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
    let targets: Vec<MatchKind> = match target {
        Some(t) if match_targets(kind).contains(&t) => vec![t],
        Some(t) => {
            return Err(Error::field("kind", format!("{}不与{}匹配", kind.label(), t.label())));
        }
        // By default the other side: offers for a need, needs for an offer.
        None => match kind {
            ItemKind::Need => vec![MatchKind::Capability, MatchKind::Achievement],
            ItemKind::Capability | ItemKind::Achievement => vec![MatchKind::Need],
        },
    };
    if targets == [MatchKind::Expert] {
        return matching_experts(state, source, limit).await;
    }
    let mut found = Vec::new();
    for t in targets {
        let item_kind = match t {
            MatchKind::Need => ItemKind::Need,
            MatchKind::Capability | MatchKind::Expert => ItemKind::Capability,
            MatchKind::Achievement => ItemKind::Achievement,
        };
        found.extend(matching_items(state, source, item_kind, limit as usize).await?);
    }
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    found.truncate(limit as usize);
    Ok(found)
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
        MatchKind::Need => matching_items(state, source, ItemKind::Need, limit as usize).await,
        MatchKind::Capability => matching_items(state, source, ItemKind::Capability, limit as usize).await,
        MatchKind::Achievement => matching_items(state, source, ItemKind::Achievement, limit as usize).await,
    }
}

/// Published items of `target` kind answering `source`, best first.
async fn matching_items(state: &AppState, source: &Item, target: ItemKind, limit: usize) -> Result<Vec<Suggestion>> {
    let text = format!("{} {} {}", source.title, source.keywords.join(" "), source.description);
    let weights = kejiyun_search::Weights::MATCHING;
    let near = if kejiyun_domain::matching::wants_local_service(source) {
        kejiyun_domain::matching::local_boosts(&source.region_code, weights.local)
    } else {
        Vec::new()
    };
    let query = SearchQuery {
        expansions: state.synonyms().expand(&text),
        text,
        kind: Some(target.code().to_string()),
        prefer_industry: source.industry.clone(),
        prefer_regions: near,
        // A few more than asked, so that freshness can reorder near-equals at the cut.
        limit: limit + limit / 2 + 1,
        weights,
        ..Default::default()
    };
    let hits = run_search(state, query).await?;
    let ids: Vec<i64> = hits.hits.iter().map(|(id, _)| *id as i64).collect();
    let items = published_items(state, &ids).await?;
    let now = kejiyun_domain::time::now();
    let mut found: Vec<Suggestion> = items
        .into_iter()
        .filter(|i| i.id != source.id)
        .map(|i| Suggestion {
            kind: i.kind.into(),
            id: i.id,
            score: hits.hits.iter().find(|(id, _)| *id as i64 == i.id).map_or(0.0, |s| s.1)
                * kejiyun_domain::matching::freshness_factor(
                    (now - i.published_at.unwrap_or(now)).num_seconds() as f64 / 86_400.0,
                ),
            reasons: kejiyun_domain::matching::reasons(source, &i),
            link: format!("/{}/{}", i.kind.slug(), i.id),
            title: i.title,
            owner_id: i.owner_id,
            owner_name: i.owner_name,
            region_code: i.region_code,
        })
        .collect();
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    found.truncate(limit);
    Ok(found)
}

/// Experts whose published capabilities answer `source`, each with its best capability.
async fn matching_experts(state: &AppState, source: &Item, limit: u32) -> Result<Vec<Suggestion>> {
    let offers = matching_items(state, source, ItemKind::Capability, (limit as usize * 3).min(100)).await?;
    let mut out: Vec<Suggestion> = Vec::new();
    for offer in offers {
        if out.len() == limit as usize || out.iter().any(|e| e.id == offer.owner_id) {
            continue;
        }
        let Some(expert) = state.db.user(offer.owner_id).await.map_err(from_db)? else { continue };
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
    if admin.role != kejiyun_domain::Role::Admin {
        return Err(Error::forbidden());
    }
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
