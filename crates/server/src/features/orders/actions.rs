//! Service orders (服务单) from opening to rating, proposals with both sides' consent (contacts
//! revealed only then), invitations to experts and the matching suggestions for an order.

use kejiyun_db::orders::{NewOrder, OrderChange, OrderFilter, Side};
use kejiyun_domain::notice::Notice;
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::policy::{self, OrderRelation};
use kejiyun_domain::service::{
    CloseInput, Contact, Invitation, OrderAction, OrderInput, OrderStatus, Proposal, RatingInput, Response,
    ResponseInput, ServiceOrder, first_response_due, is_introduced,
};
use kejiyun_domain::time::now;
use kejiyun_domain::{Code, Error, ItemKind, ItemStatus, Role, User, regions};
use serde::{Deserialize, Serialize};

use crate::features::Result;
use crate::features::accounts::actions::load_user;
use crate::platform::from_db;
use crate::platform::state::AppState;
use kejiyun_domain::matching::{MatchKind, Suggestion};

async fn load_order(state: &AppState, id: i64) -> Result<ServiceOrder> {
    state.db.order(id).await.map_err(from_db)?.ok_or_else(Error::not_found)
}

/// The order and how the user stands to it (403/404 when not at all).
async fn readable_order(state: &AppState, user: &User, id: i64) -> Result<(ServiceOrder, OrderRelation)> {
    let order = load_order(state, id).await?;
    let provider = state.db.is_proposed(order.id, user.id).await.map_err(from_db)?;
    let relation = policy::check_order_read(user, order.facts(provider))?;
    Ok((order, relation))
}

fn contact_of(user: &User) -> Contact {
    Contact {
        name: user.org_name.clone().unwrap_or_else(|| user.display_name.clone()),
        phone: user.phone.clone(),
        email: user.email.clone(),
    }
}

/// An order with its proposals as the viewer may see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderDetail {
    pub order: ServiceOrder,
    /// How the viewer stands to the order: `org`, `steward`, `admin` or `provider`.
    pub viewer: String,
    /// All proposals for the org, steward and admins; a provider sees only their own.
    pub proposals: Vec<Proposal>,
}

fn relation_code(r: OrderRelation) -> &'static str {
    match r {
        OrderRelation::Org => "org",
        OrderRelation::Steward => "steward",
        OrderRelation::Admin => "admin",
        OrderRelation::Provider => "provider",
    }
}

async fn detail(state: &AppState, user: &User, order: ServiceOrder, relation: OrderRelation) -> Result<OrderDetail> {
    let mut proposals = state.db.proposals(order.id).await.map_err(from_db)?;
    if relation == OrderRelation::Provider {
        proposals.retain(|p| p.provider_id == user.id);
    }
    // Phone and e-mail cross over only between the two sides of an agreed proposal.
    for p in proposals.iter_mut().filter(|p| p.introduced()) {
        p.contact = match relation {
            OrderRelation::Org => Some(contact_of(&load_user(state, p.provider_id).await?)),
            OrderRelation::Provider => Some(contact_of(&load_user(state, order.org_id).await?)),
            OrderRelation::Steward | OrderRelation::Admin => None,
        };
    }
    Ok(OrderDetail { order, viewer: relation_code(relation).to_string(), proposals })
}

pub async fn get_order(state: &AppState, user: &User, id: i64) -> Result<OrderDetail> {
    let (order, relation) = readable_order(state, user, id).await?;
    detail(state, user, order, relation).await
}

