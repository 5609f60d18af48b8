//! Pages of 科服 work: 我的服务单 / 发起服务 (org), 服务台 and 一企一策 (steward), 待处理邀请
//! (expert), orders by state and contracts to verify (admin), and the order page where each
//! side acts.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use kejiyun_domain::contract::{Contract, ContractStatus};
use kejiyun_domain::policy::OrderRelation;
use kejiyun_domain::service::{
    Channel, CloseInput, ContactLogInput, DeclineReason, OrderInput, OrderStatus, OrderType, PlanActionInput,
    PlanInput, Proposal, RatingInput, Response, ResponseInput, ServiceOrder,
};
use kejiyun_domain::time::display;
use kejiyun_domain::{Code, Error, Role, User, regions};
use serde::Deserialize;

use super::views::Pager;
use super::{Csrf, CsrfForm, Layout, PageError, PageQuery, PageResult, non_empty, redirect, render, signed_in};
use crate::actions;
use crate::actions::contracts::{ContractListQuery, VerifyInput};
use crate::actions::items::MatchKind;
use crate::actions::services::{OrderDetail, OrderListQuery, ProposalInput};
use crate::auth::WebUser;
use crate::state::AppState;

fn not_found() -> PageError {
    PageError(Error::new(Code::NotFound, "页面不存在"))
}

/// An order in a list.
pub struct OrderLine {
    pub href: String,
    pub title: String,
    pub type_label: &'static str,
    pub status_code: &'static str,
    pub status_label: &'static str,
    pub org_name: String,
    pub steward_name: String,
    pub opened: String,
    pub due: String,
    pub overdue: bool,
}

impl OrderLine {
    fn of(o: &ServiceOrder) -> OrderLine {
        OrderLine {
            href: format!("/orders/{}", o.id),
            title: o.title.clone(),
            type_label: o.order_type.label(),
            status_code: o.status.code(),
            status_label: o.status.label(),
            org_name: o.org_name.clone(),
            steward_name: o.steward_name.clone().unwrap_or_else(|| "未指派".into()),
            opened: display(o.opened_at),
            due: display(o.first_response_due),
            overdue: o.overdue,
        }
    }
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    layout: Layout,
    heading: String,
    status: String,
    overdue: bool,
    tabs: Vec<(&'static str, &'static str)>,
    orders: Vec<OrderLine>,
    pager: Pager,
    can_open: bool,
}

#[derive(Deserialize)]
pub struct OrdersQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    overdue: Option<String>,
    page: Option<u32>,
}

/// 我的服务单 (org), my orders (steward), orders of the region (admin).
pub async fn orders(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    PageQuery(q): PageQuery<OrdersQuery>,
) -> PageResult {
    let user = signed_in(user)?;
    if user.role == Role::Expert {
        return Ok(redirect("/invitations"));
    }
    let overdue = q.overdue.is_some_and(|v| v == "1");
    let query = OrderListQuery {
        status: OrderStatus::parse(&q.status),
        overdue: Some(overdue),
        region: None,
        page: q.page,
        per_page: Some(20),
    };
    let page = actions::services::list_orders(&state, &user, &query).await?;
    let heading = match user.role {
        Role::Org => "我的服务单".to_string(),
        Role::Steward => "我负责的服务单".to_string(),
        _ => format!("{}服务单", regions().full_name(user.admin_scope().unwrap_or_default())),
    };
    let base = format!("/orders?status={}&overdue={}&", q.status, if overdue { "1" } else { "" });
    let view = OrdersPage {
        layout: Layout::new(&state, Some(&user), &csrf, "服务单", "orders").await,
        heading,
        status: q.status.clone(),
        overdue,
        tabs: OrderStatus::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        orders: page.items.iter().map(OrderLine::of).collect(),
        pager: Pager::of(&page, &base),
        can_open: matches!(user.role, Role::Org | Role::Steward),
    };
    Ok(render(&view))
}

#[derive(Template)]
#[template(path = "order_form.html")]
struct OrderFormPage {
    layout: Layout,
    types: Vec<(&'static str, &'static str)>,
    /// (org id, name) a steward may open orders for.
    orgs: Vec<(i64, String)>,
    /// (need id, title) of the org's published needs.
    needs: Vec<(i64, String)>,
    error: Option<String>,
}

