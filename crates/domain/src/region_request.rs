//! 地区变更申请: an account's region decides which admins review its items, plans and orders and
//! which statistics count it, so it is not self-service. The account asks; an admin above its
//! current region approves (the region changes) or declines with a reason.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::region::regions;
use crate::user::{User, optional_text, required_text};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegionRequestStatus {
    /// 待审批
    Pending,
    /// 已批准
    Approved,
    /// 未批准
    Declined,
}

impl RegionRequestStatus {
    pub const ALL: [RegionRequestStatus; 3] = [Self::Pending, Self::Approved, Self::Declined];

    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Declined => "declined",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "待审批",
            Self::Approved => "已批准",
            Self::Declined => "未批准",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// One request, as the requester and the deciding admins see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionRequest {
    pub id: i64,
    pub user_id: i64,
    /// The requester's name (unit name for organisations).
    pub user_name: String,
    pub from_region: String,
    pub to_region: String,
    /// 申请理由
    pub reason: String,
    pub status: RegionRequestStatus,
    pub decided_by: Option<i64>,
    /// 审批意见 (required when declined).
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// What an account sends to ask for a new region.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionRequestInput {
    /// The region asked for (a code of the region tree).
    pub region_code: String,
    /// Why (2–200 characters), e.g. 单位已迁至成都市高新区.
    #[schema(min_length = 2, max_length = 200)]
    pub reason: String,
}

/// A checked request: the region asked for and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegionRequest {
    pub to_region: String,
    pub reason: String,
}

impl RegionRequestInput {
    pub fn validate(self, user: &User) -> Result<NewRegionRequest> {
        let to = regions().require(self.region_code.trim()).map_err(|e| e.with_field("region_code"))?.code.clone();
        if to == user.region_code {
            return Err(Error::field("region_code", "申请的地区与现所在地区相同"));
        }
        let reason = required_text("reason", "申请理由", &self.reason, 2, 200)?;
        Ok(NewRegionRequest { to_region: to, reason })
    }
}

/// An admin's decision.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionDecisionInput {
    pub approve: bool,
    /// 审批意见: required to decline (2–200 characters), optional to approve.
    #[schema(max_length = 200)]
    pub note: Option<String>,
}

impl RegionDecisionInput {
    /// The decision and its note.
    pub fn validate(self) -> Result<(bool, Option<String>)> {
        let note = optional_text("note", self.note, 200)?;
        if !self.approve && note.as_deref().is_none_or(|n| n.chars().count() < 2) {
            return Err(Error::field("note", "不批准时请填写理由"));
        }
        Ok((self.approve, note))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::Role;

    fn org() -> User {
        User::sample(1, Role::Org, "510321")
    }

    #[test]
    fn a_request_names_another_real_region_and_a_reason() {
        let input = |code: &str, reason: &str| RegionRequestInput { region_code: code.into(), reason: reason.into() };
        let ok = input("510104", "单位已迁至成都市锦江区").validate(&org()).unwrap();
        assert_eq!(ok.to_region, "510104");
        assert_eq!(input("510321", "搬迁").validate(&org()).unwrap_err().field, Some("region_code"));
        assert_eq!(input("990000", "搬迁").validate(&org()).unwrap_err().field, Some("region_code"));
        assert_eq!(input("510104", " ").validate(&org()).unwrap_err().field, Some("reason"));
    }

    #[test]
    fn declining_needs_a_reason() {
        let d = |approve: bool, note: Option<&str>| RegionDecisionInput { approve, note: note.map(Into::into) };
        assert_eq!(d(true, None).validate().unwrap(), (true, None));
        assert_eq!(d(false, None).validate().unwrap_err().field, Some("note"));
        assert_eq!(d(false, Some("材料不全")).validate().unwrap(), (false, Some("材料不全".into())));
    }
}
