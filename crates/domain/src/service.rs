//! 科服保姆 work: stewards and their organisations, 一企一策 service plans, service orders (服务单)
//! with their state machine and first-response SLA, proposals of experts with both sides' consent,
//! and the counters the platform reports. Contracts and commissioned projects live in
//! [`crate::contract`].

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::time::{Timestamp, china};
use crate::user::{optional_text, required_text};
use crate::vocabulary;

vocabulary! {
    OrderType {
        NeedMatching = "need_matching" / "需求对接";
        Consulting = "consulting" / "技术咨询";
        Transfer = "transfer" / "成果转化";
        Policy = "policy" / "政策咨询";
        Talent = "talent" / "人才引进";
        PlatformHelp = "platform_help" / "平台操作帮助";
        Other = "other" / "其他";
    }
}

vocabulary! {
    OrderStatus {
        Accepted = "accepted" / "受理";
        Matching = "matching" / "对接中";
        Introduced = "introduced" / "已对接";
        Signed = "signed" / "已签约";
        Completed = "completed" / "已完成";
        Closed = "closed" / "已关闭";
    }
}

vocabulary! {
    /// How a steward was in touch with an organisation (走访记录).
    Channel {
        Onsite = "onsite" / "上门";
        Phone = "phone" / "电话";
        Online = "online" / "线上";
    }
}

vocabulary! {
    /// Why an expert (or an organisation) turns a proposal down; counted as matching feedback.
    DeclineReason {
        Direction = "direction" / "方向不符";
        Schedule = "schedule" / "时间冲突";
        Budget = "budget" / "预算不足";
        Unclear = "unclear" / "需求描述不清";
        Immature = "immature" / "技术不成熟";
        Other = "other" / "其他";
    }
}

vocabulary! {
    /// One side's answer to a proposal.
    Response {
        Pending = "pending" / "待回应";
        Accepted = "accepted" / "同意对接";
        Declined = "declined" / "婉拒";
    }
}

impl OrderType {
    /// Whether the order is about bringing in someone (an expert, a result, a talent); the others
    /// (policy questions, help with the platform) can be completed without an introduction.
    pub fn needs_introduction(self) -> bool {
        matches!(self, OrderType::NeedMatching | OrderType::Consulting | OrderType::Transfer | OrderType::Talent)
    }
}

impl OrderStatus {
    pub fn is_open(self) -> bool {
        !matches!(self, OrderStatus::Completed | OrderStatus::Closed)
    }

    /// Reached 已对接 or further: the order produced an effective solution (有效解决方案).
    pub fn is_solution(self) -> bool {
        matches!(self, OrderStatus::Introduced | OrderStatus::Signed | OrderStatus::Completed)
    }

    /// The state after `action` on an order of `order_type`, or a 409 naming why not.
    pub fn after(self, action: OrderAction, order_type: OrderType) -> Result<OrderStatus> {
        use OrderAction as A;
        use OrderStatus as S;
        let next = match (self, action) {
            (S::Accepted, A::Start) => Some(S::Matching),
            (S::Accepted | S::Matching, A::Propose) => Some(S::Matching),
            (S::Matching, A::Introduce) => Some(S::Introduced),
            (S::Introduced | S::Signed, A::Introduce) => Some(self),
            (S::Introduced, A::Sign) | (S::Signed, A::Sign) => Some(S::Signed),
            (S::Introduced | S::Signed, A::Complete) => Some(S::Completed),
            (S::Matching, A::Complete) if !order_type.needs_introduction() => Some(S::Completed),
            (S::Accepted | S::Matching | S::Introduced | S::Signed, A::Close) => Some(S::Closed),
            _ => None,
        };
        next.ok_or_else(|| Error::illegal_transition(format!("服务单“{}”状态下不能{}", self.label(), action.label())))
    }
}

/// Something that happens to a service order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderAction {
    /// The steward takes the order up (the first response).
    Start,
    /// The steward proposes an expert, capability or achievement.
    Propose,
    /// Both sides of a proposal agreed to talk.
    Introduce,
    /// A contract for the order was registered.
    Sign,
    Complete,
    Close,
}

impl OrderAction {
    pub fn code(self) -> &'static str {
        match self {
            OrderAction::Start => "start",
            OrderAction::Propose => "propose",
            OrderAction::Introduce => "introduce",
            OrderAction::Sign => "sign",
            OrderAction::Complete => "complete",
            OrderAction::Close => "close",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderAction::Start => "开始对接",
            OrderAction::Propose => "推荐专家",
            OrderAction::Introduce => "确认对接",
            OrderAction::Sign => "登记签约",
            OrderAction::Complete => "完成服务",
            OrderAction::Close => "关闭服务单",
        }
    }
}

