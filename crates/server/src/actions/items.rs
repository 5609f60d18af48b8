//! Publishing, editing, review and closing of needs, capabilities and achievements, and the
//! public lists and search over them.

use std::sync::Arc;

use kejiyun_db::items::{ItemFilter, Transition, VersionedItem};
use kejiyun_domain::item::{AchievementType, ItemAction, ItemContent, Mode, check_submittable};
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::time::today;
use kejiyun_domain::user::required_text;
use kejiyun_domain::{Error, Item, ItemInput, ItemKind, ItemStatus, User, policy, regions};
use kejiyun_search::SearchQuery;

use super::Result;
use crate::error::{from_db, from_search};
use crate::indexing;
use crate::state::AppState;

async fn load(state: &AppState, kind: ItemKind, id: i64) -> Result<VersionedItem> {
    state.db.item_of_kind(kind, id).await.map_err(from_db)?.ok_or_else(Error::not_found)
}

async fn reload(state: &AppState, id: i64) -> Result<Item> {
    let item = state.db.item(id).await.map_err(from_db)?.ok_or_else(Error::not_found)?.item;
    indexing::sync(state, &item).await?;
    Ok(item)
}

/// Creates an item as a draft, or sends it straight to review when `submit`.
pub async fn create(state: &AppState, user: &User, kind: ItemKind, input: ItemInput, submit: bool) -> Result<Item> {
    policy::require_publisher(user, kind)?;
    state.limits.publishing(user.id)?;
    if input.title.is_none() {
        return Err(Error::field("title", "请填写标题"));
    }
    if input.description.is_none() {
        return Err(Error::field("description", "请填写描述"));
    }
    let base = ItemContent { region_code: user.region_code.clone(), ..Default::default() };
    let content = input.apply(kind, base, today())?;
    if submit {
        check_submittable(kind, &content, today())?;
    }
    let status = if submit { ItemStatus::Pending } else { ItemStatus::Draft };
    let id = state.db.create_item(kind, user.id, &content, status).await.map_err(from_db)?;
    let item = reload(state, id).await?;
    if submit {
        return flag_duplicate(state, item).await;
    }
    Ok(item)
}

/// The item if the viewer may see it (403/404 otherwise). Published items are served from the
/// read cache, except to their owner and admins, who always see the stored row.
pub async fn get(state: &AppState, viewer: Option<&User>, kind: ItemKind, id: i64) -> Result<Item> {
    let privileged =
        |item: &Item| viewer.is_some_and(|u| u.id == item.owner_id || policy::admin_covers(u, &item.region_code));
    if let Some(item) = state.cache.item(id).filter(|i| i.kind == kind && !privileged(i)) {
        policy::check_view(viewer, &item)?;
        return Ok(Item::clone(&item));
    }
    let generation = state.cache.generation();
    let v = load(state, kind, id).await?;
    policy::check_view(viewer, &v.item)?;
    if v.item.status == ItemStatus::Published {
        state.cache.put_item(generation, Arc::new(v.item.clone()));
    }
    Ok(v.item)
}

/// Edits an item; a published item goes back to review.
pub async fn update(state: &AppState, user: &User, kind: ItemKind, id: i64, input: ItemInput) -> Result<Item> {
    let v = load(state, kind, id).await?;
    policy::check_owner(user, &v.item)?;
    let next = v.item.status.after(ItemAction::Edit)?;
    let content = input.apply(kind, v.item.content(), today())?;
    state.db.update_item_content(&v, &content, next, user.id).await.map_err(from_db)?;
    let item = reload(state, id).await?;
    if item.status == ItemStatus::Pending { flag_duplicate(state, item).await } else { Ok(item) }
}

