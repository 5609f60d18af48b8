//! The region request pages: the account page's request form posts here; admins decide on
//! 地区变更审批 (`/admin/region-requests`).

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use kejiyun_domain::region_request::{RegionDecisionInput, RegionRequestInput, RegionRequestStatus};
use kejiyun_domain::time::display;
use kejiyun_domain::{Error, regions};
use serde::Deserialize;

use crate::features::accounts::pages::account_with_error;
use crate::http::auth::WebUser;
use crate::http::page::{Csrf, CsrfForm, Layout, PageQuery, PageResult, redirect, render, signed_in};
use crate::platform::state::AppState;

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    reason: String,
}

pub async fn request(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    CsrfForm(form): CsrfForm<RequestForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let input = RegionRequestInput { region_code: form.region_code, reason: form.reason };
    match super::actions::request(&state, &user, input).await {
        Ok(_) => Ok(redirect("/account?done=region")),
        Err(e) if e.status() < 500 => account_with_error(&state, user, &csrf, &e).await,
        Err(e) => Err(e.into()),
    }
}

pub struct RequestLine {
    pub id: i64,
    pub who: String,
    pub from: String,
    pub to: String,
    pub reason: String,
    pub when: String,
    pub status: &'static str,
    pub note: String,
}

#[derive(Template)]
#[template(path = "region_requests/list.html")]
struct ListPage {
    layout: Layout,
    /// (code, label, chosen)
    tabs: Vec<(&'static str, &'static str, bool)>,
    pending: bool,
    lines: Vec<RequestLine>,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    done: String,
}

async fn list_page(
    state: &AppState,
    user: &kejiyun_domain::User,
    csrf: &Csrf,
    status: RegionRequestStatus,
    message: Option<String>,
    error: Option<String>,
) -> Result<ListPage, Error> {
    let found = super::actions::to_decide(state, user, status).await?;
    let lines = found
        .into_iter()
        .map(|r| RequestLine {
            id: r.id,
            who: format!("{}（编号 {}）", r.user_name, r.user_id),
            from: regions().full_name(&r.from_region),
            to: regions().full_name(&r.to_region),
            reason: r.reason,
            when: display(r.created_at),
            status: r.status.label(),
            note: r.decision_note.unwrap_or_default(),
        })
        .collect();
    Ok(ListPage {
        layout: Layout::new(state, Some(user), csrf, "地区变更审批", "region_requests").await,
        tabs: RegionRequestStatus::ALL.iter().map(|s| (s.code(), s.label(), *s == status)).collect(),
        pending: status == RegionRequestStatus::Pending,
        lines,
        message,
        error,
    })
}

pub async fn list(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    PageQuery(q): PageQuery<ListQuery>,
) -> PageResult {
    let user = signed_in(user)?;
    let status = match q.status.as_str() {
        "" => RegionRequestStatus::Pending,
        code => RegionRequestStatus::parse(code)
            .ok_or_else(|| Error::new(kejiyun_domain::Code::InvalidQuery, "状态参数无效").with_field("status"))?,
    };
    let message = match q.done.as_str() {
        "approved" => Some("已批准，申请人的所在地区已变更".to_string()),
        "declined" => Some("已记录不批准的理由并通知申请人".to_string()),
        _ => None,
    };
    Ok(render(&list_page(&state, &user, &csrf, status, message, None).await?))
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

pub async fn decide(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<DecideForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "decline" => false,
        _ => return Err(Error::field("decision", "请选择批准或不批准").into()),
    };
    let note = Some(form.note).filter(|n| !n.trim().is_empty());
    match super::actions::decide(&state, &user, id, RegionDecisionInput { approve, note }).await {
        Ok(_) => Ok(redirect(if approve {
            "/admin/region-requests?done=approved"
        } else {
            "/admin/region-requests?done=declined"
        })),
        Err(e) if e.status() < 500 && e.field.is_some() => {
            let page =
                list_page(&state, &user, &csrf, RegionRequestStatus::Pending, None, Some(e.message.clone())).await?;
            Ok(crate::http::page::render_with(crate::http::error::status_of(&e), &page))
        }
        Err(e) => Err(e.into()),
    }
}