/// Default number of working days within which a steward must first respond to an order.
pub const DEFAULT_SLA_WORKING_DAYS: u32 = 2;

/// The moment the first response to an order opened at `opened` is due: the end (24:00 China
/// time) of the `working_days`-th working day after the opening day. Saturdays and Sundays do not
/// count, so an order opened on Friday with two days is due at the end of Tuesday.
pub fn first_response_due(opened: Timestamp, working_days: u32) -> Timestamp {
    let mut day = opened.with_timezone(&china()).date_naive();
    let mut left = working_days;
    while left > 0 {
        day += Duration::days(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    let end = (day + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default();
    china().from_local_datetime(&end).single().map(|t| t.to_utc()).unwrap_or(opened)
}

/// An order is overdue while nobody responded and the due moment has passed.
pub fn is_overdue(status: OrderStatus, first_response_at: Option<Timestamp>, due: Timestamp, now: Timestamp) -> bool {
    status.is_open() && first_response_at.is_none() && now > due
}

/// Opening a service order.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    pub order_type: OrderType,
    /// Optional when `need_id` is given: the need's title is used.
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The published need the order is about.
    #[serde(default)]
    pub need_id: Option<i64>,
    /// The organisation served, when a steward opens the order on its behalf.
    #[serde(default)]
    pub org_id: Option<i64>,
}

/// A validated order's text.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderText {
    pub title: String,
    pub description: String,
}

impl OrderInput {
    /// Title and description, taking the need's when the order is opened from one.
    pub fn text(&self, need: Option<(&str, &str)>) -> Result<OrderText> {
        let title = match (&self.title, need) {
            (Some(t), _) if !t.trim().is_empty() => t.clone(),
            (_, Some((t, _))) => t.to_string(),
            _ => String::new(),
        };
        let description = match (&self.description, need) {
            (Some(d), _) if !d.trim().is_empty() => d.clone(),
            (_, Some((_, d))) => d.to_string(),
            _ => String::new(),
        };
        Ok(OrderText {
            title: required_text("title", "服务单标题", &title, 4, 100)?,
            description: required_text("description", "服务内容", &description, 10, 5000)?,
        })
    }
}

/// A reason with its free text, as given when declining.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseInput {
    pub accept: bool,
    #[serde(default)]
    pub reason: Option<DeclineReason>,
    #[serde(default)]
    pub text: Option<String>,
}

impl ResponseInput {
    /// `(response, reason, text)`: a decline needs a reason, and "其他" needs words.
    pub fn validate(self) -> Result<(Response, Option<DeclineReason>, Option<String>)> {
        let text = optional_text("text", self.text, 500)?;
        if self.accept {
            return Ok((Response::Accepted, None, text));
        }
        let reason = self.reason.ok_or_else(|| Error::field("reason", "请选择婉拒的原因"))?;
        if reason == DeclineReason::Other && text.is_none() {
            return Err(Error::field("text", "选择“其他”时请说明原因"));
        }
        Ok((Response::Declined, Some(reason), text))
    }
}

/// Both sides said yes: the two may now see each other's phone and e-mail.
pub fn is_introduced(provider: Response, org: Response) -> bool {
    provider == Response::Accepted && org == Response::Accepted
}

/// Closing an order.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    pub reason: String,
}

impl CloseInput {
    pub fn validate(&self) -> Result<String> {
        required_text("reason", "关闭原因", &self.reason, 2, 500)
    }
}

/// The organisation's rating of a completed order.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingInput {
    /// 1 (很不满意) … 5 (非常满意).
    pub score: i64,
    #[serde(default)]
    pub comment: Option<String>,
}

impl RatingInput {
    pub fn validate(self) -> Result<(i64, Option<String>)> {
        if !(1..=5).contains(&self.score) {
            return Err(Error::field("score", "评分应为 1 到 5 分"));
        }
        Ok((self.score, optional_text("comment", self.comment, 1000)?))
    }
}

/// The situation and goals of an organisation's service plan (一企一策).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// 企业现状.
    pub situation: String,
    /// 服务目标.
    pub goals: String,
}

impl PlanInput {
    pub fn validate(self) -> Result<PlanInput> {
        Ok(PlanInput {
            situation: required_text("situation", "企业现状", &self.situation, 0, 5000)?,
            goals: required_text("goals", "服务目标", &self.goals, 0, 5000)?,
        })
    }
}

/// A planned action of a service plan.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanActionInput {
    pub title: String,
    pub due_on: NaiveDate,
}

