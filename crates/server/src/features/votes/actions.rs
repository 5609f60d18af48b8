//! 投票: admins organise a poll for their region; anyone reads it; signed-in accounts vote under
//! the poll's per-voter daily rules and the per-address vote rate.

use std::net::IpAddr;

use kejiyun_db::votes::PollFilter;
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::policy;
use kejiyun_domain::time::today;
use kejiyun_domain::vote::{Poll, PollDetail, PollInput, VoteInput, VoteReceipt};
use kejiyun_domain::{Error, User, regions};
use serde::Deserialize;

use crate::features::Result;
use crate::platform::from_db;
use crate::platform::state::AppState;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PollListQuery {
    /// Polls organised in this region or below.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub page: Option<u32>,
    #[serde(default)]
    pub per_page: Option<u32>,
}

async fn load(state: &AppState, id: i64) -> Result<Poll> {
    state.db.poll(id, today()).await.map_err(from_db)?.ok_or_else(Error::not_found)
}

/// Creates a poll; the organiser is an admin whose scope covers its region.
pub async fn create(state: &AppState, user: &User, input: PollInput) -> Result<PollDetail> {
    let poll = input.validate(today())?;
    policy::check_poll_create(user, &poll.region_code)?;
    let id = state.db.create_poll(&poll, user.id).await.map_err(from_db)?;
    detail(state, Some(user), id).await
}

pub async fn list(state: &AppState, q: &PollListQuery) -> Result<Page<Poll>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    let region_prefix = match &q.region {
        Some(code) => Some(regions().require(code).map_err(|e| e.with_field("region"))?.subtree_prefix().to_string()),
        None => None,
    };
    state.db.list_polls(&PollFilter { region_prefix }, page, today()).await.map_err(from_db)
}

/// The poll, its candidates and standings, and the caller's own votes.
pub async fn detail(state: &AppState, viewer: Option<&User>, id: i64) -> Result<PollDetail> {
    let poll = load(state, id).await?;
    let candidates = state.db.poll_candidates(id).await.map_err(from_db)?;
    let my_votes = match viewer {
        Some(u) => state.db.votes_of(id, u.id).await.map_err(from_db)?,
        None => Vec::new(),
    };
    let remaining_today = viewer.and_then(|_| poll.remaining_on(&my_votes, today()));
    Ok(PollDetail { poll, candidates, my_votes, remaining_today })
}

/// Casts the caller's vote.
pub async fn vote(
    state: &AppState,
    user: &User,
    id: i64,
    input: VoteInput,
    address: Option<IpAddr>,
) -> Result<VoteReceipt> {
    state.limits.voting(address).await?;
    let poll = load(state, id).await?;
    poll.check_open()?;
    state.db.cast_vote(&poll, input.candidate_id, user.id, today()).await.map_err(from_db)
}
