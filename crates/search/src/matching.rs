//! The ranker of 智能匹配: how an item becomes its match queries, and how the hits of those
//! queries become the ranked suggestion list. Pure functions, no I/O: the server
//! (`/api/v1/{kind}/{id}/matches`, service orders' suggestions), `kejiyun match eval` and
//! `kejiyun bench match` all call exactly these, so the published quality and speed figures are
//! the shipped ranker's.
//!
//! A match list is computed in three steps:
//! 1. [`match_queries`]: one [`SearchQuery`] per target kind (text, synonym expansions, kind
//!    filter, preferred industry, region boosts for local service, weights, over-fetch);
//! 2. the caller runs them on its index and loads the hit items it may show (the server: published
//!    and not expired, from its read cache or storage);
//! 3. [`rank_matches`]: freshness, self-exclusion, reasons, one list best first, cut at the limit.

use std::collections::HashMap;

use kejiyun_domain::matching::{MatchKind, Suggestion, freshness_factor, local_boosts, reasons, wants_local_service};
use kejiyun_domain::synonyms::Synonyms;
use kejiyun_domain::time::{Timestamp, to_millis};
use kejiyun_domain::{Item, ItemKind, regions};

use crate::{IndexDoc, SearchHits, SearchQuery, Weights};

/// What the index stores of an item (the same document for the server's index and for the
/// throw-away indexes of `match eval` and tests).
pub fn index_doc(item: &Item) -> IndexDoc {
    IndexDoc {
        id: item.id as u64,
        kind: item.kind.code().to_string(),
        title: item.title.clone(),
        keywords: item.keywords.clone(),
        description: item.description.clone(),
        industry: item.industry.clone(),
        region_path: regions().path(&item.region_code).iter().map(|r| r.code.clone()).collect(),
        achievement_type: item.achievement_type.map(|t| t.code().to_string()),
        modes: item.modes.iter().map(|m| m.code().to_string()).collect(),
        published_at: item.published_at.map(to_millis).unwrap_or_default(),
    }
}

/// The item kinds a match list holds when no kind is asked for: capabilities and achievements for
/// a need, needs for an offer.
pub fn default_targets(source: ItemKind) -> &'static [ItemKind] {
    match source {
        ItemKind::Need => &[ItemKind::Capability, ItemKind::Achievement],
        ItemKind::Capability | ItemKind::Achievement => &[ItemKind::Need],
    }
}

/// The item kind searched for suggestions of `target` (experts are found through capabilities).
pub fn target_kind(target: MatchKind) -> ItemKind {
    match target {
        MatchKind::Need => ItemKind::Need,
        MatchKind::Capability | MatchKind::Expert => ItemKind::Capability,
        MatchKind::Achievement => ItemKind::Achievement,
    }
}

/// The text an item is matched by: title, keywords and description.
pub fn match_text(item: &Item) -> String {
    format!("{} {} {}", item.title, item.keywords.join(" "), item.description)
}

/// Hits asked of the index for a list of `limit`: a few more, so that freshness can reorder
/// near-equals at the cut.
pub const fn over_fetch(limit: usize) -> usize {
    limit + limit / 2 + 1
}

/// The queries for a match list of `source` (any item, also one built from a service order's
/// text): one per kind of `targets`, in that order. The server passes [`Weights::MATCHING`];
/// `match eval` may try others. A source that asks for local service
/// ([`wants_local_service`]: the 驻厂服务 mode, or 上门/本地… in its text) favours items of its
/// county and city.
pub fn match_queries(
    source: &Item,
    targets: &[ItemKind],
    synonyms: &Synonyms,
    weights: Weights,
    limit: usize,
) -> Vec<SearchQuery> {
    let text = match_text(source);
    let expansions = synonyms.expand(&text);
    let near = if wants_local_service(source) { local_boosts(&source.region_code, weights.local) } else { Vec::new() };
    targets
        .iter()
        .map(|target| SearchQuery {
            text: text.clone(),
            expansions: expansions.clone(),
            kind: Some(target.code().to_string()),
            prefer_industry: source.industry.clone(),
            prefer_regions: near.clone(),
            limit: over_fetch(limit),
            weights,
            ..Default::default()
        })
        .collect()
}

/// The match list of `source` from the hits of its [`match_queries`] (`hits[i]` answers query
/// `i`) and the hit items the caller may show (`items`, any order; a hit without its item is left
/// out — unpublished or expired since it was indexed). Each hit's score is weighted by the item's
/// freshness at `now`, the source itself is never suggested, each target's list is cut at `limit`
/// and the lists are merged best first (equal scores keep the index's order) and cut at `limit`.
pub fn rank_matches(
    source: &Item,
    hits: &[SearchHits],
    items: &[Item],
    now: Timestamp,
    limit: usize,
) -> Vec<Suggestion> {
    let by_id: HashMap<i64, &Item> = items.iter().map(|i| (i.id, i)).collect();
    let mut merged: Vec<Suggestion> = Vec::new();
    for list in hits {
        let mut found: Vec<Suggestion> = list
            .hits
            .iter()
            .filter_map(|(id, score)| Some((by_id.get(&(*id as i64)).copied()?, *score)))
            .filter(|(item, _)| item.id != source.id)
            .map(|(item, score)| suggestion(source, item, score, now))
            .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        found.truncate(limit);
        merged.extend(found);
    }
    merged.sort_by(|a, b| b.score.total_cmp(&a.score));
    merged.truncate(limit);
    merged
}

