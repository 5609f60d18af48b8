//! Pages of service orders: 我的服务单 / 发起服务 (org), 待处理邀请 (expert), orders by state
//! (admin) and the order page where each side acts.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use kejiyun_domain::policy::OrderRelation;
use kejiyun_domain::service::{
    CloseInput, DeclineReason, OrderInput, OrderStatus, OrderType, Proposal, RatingInput, Response, ResponseInput,
    ServiceOrder,
};
use kejiyun_domain::time::display;
use kejiyun_domain::{Error, Role, User, regions};
use serde::Deserialize;

use crate::features::orders::actions::{OrderDetail, OrderListQuery, ProposalInput};
use crate::http::auth::WebUser;
use crate::http::page::{
    Csrf, CsrfForm, Layout, PageError, PageQuery, PageResult, non_empty, not_found, optional_id, redirect, render,
    signed_in,
};
use crate::http::views::Pager;
use crate::platform::state::AppState;
use kejiyun_domain::matching::MatchKind;

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
    pub fn of(o: &ServiceOrder) -> OrderLine {
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
#[template(path = "orders/orders.html")]
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
    let page = super::actions::list_orders(&state, &user, &query).await?;
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
        can_open: kejiyun_domain::policy::can_open_orders(user.role),
    };
    Ok(render(&view))
}

#[derive(Template)]
#[template(path = "orders/order_form.html")]
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
        crate::features::stewards::actions::served_orgs(state, user)
            .await?
            .into_iter()
            .map(|o| (o.org_id, o.org_name))
            .collect()
    } else {
        Vec::new()
    };
    let needs = if user.role == Role::Org {
        let page = kejiyun_domain::page::PageRequest::new(None, Some(100))?;
        let found = crate::features::items::actions::list_mine(
            state,
            user,
            Some(kejiyun_domain::ItemKind::Need),
            Some(kejiyun_domain::ItemStatus::Published),
            page,
        )
        .await?;
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
    kejiyun_domain::policy::check_order_form(&user)?;
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

pub async fn create_order(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    CsrfForm(form): CsrfForm<OrderForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let Some(order_type) = OrderType::parse(&form.order_type) else {
        let page = order_form_page(&state, &user, &csrf, Some("请选择服务类型".into())).await?;
        return Ok(crate::http::page::render_with(axum::http::StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    let input = OrderInput {
        order_type,
        title: non_empty(&form.title),
        description: non_empty(&form.description),
        need_id: optional_id(&form.need_id),
        org_id: optional_id(&form.org_id),
    };
    match super::actions::open_order(&state, &user, input).await {
        Ok(detail) => Ok(redirect(&format!("/orders/{}", detail.order.id))),
        Err(e) if e.status() == 422 => {
            let page = order_form_page(&state, &user, &csrf, Some(e.message)).await?;
            Ok(crate::http::page::render_with(axum::http::StatusCode::UNPROCESSABLE_ENTITY, &page))
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
#[template(path = "orders/order.html")]
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
    let OrderDetail { order, viewer, proposals } = super::actions::get_order(&state, &user, id).await?;
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
        super::actions::suggestions(&state, &user, id, Some(MatchKind::Expert), 8)
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

/// The signed-in user and the order id of a button's form.
fn order_of(user: Option<User>, id: &str) -> Result<(User, i64), PageError> {
    Ok((signed_in(user)?, id.parse().map_err(|_| not_found())?))
}

fn back_to(id: i64) -> PageResult {
    Ok(redirect(&format!("/orders/{id}")))
}

/// 开始对接.
pub async fn start(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm<OrderActForm>,
) -> PageResult {
    let (user, id) = order_of(user, &id)?;
    super::actions::start(&state, &user, id).await?;
    back_to(id)
}

/// 办结.
pub async fn complete(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm<OrderActForm>,
) -> PageResult {
    let (user, id) = order_of(user, &id)?;
    super::actions::complete(&state, &user, id).await?;
    back_to(id)
}

/// 关闭 with a reason.
pub async fn close(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<OrderActForm>,
) -> PageResult {
    let (user, id) = order_of(user, &id)?;
    super::actions::close(&state, &user, id, CloseInput { reason: form.reason }).await?;
    back_to(id)
}

/// 推荐专家.
pub async fn propose(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<OrderActForm>,
) -> PageResult {
    let (user, id) = order_of(user, &id)?;
    let input = ProposalInput { provider_id: optional_id(&form.provider_id), item_id: None, note: None };
    super::actions::propose(&state, &user, id, input).await?;
    back_to(id)
}

/// 同意 / 婉拒 a proposal.
pub async fn respond(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<OrderActForm>,
) -> PageResult {
    let (user, id) = order_of(user, &id)?;
    let proposal = optional_id(&form.proposal_id).ok_or_else(not_found)?;
    let input = ResponseInput {
        accept: form.accept == "1",
        reason: DeclineReason::parse(&form.reason),
        text: non_empty(&form.text),
    };
    super::actions::respond(&state, &user, id, proposal, input).await?;
    back_to(id)
}

/// 评价.
pub async fn rate(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<OrderActForm>,
) -> PageResult {
    let (user, id) = order_of(user, &id)?;
    let score = form.score.trim().parse().map_err(|_| Error::field("score", "请选择评分"))?;
    super::actions::rate(&state, &user, id, RatingInput { score, comment: non_empty(&form.comment) }).await?;
    back_to(id)
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
#[template(path = "orders/invitations.html")]
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
    let all = super::actions::invitations(&state, &user, true).await?;
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