impl PlanActionInput {
    pub fn validate(self) -> Result<PlanActionInput> {
        Ok(PlanActionInput { title: required_text("title", "计划事项", &self.title, 2, 200)?, due_on: self.due_on })
    }
}

/// A visit, call or online contact (走访记录).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactLogInput {
    pub contact_on: NaiveDate,
    pub channel: Channel,
    pub summary: String,
    /// 后续跟进.
    #[serde(default)]
    pub follow_up: Option<String>,
}

impl ContactLogInput {
    pub fn validate(self, today: NaiveDate) -> Result<ContactLogInput> {
        if self.contact_on > today {
            return Err(Error::field("contact_on", "走访日期不能晚于今天"));
        }
        Ok(ContactLogInput {
            summary: required_text("summary", "走访内容", &self.summary, 2, 2000)?,
            follow_up: optional_text("follow_up", self.follow_up, 1000)?,
            ..self
        })
    }
}

/// A date range of statistics, inclusive, in China dates; open ends cover everything.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Period {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Period {
    pub fn new(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Period> {
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(Error::new(crate::Code::InvalidQuery, "起始日期不能晚于结束日期"));
        }
        Ok(Period { from, to })
    }

    /// `[start, end)` in UTC milliseconds (China midnight boundaries). Dates at the very ends of
    /// the calendar (a query may name `+262142-12-31`) stay open-ended instead of overflowing.
    pub fn millis(self) -> (i64, i64) {
        let at = |d: NaiveDate| {
            let midnight = d.and_hms_opt(0, 0, 0)?;
            china().from_local_datetime(&midnight).single().map(|t| t.timestamp_millis())
        };
        (
            self.from.and_then(at).unwrap_or(i64::MIN),
            self.to.and_then(|d| d.succ_opt()).and_then(at).unwrap_or(i64::MAX),
        )
    }
}

/// The counters the province reports, computed from records, never typed in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ServiceStats {
    pub region_code: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// 服务量: orders opened in the period.
    pub orders_opened: i64,
    /// Orders completed in the period.
    pub orders_completed: i64,
    /// 服务企业数: organisations with an order opened in the period.
    pub orgs_served: i64,
    /// 有效解决方案数: orders that reached 已对接 in the period.
    pub solutions: i64,
    /// 技术合同数: verified contracts signed in the period.
    pub contracts: i64,
    /// 技术交易额 in 万元 (exact), of those contracts.
    pub transaction_wan: crate::AmountWan,
    /// 委托科研项目数: projects of those contracts.
    pub projects: i64,
    /// Mean hours from opening to first response, of orders opened in the period.
    pub avg_first_response_hours: Option<f64>,
    /// Orders still waiting past their first-response deadline.
    pub overdue_orders: i64,
    /// Mean rating (1–5) of orders completed in the period, and how many were rated.
    pub satisfaction: Option<f64>,
    pub ratings: i64,
    /// Declines of proposals in the period, by reason (matching feedback).
    pub decline_reasons: Vec<ReasonCount>,
    /// Per steward: orders opened and completed, declines met.
    pub stewards: Vec<StewardCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReasonCount {
    pub reason: DeclineReason,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StewardCount {
    pub steward_id: i64,
    pub name: String,
    pub orders_opened: i64,
    pub orders_completed: i64,
    pub declines: i64,
}

/// A service order as stored, with the names of the organisation and steward.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceOrder {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub opened_by: i64,
    pub steward_id: Option<i64>,
    pub steward_name: Option<String>,
    pub need_id: Option<i64>,
    pub order_type: OrderType,
    pub title: String,
    pub description: String,
    pub status: OrderStatus,
    pub close_reason: Option<String>,
    /// The organisation's region: the order counts there.
    pub region_code: String,
    pub opened_at: DateTime<Utc>,
    pub first_response_due: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub introduced_at: Option<DateTime<Utc>>,
    pub signed_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
    /// Nobody responded and the first-response deadline has passed.
    pub overdue: bool,
    #[serde(skip)]
    pub version: i64,
}

impl ServiceOrder {
    pub fn facts(&self, viewer_is_provider: bool) -> crate::policy::OrderFacts<'_> {
        crate::policy::OrderFacts {
            org_id: self.org_id,
            steward_id: self.steward_id,
            region_code: &self.region_code,
            viewer_is_provider,
        }
    }

    /// The order read as a need, for the matching engine when it was not opened from one.
    pub fn as_need(&self, industry: Option<String>) -> crate::Item {
        use crate::item::{Item, ItemKind, ItemStatus};
        Item {
            id: 0,
            owner_name: self.org_name.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            industry,
            ..Item::sample(ItemKind::Need, self.org_id, &self.region_code, ItemStatus::Published)
        }
    }
}