fn suggestion(source: &Item, item: &Item, score: f32, now: Timestamp) -> Suggestion {
    let age_days = (now - item.published_at.unwrap_or(now)).num_seconds() as f64 / 86_400.0;
    Suggestion {
        kind: item.kind.into(),
        id: item.id,
        title: item.title.clone(),
        owner_id: item.owner_id,
        owner_name: item.owner_name.clone(),
        region_code: item.region_code.clone(),
        score: score * freshness_factor(age_days),
        reasons: reasons(source, item),
        link: format!("/{}/{}", item.kind.slug(), item.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kejiyun_domain::ItemStatus;
    use kejiyun_domain::item::Mode;

    fn item(kind: ItemKind, id: i64, region: &str, title: &str) -> Item {
        Item { id, title: title.into(), ..Item::sample(kind, 1, region, ItemStatus::Published) }
    }

    #[test]
    fn queries_carry_text_synonyms_kind_industry_and_local_boosts() {
        let synonyms = Synonyms::shipped();
        let mut need = Item {
            industry: Some("白酒".into()),
            keywords: vec!["酒糟".into()],
            description: "蒸馏设备常坏".into(),
            ..item(ItemKind::Need, 1, "510321", "设备维修")
        };
        let queries = match_queries(&need, default_targets(need.kind), &synonyms, Weights::MATCHING, 10);
        assert_eq!(queries.len(), 2);
        assert_eq!(queries[0].kind.as_deref(), Some("capability"));
        assert_eq!(queries[1].kind.as_deref(), Some("achievement"));
        assert_eq!(queries[0].text, "设备维修 酒糟 蒸馏设备常坏");
        assert_eq!(queries[0].expansions, synonyms.expand(&queries[0].text));
        assert_eq!(queries[0].prefer_industry.as_deref(), Some("白酒"));
        assert_eq!((queries[0].limit, queries[0].weights), (16, Weights::MATCHING));
        assert!(queries[0].prefer_regions.is_empty(), "no local service asked for");

        // The 驻厂服务 mode alone asks for local service, as does 上门 in the text.
        need.modes = vec![Mode::Onsite];
        let local = vec![("510300".to_string(), 3.0), ("510321".to_string(), 3.0)];
        let queries = match_queries(&need, &[ItemKind::Capability], &synonyms, Weights::MATCHING, 10);
        assert_eq!(queries[0].prefer_regions, local);
        need.modes.clear();
        need.description = "希望专家上门".into();
        let queries = match_queries(&need, &[ItemKind::Capability], &synonyms, Weights::MATCHING, 10);
        assert_eq!(queries[0].prefer_regions, local);
    }

    #[test]
    fn ranking_weighs_freshness_excludes_the_source_and_merges_lists() {
        let now = kejiyun_domain::time::now();
        let need = item(ItemKind::Need, 1, "510321", "需求");
        let days_ago = |days: i64| kejiyun_domain::time::from_millis(to_millis(now) - days * 86_400_000);
        let published = |days: i64, it: Item| Item { published_at: Some(days_ago(days)), ..it };
        let fresh = published(0, item(ItemKind::Capability, 2, "510104", "新能力"));
        let old = published(720, item(ItemKind::Capability, 3, "510104", "旧能力"));
        let achievement = published(0, item(ItemKind::Achievement, 4, "510104", "成果"));
        let capabilities = SearchHits { hits: vec![(1, 9.0), (3, 5.2), (2, 5.0), (99, 4.0)], total: 4 };
        let achievements = SearchHits { hits: vec![(4, 5.1)], total: 1 };
        let items = [need.clone(), fresh, old, achievement];
        let found = rank_matches(&need, &[capabilities.clone(), achievements.clone()], &items, now, 10);
        let ids: Vec<i64> = found.iter().map(|s| s.id).collect();
        // 5.0 × 1.1 (new) > 5.1 × 1.1 > 5.2 × ~1.006 (two years old); the source and the
        // unloaded hit 99 are left out.
        assert_eq!(ids, vec![4, 2, 3]);
        assert_eq!(found[0].link, "/achievements/4");
        assert_eq!(found[0].kind, MatchKind::Achievement);
        let cut = rank_matches(&need, &[capabilities, achievements], &items, now, 2);
        assert_eq!(cut.iter().map(|s| s.id).collect::<Vec<_>>(), vec![4, 2]);
    }

    #[test]
    fn index_docs_carry_the_region_path_and_modes() {
        let mut it = item(ItemKind::Capability, 7, "510321", "能力");
        it.modes = vec![Mode::Onsite];
        let doc = index_doc(&it);
        assert_eq!((doc.id, doc.kind.as_str()), (7, "capability"));
        assert_eq!(doc.region_path, vec!["510000", "510300", "510321"], "province first, as the server indexes it");
        assert_eq!(doc.modes, vec!["onsite"]);
    }
}
