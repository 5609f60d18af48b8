//! Why a suggested match was made (匹配理由), in words users read. The ranking itself is done by
//! the search engine; these reasons are computed from the two items so they are always true.

use crate::item::{Item, ItemKind};
use crate::region::{RegionLevel, regions};

/// Items this similar (character-bigram Jaccard of title and description) are flagged as possible
/// duplicates at submission.
pub const DUPLICATE_SIMILARITY: f64 = 0.6;

/// Character-bigram Jaccard similarity of two texts, 0.0–1.0 (punctuation and blanks ignored).
pub fn similarity(a: &str, b: &str) -> f64 {
    fn bigrams(text: &str) -> std::collections::HashSet<(char, char)> {
        let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
        chars.windows(2).map(|w| (w[0], w[1])).collect()
    }
    let (x, y) = (bigrams(a), bigrams(b));
    let union = x.union(&y).count();
    if union == 0 { 0.0 } else { x.intersection(&y).count() as f64 / union as f64 }
}

/// The text two items are compared by for duplicates.
pub fn duplicate_text(item: &Item) -> String {
    format!("{} {}", item.title, item.description)
}

/// Whether a new match is strong enough to tell the other item's owner about: the same industry
/// and at least one shared keyword.
pub fn worth_notifying(reasons: &[String]) -> bool {
    reasons.iter().any(|r| r.starts_with("同属")) && reasons.iter().any(|r| r.starts_with("关键词"))
}

/// A gentle preference for recently published items: ×1.10 when new, fading with a half-life of
/// 180 days to ×1.0. Recency orders near-equals; it never outweighs relevance.
pub fn freshness_factor(age_days: f64) -> f32 {
    (1.0 + 0.1 * 0.5f64.powf(age_days.max(0.0) / 180.0)) as f32
}

/// A modest preference for experts with a record of completed services (orders that reached
/// 已完成 after they agreed to help): +3% per service, at most +15%. Proven helpers rise among
/// near-equals; relevance still decides.
pub fn track_record_factor(completed_services: i64) -> f32 {
    1.0 + 0.03 * completed_services.clamp(0, 5) as f32
}

/// The reason shown for an expert's record, if there is one.
pub fn track_record_reason(completed_services: i64) -> Option<String> {
    (completed_services > 0).then(|| format!("已完成科服对接{completed_services}单"))
}

/// Words with which a need asks for someone nearby (on-site work, local service).
pub const LOCAL_WORDS: [&str; 10] = ["本地", "当地", "上门", "现场", "驻厂", "就近", "附近", "本市", "本县", "来厂"];

/// Whether an item asks for local service: the 驻厂服务 mode, or saying so in its text. Matches
/// for such items favour the same county, then the same city.
pub fn wants_local_service(item: &Item) -> bool {
    item.modes.contains(&crate::item::Mode::Onsite)
        || LOCAL_WORDS.iter().any(|w| item.title.contains(w) || item.description.contains(w))
}

/// Region boosts for a match query from `region_code`: (code, bonus) for its county and city.
pub fn local_boosts(region_code: &str, bonus: f32) -> Vec<(String, f32)> {
    regions()
        .path(region_code)
        .iter()
        .filter(|r| r.level != RegionLevel::Province)
        .map(|r| (r.code.clone(), bonus))
        .collect()
}

/// Reasons a `target` item was suggested for `source`, most telling first.
pub fn reasons(source: &Item, target: &Item) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(a), Some(b)) = (&source.industry, &target.industry)
        && a == b
    {
        out.push(format!("同属{a}行业"));
    }
    let shared = shared_terms(source, target);
    if !shared.is_empty() {
        out.push(format!("关键词：{}", shared.join("、")));
    }
    let modes: Vec<&str> = source.modes.iter().filter(|m| target.modes.contains(m)).map(|m| m.label()).collect();
    if !modes.is_empty() {
        out.push(format!("合作方式相符：{}", modes.join("、")));
    }
    if let Some(r) = region_relation(&source.region_code, &target.region_code) {
        out.push(r);
    }
    out
}

/// Keywords of either item that the other item mentions.
fn shared_terms(a: &Item, b: &Item) -> Vec<String> {
    let text = |i: &Item| format!("{} {} {}", i.title, i.keywords.join(" "), i.description);
    let (text_a, text_b) = (text(a), text(b));
    let mut out: Vec<String> = Vec::new();
    let candidates = a.keywords.iter().filter(|k| text_b.contains(k.as_str()));
    let candidates = candidates.chain(b.keywords.iter().filter(|k| text_a.contains(k.as_str())));
    for k in candidates {
        if !out.contains(k) && out.len() < 5 {
            out.push(k.clone());
        }
    }
    out
}