/// Phone and e-mail, shown only to the two sides of an agreed proposal.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// An expert (or a capability or achievement and its owner) proposed on an order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Proposal {
    pub id: i64,
    pub order_id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    /// 职称 and 工作单位 of an expert, for the organisation to judge.
    pub provider_title: Option<String>,
    pub provider_employer: Option<String>,
    pub item_id: Option<i64>,
    pub item_title: Option<String>,
    pub note: Option<String>,
    pub provider_response: Response,
    pub provider_reason: Option<DeclineReason>,
    pub provider_text: Option<String>,
    pub org_response: Response,
    pub org_reason: Option<DeclineReason>,
    pub org_text: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The other side's contact: the provider's for the organisation, the organisation's for the
    /// provider — and only once both agreed.
    pub contact: Option<Contact>,
}

impl Proposal {
    pub fn introduced(&self) -> bool {
        is_introduced(self.provider_response, self.org_response)
    }
}

/// A proposal awaiting (or answered by) the provider, with what the order asks for.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Invitation {
    pub proposal: Proposal,
    pub order_title: String,
    pub order_type: OrderType,
    pub order_description: String,
    pub org_name: String,
}

/// An entry of a service plan's action list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanAction {
    pub id: i64,
    pub title: String,
    pub due_on: NaiveDate,
    pub done_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

/// A 走访记录.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactLogEntry {
    pub id: i64,
    pub steward_id: i64,
    pub steward_name: String,
    pub contact_on: NaiveDate,
    pub channel: Channel,
    pub summary: String,
    pub follow_up: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// 一企一策: an organisation's living service plan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServicePlan {
    pub org_id: i64,
    pub org_name: String,
    pub steward_id: Option<i64>,
    pub steward_name: Option<String>,
    pub situation: String,
    pub goals: String,
    pub updated_at: Option<DateTime<Utc>>,
    pub actions: Vec<PlanAction>,
    pub contacts: Vec<ContactLogEntry>,
}