async fn order_form_page(
    state: &AppState,
    user: &User,
    csrf: &Csrf,
    error: Option<String>,
) -> Result<OrderFormPage, PageError> {
    let orgs = if user.role == Role::Steward {
        actions::services::served_orgs(state, user).await?.into_iter().map(|o| (o.org_id, o.org_name)).collect()
    } else {
        Vec::new()
    };
    let needs = if user.role == Role::Org {
        let filter = kejiyun_db::items::ItemFilter {
            owner_id: Some(user.id),
            ..kejiyun_db::items::ItemFilter::published(Some(kejiyun_domain::ItemKind::Need))
        };
        let page = kejiyun_domain::page::PageRequest::new(None, Some(100))?;
        let found = state.db.list_items(&filter, page).await.map_err(crate::error::from_db)?;
        found.items.into_iter().map(|i| (i.id, i.title)).collect()
    } else {
        Vec::new()
    };
    Ok(OrderFormPage {
        layout: Layout::new(state, Some(user), csrf, "发起服务", "orders").await,
        types: OrderType::ALL.iter().map(|t| (t.code(), t.label())).collect(),
        orgs,
        needs,
        error,
    })
}

pub async fn new_order_form(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
) -> PageResult {
    let user = signed_in(user)?;
    if !matches!(user.role, Role::Org | Role::Steward) {
        return Err(PageError(Error::new(Code::Forbidden, "只有企事业单位和科服专员可以发起服务")));
    }
    Ok(render(&order_form_page(&state, &user, &csrf, None).await?))
}

#[derive(Deserialize)]
pub struct OrderForm {
    #[serde(default)]
    order_type: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    need_id: String,
    #[serde(default)]
    org_id: String,
}

