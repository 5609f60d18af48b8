//! Publishing, editing, review and closing of needs, capabilities and achievements, and the
//! public lists and search over them.

use std::sync::Arc;

use kejiyun_db::items::{ItemFilter, Transition, VersionedItem};
use kejiyun_domain::item::{AchievementType, ItemAction, ItemContent, Mode, check_submittable};
use kejiyun_domain::notice::Notice;
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::time::today;
use kejiyun_domain::user::required_text;
use kejiyun_domain::{Error, Item, ItemInput, ItemKind, ItemStatus, User, policy, regions};
use kejiyun_search::SearchQuery;

use crate::features::Result;
use crate::platform::from_db;
use crate::platform::indexing::{self, run_search};
use crate::platform::state::AppState;

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
    state.limits.publishing(user.id).await?;
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
    if let Some(item) = state.cache.item(id).filter(|i| i.kind == kind && !policy::sees_review_notes(viewer, i)) {
        policy::check_view(viewer, &item)?;
        return Ok(Item::clone(&item).for_viewer(viewer));
    }
    let generation = state.cache.generation();
    let v = load(state, kind, id).await?;
    policy::check_view(viewer, &v.item)?;
    if v.item.status == ItemStatus::Published {
        state.cache.put_item(generation, Arc::new(v.item.clone()));
    }
    Ok(v.item.for_viewer(viewer))
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
        notices: Vec::new(),
        tasks: Vec::new(),
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
        notices: vec![item_notice(&v.item, action.code(), title, body)],
        // Owners of items the newly published one matches are told, after the commit.
        tasks: if to == ItemStatus::Published {
            vec![crate::features::matching::tasks::match_notices_task(v.item.id)]
        } else {
            Vec::new()
        },
    };
    state.db.transition_item(tr).await.map_err(from_db)?;
    reload(state, id).await
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

/// A notice to the owner of `item`, linking to it.
pub fn item_notice(item: &Item, kind: &str, title: impl Into<String>, body: impl Into<String>) -> Notice {
    Notice::new(item.owner_id, kind, title, body, format!("/{}/{}", item.kind.slug(), item.id))
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
        notices: if by_admin { vec![item_notice(&v.item, "close", "发布内容已关闭", body)] } else { Vec::new() },
        tasks: Vec::new(),
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
        notices: Vec::new(),
        tasks: Vec::new(),
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
    if user.id != v.item.owner_id && !policy::admin_in_charge(user, &v.item) {
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
        let items = published_items(state, &ids).await?.into_iter().map(|i| i.for_viewer(None)).collect();
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
        owner_region_prefix: None,
    };
    let mut found = state.db.list_items(&filter, page).await.map_err(from_db)?;
    found.items = found.items.into_iter().map(|i| i.for_viewer(None)).collect();
    Ok(found)
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

/// The items of `ids` (search hits, in their order) that are published and not expired, from the
/// read cache where it has them. The index may briefly lag the database; the rows decide.
pub async fn published_items(state: &AppState, ids: &[i64]) -> Result<Vec<Item>> {
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
