//! 科服专员: assigning an organisation's lead steward (history kept), the steward's organisations,
//! 一企一策 plans, planned actions and contact logs.

use kejiyun_domain::notice::Notice;
use kejiyun_domain::policy::{self};
use kejiyun_domain::service::{Assignment, ContactLogInput, PlanActionInput, PlanInput, ServedOrg, ServicePlan};
use kejiyun_domain::time::today;
use kejiyun_domain::{Error, User};

use crate::features::Result;
use crate::features::accounts::actions::load_org;
use crate::platform::from_db;
use crate::platform::state::AppState;

/// An admin makes `steward_id` the lead steward of an organisation of its region.
pub async fn assign_steward(state: &AppState, admin: &User, org_id: i64, steward_id: i64) -> Result<Vec<Assignment>> {
    policy::check_admin(admin)?;
    let org = load_org(state, org_id).await?;
    let steward = state
        .db
        .user(steward_id)
        .await
        .map_err(from_db)?
        .ok_or_else(|| Error::field("steward_id", "科服专员账号不存在"))?;
    policy::check_assign_steward(admin, &org, &steward)?;
    let name = org.org_name.clone().unwrap_or_else(|| org.display_name.clone());
    let notice = Notice::new(
        steward.id,
        "steward_assigned",
        "新的服务企业",
        format!("您已被指派为“{name}”的科服专员，请尽快与企业联系并建立一企一策服务方案。"),
        format!("/desk/orgs/{}", org.id),
    );
    state.db.assign_steward(org.id, steward.id, admin.id, &notice).await.map_err(from_db)?;
    state.db.steward_history(org.id).await.map_err(from_db)
}

pub async fn steward_history(state: &AppState, user: &User, org_id: i64) -> Result<Vec<Assignment>> {
    let org = load_org(state, org_id).await?;
    let lead = state.db.lead_steward(org.id).await.map_err(from_db)?;
    policy::check_plan_read(user, &org, lead)?;
    state.db.steward_history(org.id).await.map_err(from_db)
}

/// 我的服务企业.
pub async fn served_orgs(state: &AppState, steward: &User) -> Result<Vec<ServedOrg>> {
    policy::check_steward(steward)?;
    state.db.served_orgs(steward.id).await.map_err(from_db)
}

/// The organisation, its lead steward, after checking the user may read its plan.
async fn plan_access(state: &AppState, user: &User, org_id: i64, write: bool) -> Result<User> {
    let org = load_org(state, org_id).await?;
    let lead = state.db.lead_steward(org.id).await.map_err(from_db)?;
    if write {
        policy::check_plan_write(user, &org, lead)?;
    } else {
        policy::check_plan_read(user, &org, lead)?;
    }
    Ok(org)
}

async fn plan_of(state: &AppState, org: &User) -> Result<ServicePlan> {
    let name = org.org_name.clone().unwrap_or_else(|| org.display_name.clone());
    state.db.service_plan(org.id, &name, today()).await.map_err(from_db)
}

pub async fn plan(state: &AppState, user: &User, org_id: i64) -> Result<ServicePlan> {
    let org = plan_access(state, user, org_id, false).await?;
    plan_of(state, &org).await
}

pub async fn save_plan(state: &AppState, user: &User, org_id: i64, input: PlanInput) -> Result<ServicePlan> {
    let org = plan_access(state, user, org_id, true).await?;
    state.db.save_plan(org.id, &input.validate()?, user.id).await.map_err(from_db)?;
    plan_of(state, &org).await
}

pub async fn add_plan_action(
    state: &AppState,
    user: &User,
    org_id: i64,
    input: PlanActionInput,
) -> Result<ServicePlan> {
    let org = plan_access(state, user, org_id, true).await?;
    state.db.add_plan_action(org.id, &input.validate()?, user.id).await.map_err(from_db)?;
    plan_of(state, &org).await
}

pub async fn finish_plan_action(state: &AppState, user: &User, org_id: i64, action_id: i64) -> Result<ServicePlan> {
    let org = plan_access(state, user, org_id, true).await?;
    if !state.db.finish_plan_action(org.id, action_id).await.map_err(from_db)? {
        return Err(Error::illegal_transition("该事项不存在或已完成"));
    }
    plan_of(state, &org).await
}

pub async fn add_contact(state: &AppState, user: &User, org_id: i64, input: ContactLogInput) -> Result<ServicePlan> {
    let org = plan_access(state, user, org_id, true).await?;
    state.db.add_contact_log(org.id, user.id, &input.validate(today())?).await.map_err(from_db)?;
    plan_of(state, &org).await
}