fn optional_id(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

pub async fn create_order(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    CsrfForm(form): CsrfForm<OrderForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let Some(order_type) = OrderType::parse(&form.order_type) else {
        let page = order_form_page(&state, &user, &csrf, Some("请选择服务类型".into())).await?;
        return Ok(super::render_with(axum::http::StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    let input = OrderInput {
        order_type,
        title: non_empty(&form.title),
        description: non_empty(&form.description),
        need_id: optional_id(&form.need_id),
        org_id: optional_id(&form.org_id),
    };
    match actions::services::open_order(&state, &user, input).await {
        Ok(detail) => Ok(redirect(&format!("/orders/{}", detail.order.id))),
        Err(e) if e.status() == 422 => {
            let page = order_form_page(&state, &user, &csrf, Some(e.message)).await?;
            Ok(super::render_with(axum::http::StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(PageError(e)),
    }
}

/// A proposal as the order page shows it.
pub struct ProposalLine {
    pub id: i64,
    pub provider_name: String,
    pub about: String,
    pub item: Option<String>,
    pub provider_answer: String,
    pub org_answer: String,
    pub contact: Option<(String, String, String)>,
    pub org_may_answer: bool,
    pub provider_may_answer: bool,
}

fn answer_text(response: Response, reason: Option<DeclineReason>, text: &Option<String>) -> String {
    match (response, reason) {
        (Response::Declined, Some(r)) => {
            let more = text.as_deref().map(|t| format!("：{t}")).unwrap_or_default();
            format!("婉拒（{}{more}）", r.label())
        }
        (r, _) => r.label().to_string(),
    }
}

fn proposal_line(p: &Proposal, relation: OrderRelation, open: bool, viewer: i64) -> ProposalLine {
    ProposalLine {
        id: p.id,
        provider_name: p.provider_name.clone(),
        about: [p.provider_title.clone(), p.provider_employer.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("，"),
        item: p.item_title.clone(),
        provider_answer: answer_text(p.provider_response, p.provider_reason, &p.provider_text),
        org_answer: answer_text(p.org_response, p.org_reason, &p.org_text),
        contact: p
            .contact
            .as_ref()
            .map(|c| (c.name.clone(), c.phone.clone().unwrap_or_default(), c.email.clone().unwrap_or_default())),
        org_may_answer: open && relation == OrderRelation::Org && p.org_response == Response::Pending,
        provider_may_answer: open && p.provider_id == viewer && p.provider_response == Response::Pending,
    }
}

/// A suggestion of the matching engine on the order page.
pub struct SuggestionLine {
    pub provider_id: i64,
    pub title: String,
    pub reasons: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    layout: Layout,
    order: OrderLine,
    id: i64,
    description: String,
    close_reason: Option<String>,
    rating: Option<(i64, String)>,
    need_href: Option<String>,
    proposals: Vec<ProposalLine>,
    suggestions: Vec<SuggestionLine>,
    reasons: Vec<(&'static str, &'static str)>,
    can_start: bool,
    can_complete: bool,
    can_close: bool,
    can_rate: bool,
    can_propose: bool,
}

pub async fn order(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    Path(id): Path<String>,
) -> PageResult {
    let user = signed_in(user)?;
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let OrderDetail { order, viewer, proposals } = actions::services::get_order(&state, &user, id).await?;
    let relation = match viewer.as_str() {
        "org" => OrderRelation::Org,
        "steward" => OrderRelation::Steward,
        "admin" => OrderRelation::Admin,
        _ => OrderRelation::Provider,
    };
    let staff = matches!(relation, OrderRelation::Steward | OrderRelation::Admin);
    let open = order.status.is_open();
    let can_propose = staff && matches!(order.status, OrderStatus::Accepted | OrderStatus::Matching);
    let suggestions = if can_propose {
        actions::services::suggestions(&state, &user, id, Some(MatchKind::Expert), 8)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|s| SuggestionLine { provider_id: s.id, title: s.title, reasons: s.reasons.join("；"), href: s.link })
            .collect()
    } else {
        Vec::new()
    };
    let after = |a| order.status.after(a, order.order_type).is_ok();
    use kejiyun_domain::service::OrderAction as A;
    let view = OrderPage {
        layout: Layout::new(&state, Some(&user), &csrf, order.title.clone(), "orders").await,
        id,
        description: order.description.clone(),
        close_reason: order.close_reason.clone(),
        rating: order.rating.map(|r| (r, order.rating_comment.clone().unwrap_or_default())),
        need_href: order.need_id.map(|n| format!("/needs/{n}")),
        proposals: proposals.iter().map(|p| proposal_line(p, relation, open, user.id)).collect(),
        suggestions,
        reasons: DeclineReason::ALL.iter().map(|r| (r.code(), r.label())).collect(),
        can_start: staff && after(A::Start),
        can_complete: staff && after(A::Complete),
        can_close: relation != OrderRelation::Provider && open,
        can_rate: relation == OrderRelation::Org && order.status == OrderStatus::Completed && order.rating.is_none(),
        can_propose,
        order: OrderLine::of(&order),
    };
    Ok(render(&view))
}

#[derive(Deserialize, Default)]
pub struct OrderActForm {
    #[serde(default)]
    proposal_id: String,
    #[serde(default)]
    provider_id: String,
    #[serde(default)]
    accept: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
}

pub async fn order_act(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path((id, action)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<OrderActForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let id: i64 = id.parse().map_err(|_| not_found())?;
    match action.as_str() {
        "start" => actions::services::start(&state, &user, id).await?,
        "complete" => actions::services::complete(&state, &user, id).await?,
        "close" => actions::services::close(&state, &user, id, CloseInput { reason: form.reason }).await?,
        "propose" => {
            let input = ProposalInput { provider_id: optional_id(&form.provider_id), item_id: None, note: None };
            actions::services::propose(&state, &user, id, input).await?
        }
        "respond" => {
            let proposal = optional_id(&form.proposal_id).ok_or_else(not_found)?;
            let input = ResponseInput {
                accept: form.accept == "1",
                reason: DeclineReason::parse(&form.reason),
                text: non_empty(&form.text),
            };
            actions::services::respond(&state, &user, id, proposal, input).await?
        }
        "rate" => {
            let score = form.score.trim().parse().map_err(|_| Error::field("score", "请选择评分"))?;
            actions::services::rate(&state, &user, id, RatingInput { score, comment: non_empty(&form.comment) }).await?
        }
        _ => return Err(not_found()),
    };
    Ok(redirect(&format!("/orders/{id}")))
}

/// An invitation line for the expert.
pub struct InvitationLine {
    pub order_id: i64,
    pub proposal_id: i64,
    pub title: String,
    pub type_label: &'static str,
    pub org_name: String,
    pub description: String,
    pub answer: String,
    pub pending: bool,
}

#[derive(Template)]
#[template(path = "invitations.html")]
struct InvitationsPage {
    layout: Layout,
    invitations: Vec<InvitationLine>,
    reasons: Vec<(&'static str, &'static str)>,
}

/// 待处理邀请: proposals the expert has to answer (and the answered ones below).
pub async fn invitations(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
) -> PageResult {
    let user = signed_in(user)?;
    let all = actions::services::invitations(&state, &user, true).await?;
    let mut lines: Vec<InvitationLine> = all
        .into_iter()
        .map(|i| InvitationLine {
            order_id: i.proposal.order_id,
            proposal_id: i.proposal.id,
            title: i.order_title,
            type_label: i.order_type.label(),
            org_name: i.org_name,
            description: i.order_description,
            answer: answer_text(i.proposal.provider_response, i.proposal.provider_reason, &i.proposal.provider_text),
            pending: i.proposal.provider_response == Response::Pending,
        })
        .collect();
    lines.sort_by_key(|l| !l.pending);
    let view = InvitationsPage {
        layout: Layout::new(&state, Some(&user), &csrf, "待处理邀请", "invitations").await,
        invitations: lines,
        reasons: DeclineReason::ALL.iter().map(|r| (r.code(), r.label())).collect(),
    };
    Ok(render(&view))
}

/// A served organisation on the desk.
pub struct ServedLine {
    pub href: String,
    pub name: String,
    pub region: String,
    pub open_needs: i64,
    pub open_orders: i64,
    pub last_contact: String,
}

#[derive(Template)]
#[template(path = "desk.html")]
struct DeskPage {
    layout: Layout,
    orgs: Vec<ServedLine>,
    orders: Vec<OrderLine>,
}

/// 服务台: the steward's organisations and open orders, overdue first.
pub async fn desk(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
) -> PageResult {
    let user = signed_in(user)?;
    let orgs = actions::services::served_orgs(&state, &user).await?;
    let query = OrderListQuery { status: None, overdue: None, region: None, page: None, per_page: Some(100) };
    let orders = actions::services::list_orders(&state, &user, &query).await?;
    let view = DeskPage {
        layout: Layout::new(&state, Some(&user), &csrf, "服务台", "desk").await,
        orgs: orgs
            .into_iter()
            .map(|o| ServedLine {
                href: format!("/desk/orgs/{}", o.org_id),
                name: o.org_name,
                region: regions().short_name(&o.region_code),
                open_needs: o.open_needs,
                open_orders: o.open_orders,
                last_contact: o.last_contact_on.map_or_else(|| "尚未走访".into(), |d| d.to_string()),
            })
            .collect(),
        orders: orders.items.iter().filter(|o| o.status.is_open()).map(OrderLine::of).collect(),
    };
    Ok(render(&view))
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    layout: Layout,
    org_id: i64,
    org_name: String,
    steward_name: String,
    situation: String,
    goals: String,
    updated: String,
    actions: Vec<(i64, String, String, bool, bool)>,
    contacts: Vec<(String, &'static str, String, String, String)>,
    channels: Vec<(&'static str, &'static str)>,
    can_write: bool,
    today: String,
}

/// 一企一策 of one organisation.
pub async fn plan(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    Path(org_id): Path<String>,
) -> PageResult {
    let user = signed_in(user)?;
    let org_id: i64 = org_id.parse().map_err(|_| not_found())?;
    let plan = actions::services::plan(&state, &user, org_id).await?;
    let view = PlanPage {
        layout: Layout::new(&state, Some(&user), &csrf, format!("一企一策：{}", plan.org_name), "desk").await,
        org_id,
        can_write: plan.steward_id == Some(user.id),
        steward_name: plan.steward_name.clone().unwrap_or_else(|| "未指派".into()),
        org_name: plan.org_name,
        situation: plan.situation,
        goals: plan.goals,
        updated: plan.updated_at.map(display).unwrap_or_else(|| "尚未填写".into()),
        actions: plan
            .actions
            .into_iter()
            .map(|a| (a.id, a.title, a.due_on.to_string(), a.done_at.is_some(), a.overdue))
            .collect(),
        contacts: plan
            .contacts
            .into_iter()
            .map(|c| {
                (
                    c.contact_on.to_string(),
                    c.channel.label(),
                    c.steward_name,
                    c.summary,
                    c.follow_up.unwrap_or_default(),
                )
            })
            .collect(),
        channels: Channel::ALL.iter().map(|c| (c.code(), c.label())).collect(),
        today: kejiyun_domain::time::today_in_china(kejiyun_domain::time::now()).to_string(),
    };
    Ok(render(&view))
}

#[derive(Deserialize, Default)]
pub struct PlanForm {
    #[serde(default)]
    situation: String,
    #[serde(default)]
    goals: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    action_id: String,
    #[serde(default)]
    contact_on: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    follow_up: String,
}

fn date_field(text: &str, field: &'static str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| Error::field(field, "日期格式应为 2026-11-25"))
}

pub async fn plan_act(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path((org_id, action)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let org_id: i64 = org_id.parse().map_err(|_| not_found())?;
    match action.as_str() {
        "plan" => {
            let input = PlanInput { situation: form.situation, goals: form.goals };
            actions::services::save_plan(&state, &user, org_id, input).await?
        }
        "action" => {
            let input = PlanActionInput { title: form.title, due_on: date_field(&form.due_on, "due_on")? };
            actions::services::add_plan_action(&state, &user, org_id, input).await?
        }
        "done" => {
            let action_id = optional_id(&form.action_id).ok_or_else(not_found)?;
            actions::services::finish_plan_action(&state, &user, org_id, action_id).await?
        }
        "contact" => {
            let channel = Channel::parse(&form.channel).ok_or_else(|| Error::field("channel", "请选择走访方式"))?;
            let input = ContactLogInput {
                contact_on: date_field(&form.contact_on, "contact_on")?,
                channel,
                summary: form.summary,
                follow_up: non_empty(&form.follow_up),
            };
            actions::services::add_contact(&state, &user, org_id, input).await?
        }
        _ => return Err(not_found()),
    };
    Ok(redirect(&format!("/desk/orgs/{org_id}")))
}

/// A contract line for the admins' verification list.
pub struct ContractLine {
    pub id: i64,
    pub title: String,
    pub type_label: &'static str,
    pub parties: String,
    pub amount: String,
    pub signed_on: String,
    pub status_label: &'static str,
    pub pending: bool,
    pub has_scan: bool,
}

impl ContractLine {
    fn of(c: &Contract) -> ContractLine {
        ContractLine {
            id: c.id,
            title: c.title.clone(),
            type_label: c.contract_type.label(),
            parties: format!("{} ← {}", c.buyer_name, c.seller_name),
            amount: format!("{} 万元", c.amount_wan),
            signed_on: c.signed_on.to_string(),
            status_label: c.status.label(),
            pending: c.status == ContractStatus::Registered,
            has_scan: c.attachment_size.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "contracts.html")]
struct ContractsPage {
    layout: Layout,
    contracts: Vec<ContractLine>,
    pager: Pager,
    can_verify: bool,
}

#[derive(Deserialize)]
pub struct ContractsQuery {
    page: Option<u32>,
}

/// Contracts to verify (admins) or one's own contracts.
pub async fn contracts(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    PageQuery(q): PageQuery<ContractsQuery>,
) -> PageResult {
    let user = signed_in(user)?;
    let is_admin = user.role == Role::Admin;
    let query =
        ContractListQuery { status: is_admin.then_some(ContractStatus::Registered), page: q.page, per_page: Some(20) };
    let page = actions::contracts::list(&state, &user, &query).await?;
    let view = ContractsPage {
        layout: Layout::new(&state, Some(&user), &csrf, if is_admin { "合同核验" } else { "技术合同" }, "contracts")
            .await,
        contracts: page.items.iter().map(ContractLine::of).collect(),
        pager: Pager::of(&page, "/contracts?"),
        can_verify: is_admin,
    };
    Ok(render(&view))
}

#[derive(Deserialize, Default)]
pub struct VerifyForm {
    #[serde(default)]
    approve: String,
    #[serde(default)]
    reason: String,
}

pub async fn verify_contract(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<VerifyForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let input = VerifyInput { approve: form.approve == "1", reason: non_empty(&form.reason) };
    actions::contracts::verify(&state, &user, id, input).await?;
    Ok(redirect("/contracts"))
}