/// "同在荣县" / "同在自贡市" when the two regions share a county or a city.
pub fn region_relation(a: &str, b: &str) -> Option<String> {
    let tree = regions();
    let (pa, pb) = (tree.path(a), tree.path(b));
    let common = pa.iter().zip(pb.iter()).take_while(|(x, y)| x.code == y.code).last().map(|(x, _)| *x)?;
    match common.level {
        RegionLevel::County | RegionLevel::Prefecture => Some(format!("同在{}", common.name)),
        RegionLevel::Province => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::{ItemKind, ItemStatus, Mode};

    #[test]
    fn reasons_name_industry_terms_modes_and_place() {
        let need = Item {
            industry: Some("白酒".into()),
            keywords: vec!["酒糟".into(), "饲料".into()],
            title: "酒糟堆在厂里发臭怎么处理".into(),
            modes: vec![Mode::Development, Mode::Consulting],
            ..Item::sample(ItemKind::Need, 1, "510321", ItemStatus::Published)
        };
        let offer = Item {
            industry: Some("白酒".into()),
            keywords: vec!["固态发酵".into()],
            title: "白酒糟固态发酵饲料化技术".into(),
            modes: vec![Mode::Development],
            ..Item::sample(ItemKind::Capability, 2, "510302", ItemStatus::Published)
        };
        assert_eq!(
            reasons(&need, &offer),
            vec!["同属白酒行业", "关键词：酒糟、饲料", "合作方式相符：技术开发", "同在自贡市"]
        );
        let far = Item { industry: Some("锂电".into()), keywords: vec![], modes: vec![], ..offer.clone() };
        let far = Item { region_code: "510104".into(), title: "正极材料".into(), ..far };
        assert!(reasons(&need, &far).is_empty());
        assert_eq!(region_relation("510321", "510321").as_deref(), Some("同在荣县"));
        assert_eq!(region_relation("510321", "510104"), None);
    }

    #[test]
    fn freshness_decays_gently() {
        assert!((freshness_factor(0.0) - 1.1).abs() < 1e-6);
        assert!((freshness_factor(180.0) - 1.05).abs() < 1e-6);
        assert!(freshness_factor(3650.0) < 1.0001 && freshness_factor(-5.0) <= 1.1);
    }

    #[test]
    fn similarity_spots_reworded_copies() {
        let a = "白酒丢糟资源化利用技术需求 我公司每年产生大量白酒丢糟，希望寻求饲料化技术。";
        let b = "白酒丢糟资源化利用技术需求！我公司每年产生大量白酒丢糟，希望寻求饲料化的技术。";
        let c = "锂电池正极材料 磷酸铁锂的制备工艺优化。";
        assert!(similarity(a, b) > DUPLICATE_SIMILARITY);
        assert!(similarity(a, c) < 0.1);
        assert_eq!(similarity("", ""), 0.0);
        assert!(worth_notifying(&["同属白酒行业".into(), "关键词：酒糟".into()]));
        assert!(!worth_notifying(&["同属白酒行业".into(), "同在自贡市".into()]));
    }

    #[test]
    fn local_service_is_recognised_and_boosted_by_county_and_city() {
        let mut need = Item::sample(ItemKind::Need, 1, "510321", ItemStatus::Published);
        assert!(!wants_local_service(&need));
        need.description = "希望有专家能上门指导".into();
        assert!(wants_local_service(&need));
        need.description = "远程咨询即可".into();
        need.modes = vec![Mode::Onsite];
        assert!(wants_local_service(&need));
        assert_eq!(local_boosts("510321", 2.0), vec![("510300".to_string(), 2.0), ("510321".to_string(), 2.0)]);
        assert!(local_boosts("510000", 2.0).is_empty());
    }

    #[test]
    fn track_record_lifts_gently_and_is_capped() {
        assert_eq!(track_record_factor(0), 1.0);
        assert!(track_record_factor(1) > 1.0);
        assert_eq!(track_record_factor(5), track_record_factor(50));
        assert!(track_record_factor(50) <= 1.15 + f32::EPSILON);
        assert_eq!(track_record_reason(0), None);
        assert_eq!(track_record_reason(2).as_deref(), Some("已完成科服对接2单"));
    }
}

/// What a suggestion is: an item of one of the three kinds, or an expert (a person whose
/// capabilities answer a need).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    Need,
    Capability,
    Achievement,
    Expert,
}

impl From<ItemKind> for MatchKind {
    fn from(k: ItemKind) -> Self {
        match k {
            ItemKind::Need => MatchKind::Need,
            ItemKind::Capability => MatchKind::Capability,
            ItemKind::Achievement => MatchKind::Achievement,
        }
    }
}

impl MatchKind {
    pub fn label(self) -> &'static str {
        match self {
            MatchKind::Need => ItemKind::Need.label(),
            MatchKind::Capability => ItemKind::Capability.label(),
            MatchKind::Achievement => ItemKind::Achievement.label(),
            MatchKind::Expert => "专家",
        }
    }
}

/// One suggested match (智能匹配) with its score and reasons.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub kind: MatchKind,
    /// The item's id, or the expert's user id.
    pub id: i64,
    /// The item's title, or the expert's name with title and employer.
    pub title: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub region_code: String,
    pub score: f32,
    /// 匹配理由, e.g. "同属白酒行业", "关键词：酒糟、饲料", "同在自贡市".
    pub reasons: Vec<String>,
    /// Where to read more: the item, or the expert's best-matching capability.
    pub link: String,
}

/// What an item of `kind` is matched with: needs ↔ capabilities, achievements (and experts); the
/// item's own kind gives similar items.
pub fn match_targets(kind: ItemKind) -> &'static [MatchKind] {
    match kind {
        ItemKind::Need => &[MatchKind::Capability, MatchKind::Achievement, MatchKind::Expert, MatchKind::Need],
        ItemKind::Capability => &[MatchKind::Need, MatchKind::Capability],
        ItemKind::Achievement => &[MatchKind::Need, MatchKind::Achievement],
    }
}
