//! 技术合同登记 and 委托科研项目: registering (which signs a linked service order), admins'
//! verification, the scanned PDF, and projects with milestones, progress and acceptance.

use kejiyun_db::contracts::{ContractFilter, ContractRecord};
use kejiyun_db::orders::OrderChange;
use kejiyun_domain::contract::{
    AcceptanceInput, Contract, ContractInput, ContractStatus, MilestoneInput, PartyInput, ProgressInput, Project,
    check_attachment, check_correctable, check_projectable, check_verifiable,
};
use kejiyun_domain::notice::Notice;
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::policy;
use kejiyun_domain::service::OrderAction;
use kejiyun_domain::time::today;
use kejiyun_domain::{Code, Error, ItemKind, Role, User, regions};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::features::Result;
use crate::platform::from_db;
use crate::platform::state::AppState;

async fn load(state: &AppState, id: i64) -> Result<Contract> {
    state.db.contract(id).await.map_err(from_db)?.ok_or_else(Error::not_found)
}

/// The party's name (and region) from its account, or the outside party's fields.
async fn resolve_party(
    state: &AppState,
    party: &PartyInput,
    field: &'static str,
    buyer: bool,
) -> Result<(Option<i64>, String, Option<String>)> {
    match party.user_id {
        Some(id) => {
            let user =
                state.db.user(id).await.map_err(from_db)?.ok_or_else(|| Error::field(field, "当事方账号不存在"))?;
            if !matches!(user.role, Role::Org | Role::Expert) {
                return Err(Error::field(field, "合同当事方应为企事业单位或科技工作者"));
            }
            let name = user.org_name.clone().unwrap_or(user.display_name.clone());
            Ok((Some(user.id), name, Some(user.region_code)))
        }
        None => {
            let p = party.outside(field, buyer)?;
            Ok((None, p.name, p.region_code))
        }
    }
}

/// Checks the links and parties of `input` and turns it into a record.
async fn record_of(state: &AppState, input: &ContractInput) -> Result<ContractRecord> {
    let title = input.validate(today())?;
    let (buyer_id, buyer_name, buyer_region) = resolve_party(state, &input.buyer, "buyer", true).await?;
    let (seller_id, seller_name, _) = resolve_party(state, &input.seller, "seller", false).await?;
    for (id, kind, field) in
        [(input.need_id, ItemKind::Need, "need_id"), (input.achievement_id, ItemKind::Achievement, "achievement_id")]
    {
        if let Some(id) = id
            && state.db.item_of_kind(kind, id).await.map_err(from_db)?.is_none()
        {
            return Err(Error::field(field, format!("关联的{}不存在", kind.label())));
        }
    }
    Ok(ContractRecord {
        contract_type: input.contract_type,
        title,
        buyer_id,
        buyer_name,
        seller_id,
        seller_name,
        region_code: buyer_region.ok_or_else(|| Error::field("buyer", "请填写委托方所在地区"))?,
        amount: input.amount_wan,
        signed_on: input.signed_on,
        need_id: input.need_id,
        achievement_id: input.achievement_id,
        order_id: input.order_id,
    })
}

/// Registers a contract. A party registers its own; the steward (or an admin) registers one for
/// a service order, which moves the order to 已签约.
pub async fn register(state: &AppState, user: &User, input: ContractInput) -> Result<Contract> {
    let record = record_of(state, &input).await?;
    let order = match input.order_id {
        Some(id) => Some(
            state.db.order(id).await.map_err(from_db)?.ok_or_else(|| Error::field("order_id", "关联的服务单不存在"))?,
        ),
        None => None,
    };
    let sign = match &order {
        Some(order) => {
            let provider = state.db.is_proposed(order.id, user.id).await.map_err(from_db)?;
            // The org, its steward, admins above it and proposed providers may register it.
            policy::check_order_read(user, order.facts(provider))?;
            Some(OrderChange {
                order,
                action: OrderAction::Sign,
                to: order.status.after(OrderAction::Sign, order.order_type)?,
                actor_id: user.id,
                reason: None,
                notices: vec![crate::features::orders::actions::order_notice(
                    order.id,
                    order.org_id,
                    "服务单已签约",
                    format!("服务单《{}》已登记技术合同。", order.title),
                )],
            })
        }
        None => {
            let party = [record.buyer_id, record.seller_id].contains(&Some(user.id));
            if !party && !policy::admin_covers(user, &record.region_code) {
                return Err(Error::new(Code::Forbidden, "只能登记本人（本单位）作为当事方的合同"));
            }
            None
        }
    };
    let id = state.db.register_contract(&record, user.id, sign).await.map_err(from_db)?;
    load(state, id).await
}

pub async fn get(state: &AppState, user: &User, id: i64) -> Result<Contract> {
    let c = load(state, id).await?;
    policy::check_contract_read(user, c.facts())?;
    Ok(c)
}

