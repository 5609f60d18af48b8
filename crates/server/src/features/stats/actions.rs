//! Counters of 科服 work for a region subtree and period, computed from the records.

use chrono::NaiveDate;
use kejiyun_domain::policy::{self};
use kejiyun_domain::service::{Period, ServiceStats};
use kejiyun_domain::{User, regions};
use serde::Deserialize;

use crate::features::Result;
use crate::platform::from_db;
use crate::platform::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Region code at any level (default: the admin's own region).
    #[serde(default)]
    pub region: Option<String>,
    /// First day, `YYYY-MM-DD` (China time), inclusive.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    #[serde(default)]
    pub to: Option<NaiveDate>,
}

pub async fn stats(state: &AppState, user: &User, q: &StatsQuery) -> Result<ServiceStats> {
    let region = q.region.as_deref().or(user.admin_scope()).unwrap_or(&user.region_code);
    let region = regions().require(region)?;
    policy::check_stats(user, &region.code)?;
    let period = Period::new(q.from, q.to)?;
    state.db.service_stats(&region.code, region.subtree_prefix(), period).await.map_err(from_db)
}
