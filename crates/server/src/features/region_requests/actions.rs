//! Filing and deciding region requests: domain policy → domain rules → storage (with audit and
//! the requester's notice in one transaction).

use kejiyun_domain::region_request::{RegionDecisionInput, RegionRequest, RegionRequestInput, RegionRequestStatus};
use kejiyun_domain::{Error, User, policy, regions};

use crate::features::Result;
use crate::platform::from_db;
use crate::platform::state::AppState;

/// An account asks to move to another region.
pub async fn request(state: &AppState, user: &User, input: RegionRequestInput) -> Result<RegionRequest> {
    policy::check_region_request(user)?;
    let new = input.validate(user)?;
    state.db.create_region_request(user, &new).await.map_err(from_db)
}

/// The caller's own requests, newest first.
pub async fn mine(state: &AppState, user: &User) -> Result<Vec<RegionRequest>> {
    state.db.region_requests_of(user.id).await.map_err(from_db)
}

/// Requests from accounts in the admin's scope, in `status` (the latest 200).
pub async fn to_decide(state: &AppState, admin: &User, status: RegionRequestStatus) -> Result<Vec<RegionRequest>> {
    policy::check_admin(admin)?;
    let scope = admin.admin_scope().ok_or_else(Error::forbidden)?;
    let prefix = regions().require(scope)?.subtree_prefix().to_string();
    state.db.region_requests_from(&prefix, status, 200).await.map_err(from_db)
}

/// An admin above the requester's region approves (the account moves) or declines.
pub async fn decide(state: &AppState, admin: &User, id: i64, input: RegionDecisionInput) -> Result<RegionRequest> {
    policy::check_admin(admin)?;
    let request = state.db.region_request(id).await.map_err(from_db)?.ok_or_else(Error::not_found)?;
    policy::check_region_decision(admin, request.user_id, &request.from_region)?;
    let (approve, note) = input.validate()?;
    let decided = state.db.decide_region_request(&request, admin, approve, note.as_deref()).await.map_err(from_db)?;
    state.task_wake.notify_one();
    // Names and regions show on items and suggestions.
    state.cache.invalidate();
    Ok(decided)
}