/// Corrects a returned contract and registers it again.
pub async fn correct(state: &AppState, user: &User, id: i64, input: ContractInput) -> Result<Contract> {
    let current = load(state, id).await?;
    policy::check_contract_edit(user, current.facts())?;
    check_correctable(current.status)?;
    if input.order_id != current.order_id {
        return Err(Error::field("order_id", "合同关联的服务单不能修改"));
    }
    let record = record_of(state, &input).await?;
    state.db.correct_contract(&current, &record, user.id).await.map_err(from_db)?;
    load(state, id).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyInput {
    /// true = 核验通过; false = 退回 (needs `reason`).
    pub approve: bool,
    #[serde(default)]
    pub reason: Option<String>,
}

pub async fn verify(state: &AppState, admin: &User, id: i64, input: VerifyInput) -> Result<Contract> {
    let current = load(state, id).await?;
    policy::check_contract_verify(admin, current.facts())?;
    check_verifiable(current.status)?;
    let reason = kejiyun_domain::user::optional_text("reason", input.reason, 500)?;
    let to = if input.approve { ContractStatus::Verified } else { ContractStatus::Returned };
    if to == ContractStatus::Returned && reason.is_none() {
        return Err(Error::field("reason", "退回时请说明原因"));
    }
    let (title, body) = match to {
        ContractStatus::Verified => ("技术合同已核验", format!("《{}》已通过核验，计入技术交易额。", current.title)),
        _ => ("技术合同被退回", format!("《{}》被退回：{}", current.title, reason.as_deref().unwrap_or(""))),
    };
    let notice = Notice::new(current.registered_by, "contract", title, body, format!("/contracts/{}", current.id));
    state.db.verify_contract(&current, to, reason.as_deref(), admin.id, notice).await.map_err(from_db)?;
    load(state, id).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContractListQuery {
    /// registered (待核验) | verified | returned.
    #[serde(default)]
    pub status: Option<ContractStatus>,
    #[serde(default)]
    pub page: Option<u32>,
    #[serde(default)]
    pub per_page: Option<u32>,
}

/// Admins see their region's contracts; everyone else the contracts they take part in.
pub async fn list(state: &AppState, user: &User, q: &ContractListQuery) -> Result<Page<Contract>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    let mut filter = ContractFilter { status: q.status, ..Default::default() };
    match user.admin_scope() {
        Some(scope) => filter.region_prefix = Some(regions().require(scope)?.subtree_prefix().to_string()),
        None => filter.involving = Some(user.id),
    }
    state.db.list_contracts(&filter, page).await.map_err(from_db)
}

pub async fn upload_attachment(state: &AppState, user: &User, id: i64, bytes: &[u8]) -> Result<Contract> {
    let c = load(state, id).await?;
    policy::check_contract_edit(user, c.facts())?;
    check_attachment(bytes)?;
    let sha = hex::encode(Sha256::digest(bytes));
    state.db.put_attachment(c.id, bytes, &sha, user.id).await.map_err(from_db)?;
    load(state, id).await
}

pub async fn attachment(state: &AppState, user: &User, id: i64) -> Result<Vec<u8>> {
    let c = load(state, id).await?;
    policy::check_contract_read(user, c.facts())?;
    state.db.attachment(c.id).await.map_err(from_db)?.ok_or_else(|| Error::new(Code::NotFound, "该合同尚未上传扫描件"))
}

// ---- Projects ----

/// Makes a 技术开发 contract a commissioned project.
pub async fn create_project(state: &AppState, user: &User, contract_id: i64) -> Result<Project> {
    let c = load(state, contract_id).await?;
    policy::check_contract_edit(user, c.facts())?;
    check_projectable(c.contract_type, c.status)?;
    let id = state.db.create_project(c.id, user.id).await.map_err(from_db)?;
    load_project(state, id).await
}

async fn load_project(state: &AppState, id: i64) -> Result<Project> {
    state.db.project(id, today()).await.map_err(from_db)?.ok_or_else(Error::not_found)
}

/// The project's contract, checked with `check`.
async fn project_contract(
    state: &AppState,
    user: &User,
    project_id: i64,
    check: fn(&User, policy::ContractFacts<'_>) -> kejiyun_domain::Result<()>,
) -> Result<Contract> {
    let contract_id = state.db.project_contract_id(project_id).await.map_err(from_db)?.ok_or_else(Error::not_found)?;
    let c = load(state, contract_id).await?;
    check(user, c.facts())?;
    Ok(c)
}

pub async fn project(state: &AppState, user: &User, id: i64) -> Result<Project> {
    project_contract(state, user, id, policy::check_contract_read).await?;
    load_project(state, id).await
}

pub async fn add_milestone(state: &AppState, user: &User, id: i64, input: MilestoneInput) -> Result<Project> {
    let c = project_contract(state, user, id, policy::check_contract_edit).await?;
    state.db.add_milestone(id, &input.validate(c.amount_wan)?).await.map_err(from_db)?;
    load_project(state, id).await
}

pub async fn add_progress(state: &AppState, user: &User, id: i64, input: ProgressInput) -> Result<Project> {
    project_contract(state, user, id, policy::check_contract_edit).await?;
    state.db.add_progress(id, user.id, &input.validate()?).await.map_err(from_db)?;
    load_project(state, id).await
}

pub async fn accept_milestone(
    state: &AppState,
    user: &User,
    id: i64,
    milestone_id: i64,
    input: AcceptanceInput,
) -> Result<Project> {
    project_contract(state, user, id, policy::check_milestone_accept).await?;
    let opinion = input.validate()?;
    state.db.accept_milestone(id, milestone_id, user.id, opinion.as_deref()).await.map_err(from_db)?;
    load_project(state, id).await
}

/// Projects of the admin's region with a milestone past due.
pub async fn overdue_projects(state: &AppState, admin: &User) -> Result<Vec<Project>> {
    let scope = admin.admin_scope().ok_or_else(Error::forbidden)?;
    let prefix = regions().require(scope)?.subtree_prefix().to_string();
    let ids = state.db.overdue_projects(&prefix, today()).await.map_err(from_db)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(load_project(state, id).await?);
    }
    Ok(out)
}