pub async fn submit(state: &AppState, user: &User, kind: ItemKind, id: i64) -> Result<Item> {
    let v = load(state, kind, id).await?;
    policy::check_owner(user, &v.item)?;
    let to = v.item.status.after(ItemAction::Submit)?;
    check_submittable(kind, &v.item.content(), today())?;
    let tr = Transition {
        item: &v,
        action: ItemAction::Submit,
        to,
        actor_id: Some(user.id),
        reason: None,
        notify_owner: None,
    };
    state.db.transition_item(tr).await.map_err(from_db)?;
    reload(state, id).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

/// An admin approves or rejects a pending item of its region; rejecting needs a reason.
pub async fn review(
    state: &AppState,
    admin: &User,
    kind: ItemKind,
    id: i64,
    decision: Decision,
    reason: Option<String>,
) -> Result<Item> {
    let v = load(state, kind, id).await?;
    policy::check_review(admin, &v.item)?;
    let (action, title) = match decision {
        Decision::Approve => (ItemAction::Approve, "发布内容已审核通过"),
        Decision::Reject => (ItemAction::Reject, "发布内容被退回"),
    };
    let to = v.item.status.after(action)?;
    let reason = match (decision, reason) {
        (Decision::Reject, r) => Some(required_text("reason", "退回理由", r.as_deref().unwrap_or(""), 2, 500)?),
        (Decision::Approve, r) => r.map(|r| r.trim().to_string()).filter(|r| !r.is_empty()),
    };
    let body = match decision {
        Decision::Approve => format!("您的{}“{}”已审核通过并公开发布。", kind.label(), v.item.title),
        Decision::Reject => format!(
            "您的{}“{}”被退回，理由：{}。请修改后重新提交。",
            kind.label(),
            v.item.title,
            reason.as_deref().unwrap_or_default()
        ),
    };
    let tr = Transition {
        item: &v,
        action,
        to,
        actor_id: Some(admin.id),
        reason: reason.as_deref(),
        notify_owner: Some((title, &body)),
    };
    state.db.transition_item(tr).await.map_err(from_db)?;
    let item = reload(state, id).await?;
    if item.status == ItemStatus::Published {
        notify_matches(state, &item).await?;
    }
    Ok(item)
}

/// Looks for a published item of the same kind, by the same owner or in the same city, that the
/// item (just sent to review) nearly repeats, and records it so the owner and the reviewing admin
/// see "可能与已发布的…重复" (duplicates inflate the platform's counts).
async fn flag_duplicate(state: &AppState, item: Item) -> Result<Item> {
    use kejiyun_domain::matching::{DUPLICATE_SIMILARITY, duplicate_text, similarity};
    let text = duplicate_text(&item);
    let query =
        SearchQuery { text: text.clone(), kind: Some(item.kind.code().to_string()), limit: 10, ..Default::default() };
    let hits = run_search(state, query).await?;
    let ids: Vec<i64> = hits.hits.iter().map(|(id, _)| *id as i64).filter(|id| *id != item.id).collect();
    let city = |code: &str| code.get(..4).map(str::to_string);
    let best = state
        .db
        .items_by_ids(&ids)
        .await
        .map_err(from_db)?
        .into_iter()
        .filter(|other| other.owner_id == item.owner_id || city(&other.region_code) == city(&item.region_code))
        .map(|other| (similarity(&text, &duplicate_text(&other)), other.id))
        .filter(|(score, _)| *score >= DUPLICATE_SIMILARITY)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, id)| id);
    if best != item.duplicate_of {
        state.db.set_duplicate_of(item.id, best).await.map_err(from_db)?;
    }
    Ok(Item { duplicate_of: best, ..item })
}

/// Tells the owners of items that a newly published item matches theirs well (same industry and
/// a shared keyword), once per pair.
async fn notify_matches(state: &AppState, item: &Item) -> Result<()> {
    let found = matches(state, None, item.kind, item.id, None, 5).await?;
    for m in
        found.iter().filter(|m| m.owner_id != item.owner_id && kejiyun_domain::matching::worth_notifying(&m.reasons))
    {
        let title = format!("您的{}有新的匹配", m.kind.label());
        let body = format!(
            "新发布的{}“{}”与您的“{}”相关（{}）。",
            item.kind.label(),
            item.title,
            m.title,
            m.reasons.join("；")
        );
        let link = format!("/{}/{}", item.kind.slug(), item.id);
        state.db.notify_match_once(m.owner_id, item.id, m.id, &title, &body, &link).await.map_err(from_db)?;
    }
    Ok(())
}

pub async fn close(state: &AppState, user: &User, kind: ItemKind, id: i64, reason: Option<String>) -> Result<Item> {
    let v = load(state, kind, id).await?;
    policy::check_close(user, &v.item)?;
    let to = v.item.status.after(ItemAction::Close)?;
    let reason = kejiyun_domain::user::optional_text("reason", reason, 500)?;
    let by_admin = user.id != v.item.owner_id;
    let body = format!("您的{}“{}”已被管理员关闭。", kind.label(), v.item.title);
    let tr = Transition {
        item: &v,
        action: ItemAction::Close,
        to,
        actor_id: Some(user.id),
        reason: reason.as_deref(),
        notify_owner: by_admin.then_some(("发布内容已关闭", body.as_str())),
    };
    state.db.transition_item(tr).await.map_err(from_db)?;
    reload(state, id).await
}

/// The owner confirms a published item is still open (answers the 180-day question).
pub async fn confirm(state: &AppState, user: &User, kind: ItemKind, id: i64) -> Result<Item> {
    let v = load(state, kind, id).await?;
    policy::check_owner(user, &v.item)?;
    let to = v.item.status.after(ItemAction::Confirm)?;
    let tr = Transition {
        item: &v,
        action: ItemAction::Confirm,
        to,
        actor_id: Some(user.id),
        reason: None,
        notify_owner: None,
    };
    state.db.transition_item(tr).await.map_err(from_db)?;
    reload(state, id).await
}

/// The state history of an item, for its owner and the admins of its region.
pub async fn history(
    state: &AppState,
    user: &User,
    kind: ItemKind,
    id: i64,
) -> Result<Vec<kejiyun_db::audit::AuditEntry>> {
    let v = load(state, kind, id).await?;
    if user.id != v.item.owner_id && !policy::admin_covers(user, &v.item.region_code) {
        return Err(policy::hidden(Some(user)));
    }
    state.db.audit_trail(kind.code(), id).await.map_err(from_db)
}

