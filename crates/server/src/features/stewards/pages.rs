//! Pages of stewards: 服务台 and 一企一策.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use kejiyun_domain::service::{Channel, ContactLogInput, PlanActionInput, PlanInput};
use kejiyun_domain::time::display;
use kejiyun_domain::{Error, User, regions};
use serde::Deserialize;

use crate::features::orders::actions::OrderListQuery;
use crate::features::orders::pages::OrderLine;
use crate::http::auth::WebUser;
use crate::http::page::{
    Csrf, CsrfForm, Layout, PageError, PageResult, non_empty, not_found, optional_id, redirect, render, signed_in,
};
use crate::platform::state::AppState;

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
#[template(path = "stewards/desk.html")]
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
    let orgs = super::actions::served_orgs(&state, &user).await?;
    let query = OrderListQuery { status: None, overdue: None, region: None, page: None, per_page: Some(100) };
    let orders = crate::features::orders::actions::list_orders(&state, &user, &query).await?;
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
#[template(path = "stewards/plan.html")]
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
    let plan = super::actions::plan(&state, &user, org_id).await?;
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

/// The signed-in user and the organisation id of a plan form.
fn org_of(user: Option<User>, org_id: &str) -> Result<(User, i64), PageError> {
    Ok((signed_in(user)?, org_id.parse().map_err(|_| not_found())?))
}

fn back_to(org_id: i64) -> PageResult {
    Ok(redirect(&format!("/desk/orgs/{org_id}")))
}

/// 保存 the situation and goals.
pub async fn save_plan(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path(org_id): Path<String>,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> PageResult {
    let (user, org_id) = org_of(user, &org_id)?;
    let input = PlanInput { situation: form.situation, goals: form.goals };
    super::actions::save_plan(&state, &user, org_id, input).await?;
    back_to(org_id)
}

/// 添加计划事项.
pub async fn add_action(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path(org_id): Path<String>,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> PageResult {
    let (user, org_id) = org_of(user, &org_id)?;
    let input = PlanActionInput { title: form.title, due_on: date_field(&form.due_on, "due_on")? };
    super::actions::add_plan_action(&state, &user, org_id, input).await?;
    back_to(org_id)
}

/// 标记完成 a planned action.
pub async fn finish_action(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path(org_id): Path<String>,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> PageResult {
    let (user, org_id) = org_of(user, &org_id)?;
    let action_id = optional_id(&form.action_id).ok_or_else(not_found)?;
    super::actions::finish_plan_action(&state, &user, org_id, action_id).await?;
    back_to(org_id)
}

/// 记录走访.
pub async fn add_contact(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path(org_id): Path<String>,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> PageResult {
    let (user, org_id) = org_of(user, &org_id)?;
    let channel = Channel::parse(&form.channel).ok_or_else(|| Error::field("channel", "请选择走访方式"))?;
    let input = ContactLogInput {
        contact_on: date_field(&form.contact_on, "contact_on")?,
        channel,
        summary: form.summary,
        follow_up: non_empty(&form.follow_up),
    };
    super::actions::add_contact(&state, &user, org_id, input).await?;
    back_to(org_id)
}