/// Opens an order: by an organisation for itself, or by its steward (or an admin) on its behalf,
/// optionally from one of its published needs.
pub async fn open_order(state: &AppState, user: &User, input: OrderInput) -> Result<OrderDetail> {
    let org = match input.org_id {
        Some(id) if id != user.id => {
            state.db.user(id).await.map_err(from_db)?.ok_or_else(|| Error::field("org_id", "服务企业不存在"))?
        }
        _ if user.role == Role::Org => user.clone(),
        _ => return Err(Error::field("org_id", "请选择服务企业")),
    };
    let lead = state.db.lead_steward(org.id).await.map_err(from_db)?;
    policy::check_order_open(user, &org, lead)?;
    let need = match input.need_id {
        Some(need_id) => {
            let need = state.db.item_of_kind(ItemKind::Need, need_id).await.map_err(from_db)?.map(|v| v.item);
            match need {
                Some(n) if n.owner_id == org.id && n.status == ItemStatus::Published => Some(n),
                _ => return Err(Error::field("need_id", "只能基于本单位已发布的科技需求发起服务")),
            }
        }
        None => None,
    };
    let text = input.text(need.as_ref().map(|n| (n.title.as_str(), n.description.as_str())))?;
    let opened_at = now();
    let id = state
        .db
        .open_order(NewOrder {
            org_id: org.id,
            opened_by: user.id,
            steward_id: lead,
            need_id: need.map(|n| n.id),
            order_type: input.order_type,
            text: &text,
            region_code: &org.region_code,
            opened_at,
            first_response_due: first_response_due(opened_at, state.settings.server.sla_working_days),
            steward_notice: new_order_notice,
        })
        .await
        .map_err(from_db)?;
    get_order(state, user, id).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderListQuery {
    /// accepted | matching | introduced | signed | completed | closed (or the Chinese label).
    #[serde(default)]
    pub status: Option<OrderStatus>,
    /// Only orders past their first-response deadline.
    #[serde(default)]
    pub overdue: Option<bool>,
    /// Narrow an admin's list to a region subtree within its scope.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub page: Option<u32>,
    #[serde(default)]
    pub per_page: Option<u32>,
}

/// Orders as the user's role sees them: an org its own, a steward those assigned, an admin its region.
pub async fn list_orders(state: &AppState, user: &User, q: &OrderListQuery) -> Result<Page<ServiceOrder>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    let mut filter = OrderFilter { status: q.status, overdue_only: q.overdue.unwrap_or(false), ..Default::default() };
    match user.role {
        Role::Org => filter.org_id = Some(user.id),
        Role::Steward => filter.steward_id = Some(user.id),
        Role::Admin => {
            let region = q.region.as_deref().or(user.admin_scope()).unwrap_or(&user.region_code);
            let region = regions().require(region)?;
            policy::check_stats(user, &region.code)?;
            filter.region_prefix = Some(region.subtree_prefix().to_string());
        }
        Role::Expert | Role::Public => {
            return Err(Error::new(Code::Forbidden, "科技工作者请在“待处理邀请”中查看服务单"));
        }
    }
    state.db.list_orders(&filter, page).await.map_err(from_db)
}

/// A notice about order `order_id` to `user`.
pub fn order_notice(order_id: i64, user: i64, title: impl Into<String>, body: impl Into<String>) -> Notice {
    Notice::new(user, "service_order", title, body, format!("/orders/{order_id}"))
}

/// The steward's notice of a new order.
fn new_order_notice(order_id: i64, steward: i64, title: &str) -> Notice {
    order_notice(order_id, steward, "新的服务单", format!("新服务单《{title}》已受理，请在时限内首次响应。"))
}

fn change<'a>(order: &'a ServiceOrder, action: OrderAction, actor: &User) -> Result<OrderChange<'a>> {
    Ok(OrderChange {
        order,
        action,
        to: order.status.after(action, order.order_type)?,
        actor_id: actor.id,
        reason: None,
        notices: Vec::new(),
    })
}