/// Filters of the public lists (API query string and page forms alike).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Chinese full-text search.
    pub q: Option<String>,
    /// Region code at any level; its whole subtree is included.
    pub region: Option<String>,
    pub industry: Option<String>,
    /// Achievements: type code (e.g. `invention_patent`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub achievement_type: Option<String>,
    /// Cooperation / service / transfer mode code (e.g. `development`).
    pub mode: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

fn blank_to_none(v: &Option<String>) -> Option<String> {
    v.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Published items of a kind (or all kinds), by search relevance when `q` is given, else newest first.
pub async fn list_public(state: &AppState, kind: Option<ItemKind>, q: &ListQuery) -> Result<Page<Item>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    let region = match blank_to_none(&q.region) {
        Some(code) => Some(regions().require(&code).map_err(|e| e.with_field("region"))?),
        None => None,
    };
    let achievement_type = match blank_to_none(&q.achievement_type) {
        Some(t) => Some(AchievementType::parse(&t).ok_or_else(|| Error::field("type", "成果类型不正确"))?),
        None => None,
    };
    let mode = match blank_to_none(&q.mode) {
        Some(m) => Some(Mode::parse(&m).ok_or_else(|| Error::field("mode", "合作方式不正确"))?),
        None => None,
    };
    let industry = blank_to_none(&q.industry);
    let text = blank_to_none(&q.q);
    if let Some(text) = text {
        if text.chars().count() > 100 {
            return Err(Error::field("q", "搜索词不能超过100个字"));
        }
        let query = SearchQuery {
            text,
            kind: kind.map(|k| k.code().to_string()),
            region: region.map(|r| r.code.clone()),
            industry,
            achievement_type: achievement_type.map(|t| t.code().to_string()),
            mode: mode.map(|m| m.code().to_string()),
            offset: page.offset() as usize,
            limit: page.per_page as usize,
            prefer_industry: None,
            prefer_regions: Vec::new(),
            expansions: Vec::new(),
            weights: Default::default(),
        };
        let hits = run_search(state, query).await?;
        let ids: Vec<i64> = hits.hits.iter().map(|(id, _)| *id as i64).collect();
        let items = published_items(state, &ids).await?;
        return Ok(Page::new(items, hits.total as i64, page));
    }
    let filter = ItemFilter {
        kind,
        statuses: vec![ItemStatus::Published],
        region_prefix: region.map(|r| r.subtree_prefix().to_string()),
        industry,
        achievement_type,
        mode,
        owner_id: None,
    };
    state.db.list_items(&filter, page).await.map_err(from_db)
}

/// The caller's own items of every state.
pub async fn list_mine(
    state: &AppState,
    user: &User,
    kind: Option<ItemKind>,
    status: Option<ItemStatus>,
    page: PageRequest,
) -> Result<Page<Item>> {
    let filter =
        ItemFilter { kind, statuses: status.into_iter().collect(), owner_id: Some(user.id), ..Default::default() };
    state.db.list_items(&filter, page).await.map_err(from_db)
}

/// Pending items in the admin's region subtree, oldest first.
pub async fn review_queue(state: &AppState, admin: &User, page: PageRequest) -> Result<Page<Item>> {
    let scope = admin.admin_scope().ok_or_else(Error::forbidden)?;
    let region = regions().require(scope)?;
    state.db.review_queue(region.subtree_prefix(), page).await.map_err(from_db)
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
    let key = crate::cache::SuggestionKey { source_id: id, target, limit };
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

/// The items of `ids` (search hits, in their order) that are published and not expired, from the
/// read cache where it has them. The index may briefly lag the database; the rows decide.
async fn published_items(state: &AppState, ids: &[i64]) -> Result<Vec<Item>> {
    let mut found: Vec<Option<Item>> = ids.iter().map(|id| state.cache.item(*id).map(|i| Item::clone(&i))).collect();
    let missing: Vec<i64> = ids.iter().zip(&found).filter(|(_, f)| f.is_none()).map(|(id, _)| *id).collect();
    if !missing.is_empty() {
        let generation = state.cache.generation();
        for item in state.db.items_by_ids(&missing).await.map_err(from_db)? {
            if item.status == ItemStatus::Published {
                state.cache.put_item(generation, Arc::new(item.clone()));
            }
            if let Some(slot) = ids.iter().position(|id| *id == item.id).and_then(|at| found.get_mut(at)) {
                *slot = Some(item);
            }
        }
    }
    let today = today();
    Ok(found.into_iter().flatten().filter(|i| i.status == ItemStatus::Published && !i.is_expired(today)).collect())
}

/// Runs a query on the blocking pool (ranking is CPU work) and maps its failure.
async fn run_search(state: &AppState, query: SearchQuery) -> Result<kejiyun_search::SearchHits> {
    let search = state.search.clone();
    tokio::task::spawn_blocking(move || search.search(&query))
        .await
        .map_err(|_| Error::internal())?
        .map_err(from_search)
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