/// A steward's assignment to an organisation (the history keeps ended ones).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Assignment {
    pub org_id: i64,
    pub steward_id: i64,
    pub steward_name: String,
    pub assigned_by: Option<i64>,
    pub assigned_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A line of a steward's 我的服务企业.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServedOrg {
    pub org_id: i64,
    pub org_name: String,
    pub region_code: String,
    pub open_needs: i64,
    pub open_orders: i64,
    pub last_contact_on: Option<NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn at(text: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn orders_follow_the_state_machine() {
        use OrderAction as A;
        use OrderStatus as S;
        let t = OrderType::NeedMatching;
        assert_eq!(S::Accepted.after(A::Start, t), Ok(S::Matching));
        assert_eq!(S::Accepted.after(A::Propose, t), Ok(S::Matching));
        assert_eq!(S::Matching.after(A::Introduce, t), Ok(S::Introduced));
        assert_eq!(S::Introduced.after(A::Sign, t), Ok(S::Signed));
        assert_eq!(S::Signed.after(A::Complete, t), Ok(S::Completed));
        assert_eq!(S::Signed.after(A::Close, t), Ok(S::Closed));
        for (from, action) in [
            (S::Accepted, A::Complete),
            (S::Accepted, A::Sign),
            (S::Matching, A::Sign),
            (S::Matching, A::Complete),
            (S::Completed, A::Close),
            (S::Closed, A::Start),
            (S::Completed, A::Propose),
        ] {
            let err = from.after(action, t).unwrap_err();
            assert_eq!(err.status(), 409, "{from:?} {action:?}");
            assert!(err.message.contains(from.label()));
        }
    }

    #[test]
    fn questions_without_an_expert_complete_from_matching() {
        assert_eq!(OrderStatus::Matching.after(OrderAction::Complete, OrderType::Policy), Ok(OrderStatus::Completed));
        assert!(OrderStatus::Accepted.after(OrderAction::Complete, OrderType::Policy).is_err());
    }

    #[test]
    fn first_response_is_due_after_working_days() {
        // Wednesday 2026-11-25 10:00 China → end of Friday 11-27.
        let wed = at("2026-11-25T10:00:00+08:00");
        assert_eq!(first_response_due(wed, 2), at("2026-11-28T00:00:00+08:00"));
        // Friday → weekend skipped → end of Tuesday.
        let fri = at("2026-11-27T23:30:00+08:00");
        assert_eq!(first_response_due(fri, 2), at("2026-12-02T00:00:00+08:00"));
        // Saturday counts from the next Monday.
        let sat = at("2026-11-28T09:00:00+08:00");
        assert_eq!(first_response_due(sat, 1), at("2026-12-01T00:00:00+08:00"));
        // UTC evening is already the next China day.
        let late = at("2026-11-25T17:00:00Z");
        assert_eq!(first_response_due(late, 1), at("2026-11-28T00:00:00+08:00"));
    }

    #[test]
    fn overdue_only_without_response_and_while_open() {
        let due = at("2026-11-28T00:00:00+08:00");
        let later = at("2026-11-30T00:00:00+08:00");
        assert!(is_overdue(OrderStatus::Accepted, None, due, later));
        assert!(!is_overdue(OrderStatus::Accepted, None, due, at("2026-11-27T00:00:00+08:00")));
        assert!(!is_overdue(OrderStatus::Matching, Some(due), due, later));
        assert!(!is_overdue(OrderStatus::Closed, None, due, later));
    }

    #[test]
    fn declining_needs_a_reason() {
        let decline = |reason, text: Option<&str>| {
            ResponseInput { accept: false, reason, text: text.map(str::to_string) }.validate()
        };
        assert_eq!(decline(None, None).unwrap_err().field, Some("reason"));
        assert_eq!(decline(Some(DeclineReason::Other), None).unwrap_err().field, Some("text"));
        let (response, reason, _) = decline(Some(DeclineReason::Schedule), None).unwrap();
        assert_eq!((response, reason), (Response::Declined, Some(DeclineReason::Schedule)));
        let accepted = ResponseInput { accept: true, reason: None, text: None }.validate().unwrap();
        assert_eq!(accepted.0, Response::Accepted);
        assert!(is_introduced(Response::Accepted, Response::Accepted));
        assert!(!is_introduced(Response::Accepted, Response::Pending));
        assert_eq!(DeclineReason::parse("预算不足"), Some(DeclineReason::Budget));
    }

    #[test]
    fn order_text_falls_back_to_the_need() {
        let input = OrderInput {
            order_type: OrderType::NeedMatching,
            title: None,
            description: None,
            need_id: Some(1),
            org_id: None,
        };
        let text = input.text(Some(("白酒丢糟处理需求", "每年产生大量丢糟，希望找到饲料化技术。"))).unwrap();
        assert_eq!(text.title, "白酒丢糟处理需求");
        assert_eq!(input.text(None).unwrap_err().field, Some("title"));
    }

    #[test]
    fn ratings_are_one_to_five() {
        assert!(RatingInput { score: 0, comment: None }.validate().is_err());
        assert!(RatingInput { score: 6, comment: None }.validate().is_err());
        assert_eq!(
            RatingInput { score: 5, comment: Some(" 很好 ".into()) }.validate().unwrap().1.as_deref(),
            Some("很好")
        );
    }

    #[test]
    fn periods_use_china_days() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let p = Period::new(Some(d("2026-11-25")), Some(d("2026-11-25"))).unwrap();
        let (start, end) = p.millis();
        assert_eq!(start, at("2026-11-25T00:00:00+08:00").timestamp_millis());
        assert_eq!(end - start, 86_400_000);
        assert_eq!(Period::new(Some(d("2026-11-26")), Some(d("2026-11-25"))).unwrap_err().status(), 400);
        assert_eq!(Period::default().millis(), (i64::MIN, i64::MAX));
    }

    #[test]
    fn periods_at_the_ends_of_the_calendar_stay_open() {
        // Found by the `query_string` fuzz target: `?to=%2B262142-12-31` overflowed (a panic, so a
        // 500) and `?from=-262143-01-01` started the period in 1970.
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let last = Period::new(Some(day("2026-11-25")), Some(NaiveDate::MAX)).unwrap();
        assert_eq!(last.millis(), (at("2026-11-25T00:00:00+08:00").timestamp_millis(), i64::MAX));
        let first = Period::new(Some(NaiveDate::MIN), Some(day("1960-01-01"))).unwrap();
        assert_eq!(first.millis(), (i64::MIN, at("1960-01-02T00:00:00+08:00").timestamp_millis()));
        let all = Period::new(Some(NaiveDate::MIN), Some(NaiveDate::MAX)).unwrap();
        assert_eq!(all.millis(), (i64::MIN, i64::MAX));
        let parsed: NaiveDate = serde_json::from_str("\"+262142-12-31\"").unwrap();
        assert_eq!(parsed, NaiveDate::MAX);
    }
}
