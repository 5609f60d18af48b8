//! 技术合同登记 and 委托科研项目: registering (which signs a linked service order), admins'
//! verification, the scanned PDF, and projects with milestones, progress and acceptance.

use kejiyun_db::contracts::{ContractFilter, ContractRecord, Superseded};
use kejiyun_db::orders::OrderChange;
use kejiyun_domain::contract::{
    AcceptanceInput, ConfirmInput, Contract, ContractInput, ContractStatus, ContractVersion, MilestoneInput,
    PartyInput, ProgressInput, Project, check_attachment, check_confirmable, check_correctable, check_projectable,
    check_verifiable,
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
///
/// `caller` names accounts only where that reveals nothing: itself, the counterpart of a linked
/// order, an account with published items, or one it meets on a service order. Every other id
/// (no such account, not a party's role, no relation) gets the same answer.
async fn resolve_party(
    state: &AppState,
    caller: &User,
    party: &PartyInput,
    field: &'static str,
    buyer: bool,
    order_pair: &[Option<i64>],
) -> Result<(Option<i64>, String, Option<String>)> {
    match party.user_id {
        Some(id) => {
            let unknown = || Error::field(field, "找不到可作为合同当事方的账号，请核对账号编号，或直接填写对方名称");
            let related = id == caller.id
                || order_pair.contains(&Some(id))
                || state.db.may_name_party(caller.id, id).await.map_err(from_db)?;
            if !related {
                return Err(unknown());
            }
            let user = state.db.user(id).await.map_err(from_db)?.ok_or_else(unknown)?;
            if !matches!(user.role, Role::Org | Role::Expert) {
                return Err(unknown());
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
async fn record_of(
    state: &AppState,
    caller: &User,
    input: &ContractInput,
    order_pair: &[Option<i64>],
) -> Result<ContractRecord> {
    let title = input.validate(today())?;
    let (buyer_id, buyer_name, buyer_region) =
        resolve_party(state, caller, &input.buyer, "buyer", true, order_pair).await?;
    let (seller_id, seller_name, _) = resolve_party(state, caller, &input.seller, "seller", false, order_pair).await?;
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

/// Registers a contract. Only a party registers it; for a service order, only the order's org or
/// the provider both sides accepted. When the other party has an account, the contract waits
/// for it to confirm (and the order moves to 已签约 then); else it is registered at once.
pub async fn register(state: &AppState, user: &User, input: ContractInput) -> Result<Contract> {
    let order = match input.order_id {
        Some(id) => {
            let order = state.db.order(id).await.map_err(from_db)?;
            let order = order.ok_or_else(|| Error::field("order_id", "关联的服务单不存在"))?;
            let provider = state.db.is_proposed(order.id, user.id).await.map_err(from_db)?;
            policy::check_order_read(user, order.facts(provider))?;
            let accepted_provider = state.db.accepted_provider(order.id).await.map_err(from_db)?;
            let org_id = order.org_id;
            Some((order, policy::OrderParties { org_id, accepted_provider }))
        }
        None => None,
    };
    let parties = order.as_ref().map(|(_, p)| *p);
    // Refuse non-parties and outsiders of the order before looking any named account up.
    if ![input.buyer.user_id, input.seller.user_id].contains(&Some(user.id)) {
        policy::check_contract_register(user, input.buyer.user_id, input.seller.user_id, None)?;
    }
    if let Some(p) = parties
        && p.org_id != user.id
        && (p.accepted_provider.is_none() || p.accepted_provider != Some(user.id))
    {
        policy::check_contract_register(user, None, None, parties)?;
    }
    let pair = parties.map(|p| [Some(p.org_id), p.accepted_provider]).unwrap_or_default();
    let record = record_of(state, user, &input, &pair).await?;
    let confirm_by = policy::check_contract_register(user, record.buyer_id, record.seller_id, parties)?;
    let sign = match (&order, confirm_by) {
        (Some((order, _)), None) => sign_change(order, user.id)?,
        _ => None,
    };
    let ask = confirm_by.map(|other| {
        Notice::new(
            other,
            "contract",
            "请确认技术合同",
            format!(
                "{}登记了以您为当事方的技术合同《{}》，请核对后确认或拒绝。",
                record_party_name(&record, user.id),
                record.title
            ),
            "/contracts",
        )
    });
    let id = state.db.register_contract(&record, user.id, confirm_by, sign, ask.as_ref()).await.map_err(from_db)?;
    load(state, id).await
}

/// The registrant's side's name in `record`.
fn record_party_name(record: &ContractRecord, registrant: i64) -> &str {
    if record.buyer_id == Some(registrant) { &record.buyer_name } else { &record.seller_name }
}

/// The move of a linked order to 已签约, when the order can still make it.
fn sign_change(order: &kejiyun_domain::service::ServiceOrder, actor_id: i64) -> Result<Option<OrderChange<'_>>> {
    let Ok(to) = order.status.after(OrderAction::Sign, order.order_type) else { return Ok(None) };
    Ok(Some(OrderChange {
        order,
        action: OrderAction::Sign,
        to,
        actor_id,
        reason: None,
        notices: vec![crate::features::orders::actions::order_notice(
            order.id,
            order.org_id,
            "服务单已签约",
            format!("服务单《{}》已登记技术合同。", order.title),
        )],
    }))
}

/// The other party confirms the contract (it is registered; a linked order is signed) or
/// declines it with a reason.
pub async fn confirm(state: &AppState, user: &User, id: i64, input: ConfirmInput) -> Result<Contract> {
    let current = load(state, id).await?;
    policy::check_contract_confirm(user, current.facts())?;
    check_confirmable(current.status)?;
    let (accept, reason) = input.validate()?;
    let order = match (accept, current.order_id) {
        (true, Some(order_id)) => state.db.order(order_id).await.map_err(from_db)?,
        _ => None,
    };
    let sign = match &order {
        Some(order) => sign_change(order, user.id)?,
        None => None,
    };
    let (title, body) = if accept {
        ("技术合同已确认", format!("对方已确认《{}》，合同进入待核验。", current.title))
    } else {
        ("技术合同未获确认", format!("对方拒绝确认《{}》：{}", current.title, reason.as_deref().unwrap_or("")))
    };
    let notice = Notice::new(current.registered_by, "contract", title, body, format!("/contracts/{}", current.id));
    state.db.confirm_contract(&current, accept, reason.as_deref(), user.id, sign, notice).await.map_err(from_db)?;
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
    let pair = [current.buyer_id, current.seller_id];
    let record = record_of(state, user, &input, &pair).await?;
    // The parties confirmed (or verified) stay: other parties are a new contract.
    if [record.buyer_id, record.seller_id] != pair {
        return Err(Error::field("seller", "更正时不能更换账号当事方，请重新登记合同"));
    }
    let snapshot = snapshot_of(&current)?;
    let superseded = snapshot.as_ref().map(|(json, sha)| Superseded { snapshot: json, snapshot_sha256: sha });
    state.db.correct_contract(&current, &record, user.id, superseded.as_ref()).await.map_err(from_db)?;
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
        Some(scope) => {
            filter.region_prefix = Some(regions().require(scope)?.subtree_prefix().to_string());
            filter.confirmed_only = true;
        }
        None => filter.involving = Some(user.id),
    }
    state.db.list_contracts(&filter, page).await.map_err(from_db)
}

pub async fn upload_attachment(state: &AppState, user: &User, id: i64, bytes: &[u8]) -> Result<Contract> {
    let c = load(state, id).await?;
    policy::check_contract_edit(user, c.facts())?;
    // Parsing a scan is CPU work (up to 64 MiB decoded): off the async workers.
    let owned = bytes.to_vec();
    tokio::task::spawn_blocking(move || check_attachment(&owned)).await.map_err(|_| Error::internal())??;
    let sha = hex::encode(Sha256::digest(bytes));
    let snapshot = snapshot_of(&c)?;
    let superseded = snapshot.as_ref().map(|(json, sha)| Superseded { snapshot: json, snapshot_sha256: sha });
    state.db.put_attachment(&c, bytes, &sha, user.id, superseded.as_ref()).await.map_err(from_db)?;
    load(state, id).await
}

/// A verified contract is immutable: what a change keeps of it (its JSON and that JSON's
/// SHA-256) before the change makes a new version. `None` for contracts not verified.
fn snapshot_of(c: &Contract) -> Result<Option<(String, String)>> {
    if c.status != ContractStatus::Verified {
        return Ok(None);
    }
    let json = serde_json::to_string(c).map_err(|_| Error::internal())?;
    let sha = hex::encode(Sha256::digest(json.as_bytes()));
    Ok(Some((json, sha)))
}

/// The superseded verified versions of a contract, for those who may read it.
pub async fn versions(state: &AppState, user: &User, id: i64) -> Result<Vec<ContractVersion>> {
    let c = load(state, id).await?;
    policy::check_contract_read(user, c.facts())?;
    state.db.contract_versions(c.id).await.map_err(from_db)
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
