//! Pages of contracts: 合同核验 for admins; one's own contracts, with 确认 / 拒绝 for those the
//! other party registered.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use kejiyun_domain::contract::{ConfirmInput, Contract, ContractStatus};
use serde::Deserialize;

use crate::features::contracts::actions::{ContractListQuery, VerifyInput};
use crate::http::auth::WebUser;
use crate::http::page::{
    Csrf, CsrfForm, Layout, PageQuery, PageResult, non_empty, not_found, redirect, render, signed_in,
};
use crate::http::views::Pager;
use crate::platform::state::AppState;

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
    /// The viewer is the other party, asked to confirm it.
    pub to_confirm: bool,
    /// Registered by the viewer, waiting for the other party.
    pub awaiting_other: bool,
    pub decline_reason: String,
}

impl ContractLine {
    fn of(c: &Contract, viewer: i64) -> ContractLine {
        let waiting = c.status == ContractStatus::Pending;
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
            to_confirm: waiting && c.confirm_by == Some(viewer),
            awaiting_other: waiting && c.registered_by == viewer,
            decline_reason: c.decline_reason.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "contracts/contracts.html")]
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
    let is_admin = kejiyun_domain::policy::verifies_contracts(&user);
    let query =
        ContractListQuery { status: is_admin.then_some(ContractStatus::Registered), page: q.page, per_page: Some(20) };
    let page = super::actions::list(&state, &user, &query).await?;
    let view = ContractsPage {
        layout: Layout::new(&state, Some(&user), &csrf, if is_admin { "合同核验" } else { "技术合同" }, "contracts")
            .await,
        contracts: page.items.iter().map(|c| ContractLine::of(c, user.id)).collect(),
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
    super::actions::verify(&state, &user, id, input).await?;
    Ok(redirect("/contracts"))
}

#[derive(Deserialize, Default)]
pub struct ConfirmForm {
    #[serde(default)]
    accept: String,
    #[serde(default)]
    reason: String,
}

/// 确认 or 拒绝 a contract the other party registered.
pub async fn confirm_contract(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let input = ConfirmInput { accept: form.accept == "1", reason: non_empty(&form.reason) };
    super::actions::confirm(&state, &user, id, input).await?;
    Ok(redirect("/contracts"))
}