/// The steward takes the order up: its first response.
pub async fn start(state: &AppState, user: &User, id: i64) -> Result<OrderDetail> {
    let (order, relation) = readable_order(state, user, id).await?;
    policy::check_order_manage(user, order.facts(relation == OrderRelation::Provider))?;
    let mut c = change(&order, OrderAction::Start, user)?;
    c.notices.push(order_notice(
        order.id,
        order.org_id,
        "服务单已开始对接",
        format!("您的服务单《{}》已由科服专员受理对接。", order.title),
    ));
    state.db.change_order(c).await.map_err(from_db)?;
    get_order(state, user, id).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalInput {
    /// The expert proposed; or give `item_id` to propose a capability or achievement (its owner answers).
    #[serde(default)]
    pub provider_id: Option<i64>,
    #[serde(default)]
    pub item_id: Option<i64>,
    /// Why this expert, for both sides.
    #[serde(default)]
    pub note: Option<String>,
}

/// The steward proposes an expert, capability or achievement; the provider is asked.
pub async fn propose(state: &AppState, user: &User, id: i64, input: ProposalInput) -> Result<OrderDetail> {
    let (order, relation) = readable_order(state, user, id).await?;
    policy::check_order_manage(user, order.facts(relation == OrderRelation::Provider))?;
    let note = kejiyun_domain::user::optional_text("note", input.note, 500)?;
    let (provider, item) = match (input.provider_id, input.item_id) {
        (_, Some(item_id)) => {
            let item = state.db.item(item_id).await.map_err(from_db)?.map(|v| v.item);
            let item = item
                .filter(|i| i.kind != ItemKind::Need && i.status == ItemStatus::Published)
                .ok_or_else(|| Error::field("item_id", "只能推荐已发布的科技所能或科技成果"))?;
            if input.provider_id.is_some_and(|p| p != item.owner_id) {
                return Err(Error::field("provider_id", "推荐的专家与所选成果/所能的发布者不一致"));
            }
            (load_user(state, item.owner_id).await?, Some(item))
        }
        (Some(provider_id), None) => {
            let expert = state.db.user(provider_id).await.map_err(from_db)?;
            let expert = expert
                .filter(|u| u.role == Role::Expert)
                .ok_or_else(|| Error::field("provider_id", "所选账号不是科技工作者"))?;
            (expert, None)
        }
        (None, None) => return Err(Error::field("provider_id", "请选择要推荐的专家或成果")),
    };
    if provider.id == order.org_id {
        return Err(Error::field("provider_id", "不能向企业推荐其自身"));
    }
    let mut c = change(&order, OrderAction::Propose, user)?;
    let about = item.as_ref().map_or_else(String::new, |i| format!("（{}）", i.title));
    c.notices.push(order_notice(
        order.id,
        provider.id,
        "新的对接邀请",
        format!("科服专员邀请您对接“{}”的服务需求《{}》{about}，请在“待处理邀请”中回应。", order.org_name, order.title),
    ));
    state.db.add_proposal(c, provider.id, item.map(|i| i.id), note.as_deref()).await.map_err(from_db)?;
    get_order(state, user, id).await
}

/// The provider or the organisation answers a proposal. When both said yes, the order moves to
/// 已对接 and the two see each other's contact details.
pub async fn respond(
    state: &AppState,
    user: &User,
    order_id: i64,
    proposal_id: i64,
    input: ResponseInput,
) -> Result<OrderDetail> {
    let (order, relation) = readable_order(state, user, order_id).await?;
    let proposals = state.db.proposals(order.id).await.map_err(from_db)?;
    let proposal = proposals.into_iter().find(|p| p.id == proposal_id).ok_or_else(Error::not_found)?;
    let side = if user.id == proposal.provider_id {
        Side::Provider
    } else if relation == OrderRelation::Org {
        Side::Org
    } else if relation == OrderRelation::Provider {
        return Err(Error::not_found());
    } else {
        return Err(Error::new(Code::Forbidden, "只有被推荐的专家和服务企业可以回应"));
    };
    if !order.status.is_open() {
        return Err(Error::illegal_transition(format!("服务单已{}，不能再回应推荐", order.status.label())));
    }
    let answer = input.validate()?;
    let (mine, theirs) = match side {
        Side::Provider => (answer.0, proposal.org_response),
        Side::Org => (answer.0, proposal.provider_response),
    };
    let agreed = is_introduced(mine, theirs);
    let verb = if mine == Response::Accepted { "同意对接" } else { "婉拒了推荐" };
    let mut notify = Vec::new();
    match side {
        Side::Provider => {
            let body = format!("{}{verb}（服务单《{}》）。", proposal.provider_name, order.title);
            notify.push(order_notice(order.id, order.org_id, "推荐专家已回应".to_string(), body.clone()));
            if let Some(s) = order.steward_id {
                notify.push(order_notice(order.id, s, "推荐专家已回应".to_string(), body));
            }
        }
        Side::Org => {
            if let Some(s) = order.steward_id {
                let body = format!(
                    "{}对推荐的{}{verb}（服务单《{}》）。",
                    order.org_name, proposal.provider_name, order.title
                );
                notify.push(order_notice(order.id, s, "企业已回应推荐".to_string(), body));
            }
        }
    }
    if agreed {
        let body = format!("服务单《{}》双方均已同意对接，现在可以在服务单中查看对方联系方式。", order.title);
        notify.push(order_notice(order.id, order.org_id, "对接成功".to_string(), body.clone()));
        notify.push(order_notice(order.id, proposal.provider_id, "对接成功".to_string(), body));
    }
    let introduce = if agreed && order.status == OrderStatus::Matching {
        Some(change(&order, OrderAction::Introduce, user)?)
    } else {
        None
    };
    state.db.respond_proposal(user.id, proposal.id, side, answer, notify, introduce).await.map_err(from_db)?;
    get_order(state, user, order_id).await
}

pub async fn complete(state: &AppState, user: &User, id: i64) -> Result<OrderDetail> {
    let (order, relation) = readable_order(state, user, id).await?;
    policy::check_order_manage(user, order.facts(relation == OrderRelation::Provider))?;
    let mut c = change(&order, OrderAction::Complete, user)?;
    c.notices.push(order_notice(
        order.id,
        order.org_id,
        "服务已完成",
        format!("服务单《{}》已完成，欢迎对本次服务进行评价。", order.title),
    ));
    state.db.change_order(c).await.map_err(from_db)?;
    // The expert's record of completed services is part of their suggestions.
    state.cache.invalidate();
    get_order(state, user, id).await
}

pub async fn close(state: &AppState, user: &User, id: i64, input: CloseInput) -> Result<OrderDetail> {
    let (order, relation) = readable_order(state, user, id).await?;
    policy::check_order_close(user, order.facts(relation == OrderRelation::Provider))?;
    let reason = input.validate()?;
    let mut c = change(&order, OrderAction::Close, user)?;
    c.reason = Some(&reason);
    let body = format!("服务单《{}》已关闭：{reason}", order.title);
    for to in [Some(order.org_id), order.steward_id].into_iter().flatten().filter(|u| *u != user.id) {
        c.notices.push(order_notice(order.id, to, "服务单已关闭", body.clone()));
    }
    state.db.change_order(c).await.map_err(from_db)?;
    get_order(state, user, id).await
}

pub async fn rate(state: &AppState, user: &User, id: i64, input: RatingInput) -> Result<OrderDetail> {
    let (order, relation) = readable_order(state, user, id).await?;
    policy::check_order_rate(user, order.facts(relation == OrderRelation::Provider))?;
    let (score, comment) = input.validate()?;
    if order.status != OrderStatus::Completed {
        return Err(Error::illegal_transition("服务完成后才能评价"));
    }
    state.db.rate_order(order.id, score, comment.as_deref()).await.map_err(from_db)?;
    get_order(state, user, id).await
}

/// 待处理邀请 (or, with `all`, every proposal the user received).
pub async fn invitations(state: &AppState, user: &User, all: bool) -> Result<Vec<Invitation>> {
    state.db.invitations(user.id, !all).await.map_err(from_db)
}

/// The matching engine's suggestions for an order (from its need, or its own text), without
/// anyone already proposed on it: a declined pair is not proposed again.
pub async fn suggestions(
    state: &AppState,
    user: &User,
    id: i64,
    target: Option<MatchKind>,
    limit: u32,
) -> Result<Vec<Suggestion>> {
    let (order, relation) = readable_order(state, user, id).await?;
    policy::check_order_manage(user, order.facts(relation == OrderRelation::Provider))?;
    if !(1..=50).contains(&limit) {
        return Err(Error::new(Code::InvalidQuery, "limit 应在1到50之间").with_field("limit"));
    }
    let source = match order.need_id {
        Some(need) => state.db.item(need).await.map_err(from_db)?.map(|v| v.item),
        None => None,
    };
    let source = match source {
        Some(s) => s,
        None => order.as_need(load_user(state, order.org_id).await?.industry),
    };
    let proposed: Vec<i64> =
        state.db.proposals(order.id).await.map_err(from_db)?.iter().map(|p| p.provider_id).collect();
    let target = target.unwrap_or(MatchKind::Expert);
    // Ask for more than needed so that removing proposed providers still fills the list.
    let wanted = (limit as usize + proposed.len()).min(50) as u32;
    let found = crate::features::matching::actions::suggestions_for(state, &source, target, wanted).await?;
    Ok(found.into_iter().filter(|s| !proposed.contains(&s.owner_id)).take(limit as usize).collect())
}
