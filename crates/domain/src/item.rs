//! The three kinds of published item — 科技需求 (need), 科技所能 (capability), 科技成果
//! (achievement) — their fields, validation and life cycle:
//! draft → pending → published → closed, or pending → rejected → (edit) → pending.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::amount::AmountWan;
use crate::error::{Error, Result};
use crate::region::regions;
use crate::user::{optional_text, required_text, tag_list};
use crate::vocabulary;

vocabulary! {
    ItemKind {
        Need = "need" / "科技需求", "所需";
        Capability = "capability" / "科技所能", "所能";
        Achievement = "achievement" / "科技成果", "成果";
    }
}

vocabulary! {
    ItemStatus {
        Draft = "draft" / "草稿";
        Pending = "pending" / "待审核";
        Published = "published" / "已发布";
        Rejected = "rejected" / "已退回";
        Closed = "closed" / "已关闭";
    }
}

vocabulary! {
    /// 合作方式 / 服务方式 / 转化方式 in one vocabulary so needs and offers compare directly.
    Mode {
        Development = "development" / "技术开发";
        Transfer = "transfer" / "技术转让", "转让";
        Licensing = "licensing" / "技术许可", "许可";
        Consulting = "consulting" / "技术咨询";
        Service = "service" / "技术服务";
        Talent = "talent" / "人才引进";
        Onsite = "onsite" / "驻厂服务";
        Equity = "equity" / "作价入股";
        CoDevelopment = "co_development" / "合作开发";
    }
}

vocabulary! {
    AchievementType {
        InventionPatent = "invention_patent" / "发明专利";
        UtilityModel = "utility_model" / "实用新型";
        SoftwareCopyright = "software_copyright" / "软件著作权";
        NewVariety = "new_variety" / "新品种";
        KnowHow = "know_how" / "技术秘密";
        Other = "other" / "其他";
    }
}

vocabulary! {
    Maturity {
        Lab = "lab" / "实验室";
        SmallPilot = "small_pilot" / "小试";
        Pilot = "pilot" / "中试";
        Industrial = "industrial" / "产业化";
    }
}

vocabulary! {
    /// Who may see a need's contact person (the platform never shows phone numbers publicly).
    ContactVisibility {
        Matched = "matched" / "对接后可见";
        Registered = "registered" / "登录用户可见";
    }
}

vocabulary! {
    Availability {
        Available = "available" / "可随时对接";
        Limited = "limited" / "时间有限";
        Paused = "paused" / "暂不接单";
    }
}

impl ItemKind {
    /// The plural path segment: `/api/v1/needs`, `/needs/12`.
    pub fn slug(self) -> &'static str {
        match self {
            ItemKind::Need => "needs",
            ItemKind::Capability => "capabilities",
            ItemKind::Achievement => "achievements",
        }
    }

    pub fn from_slug(slug: &str) -> Option<ItemKind> {
        ItemKind::ALL.iter().copied().find(|k| k.slug() == slug)
    }

    /// Modes an item of this kind may offer or ask for.
    pub fn allowed_modes(self) -> &'static [Mode] {
        match self {
            ItemKind::Need => &[
                Mode::Development,
                Mode::Transfer,
                Mode::Licensing,
                Mode::Consulting,
                Mode::Service,
                Mode::Talent,
                Mode::Onsite,
            ],
            ItemKind::Capability => {
                &[Mode::Development, Mode::Consulting, Mode::Service, Mode::Onsite, Mode::Talent, Mode::CoDevelopment]
            }
            ItemKind::Achievement => &[Mode::Transfer, Mode::Licensing, Mode::Equity, Mode::CoDevelopment],
        }
    }

    pub fn modes_label(self) -> &'static str {
        match self {
            ItemKind::Need => "合作方式",
            ItemKind::Capability => "服务方式",
            ItemKind::Achievement => "转化方式",
        }
    }

    pub fn amount_label(self) -> &'static str {
        match self {
            ItemKind::Need => "预算",
            ItemKind::Capability => "参考费用",
            ItemKind::Achievement => "转让价格",
        }
    }
}

/// Something that happens to an item; [`ItemStatus::after`] says where it leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemAction {
    Edit,
    Submit,
    Approve,
    Reject,
    Close,
    /// The owner confirms a published item is still open (the 180-day check).
    Confirm,
}

impl ItemAction {
    pub fn code(self) -> &'static str {
        match self {
            ItemAction::Edit => "edit",
            ItemAction::Submit => "submit",
            ItemAction::Approve => "approve",
            ItemAction::Reject => "reject",
            ItemAction::Close => "close",
            ItemAction::Confirm => "confirm",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemAction::Edit => "修改",
            ItemAction::Submit => "提交审核",
            ItemAction::Approve => "审核通过",
            ItemAction::Reject => "退回",
            ItemAction::Close => "关闭",
            ItemAction::Confirm => "确认有效",
        }
    }
}

impl ItemStatus {
    /// The state after `action`, or a 409 error naming why it is not allowed.
    /// Editing a published item sends it back to review, so nothing unreviewed is ever public.
    pub fn after(self, action: ItemAction) -> Result<ItemStatus> {
        use ItemAction as A;
        use ItemStatus as S;
        let next = match (self, action) {
            (S::Draft | S::Pending | S::Rejected, A::Edit) => Some(self),
            (S::Published, A::Edit) => Some(S::Pending),
            (S::Draft | S::Rejected, A::Submit) => Some(S::Pending),
            (S::Pending, A::Approve) => Some(S::Published),
            (S::Pending, A::Reject) => Some(S::Rejected),
            (S::Draft | S::Pending | S::Published | S::Rejected, A::Close) => Some(S::Closed),
            (S::Published, A::Confirm) => Some(S::Published),
            _ => None,
        };
        next.ok_or_else(|| Error::illegal_transition(format!("“{}”状态下不能{}", self.label(), action.label())))
    }
}

/// An item as stored and shown. Contact details of the owner are not part of it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Item {
    pub id: i64,
    pub kind: ItemKind,
    pub owner_id: i64,
    /// The owner's display name (unit name for organisations).
    pub owner_name: String,
    /// The owner's region, which decides the admins who review and manage the item (not
    /// `region_code`, which the owner chooses). Not shown.
    #[serde(skip)]
    pub owner_region_code: String,
    pub title: String,
    /// 需求描述 / 能力介绍 / 成果简介.
    pub description: String,
    pub industry: Option<String>,
    pub keywords: Vec<String>,
    pub region_code: String,
    pub status: ItemStatus,
    pub reject_reason: Option<String>,
    pub close_reason: Option<String>,
    /// 合作方式 (need), 服务方式 (capability) or 转化方式 (achievement).
    pub modes: Vec<Mode>,
    /// Budget (need), fee (capability) or price (achievement) range in 万元.
    pub amount_min_wan: Option<AmountWan>,
    pub amount_max_wan: Option<AmountWan>,
    /// Needs: the date after which the need expires.
    pub deadline: Option<NaiveDate>,
    pub contact_visibility: Option<ContactVisibility>,
    /// Capabilities: 学科.
    pub discipline: Option<String>,
    /// Capabilities: 技术领域.
    pub fields: Vec<String>,
    /// Capabilities: region codes served (empty = the whole province).
    pub service_area: Vec<String>,
    pub availability: Option<Availability>,
    pub achievement_type: Option<AchievementType>,
    /// Patent or registration number.
    pub registration_no: Option<String>,
    pub maturity: Option<Maturity>,
    /// Set at submission when the item looks like this published item (可能重复), for the owner
    /// and the reviewing admin to check; absent for everyone else (`policy::sees_review_notes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// Create and update body for every kind. On create, `title`, `description` are required and
/// `region_code` defaults to the owner's; on update, absent fields stay unchanged. A field that does
/// not belong to the kind (e.g. `deadline` on a capability) is rejected.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    pub title: Option<String>,
    #[serde(alias = "abstract")]
    pub description: Option<String>,
    pub industry: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub region_code: Option<String>,
    #[serde(alias = "cooperation_modes", alias = "service_modes", alias = "transfer_modes")]
    pub modes: Option<Vec<Mode>>,
    #[serde(alias = "budget_min_wan", alias = "price_min_wan")]
    pub amount_min_wan: Option<AmountWan>,
    #[serde(alias = "budget_max_wan", alias = "price_max_wan")]
    pub amount_max_wan: Option<AmountWan>,
    pub deadline: Option<NaiveDate>,
    pub contact_visibility: Option<ContactVisibility>,
    pub discipline: Option<String>,
    pub fields: Option<Vec<String>>,
    pub service_area: Option<Vec<String>>,
    pub availability: Option<Availability>,
    pub achievement_type: Option<AchievementType>,
    #[serde(alias = "patent_no")]
    pub registration_no: Option<String>,
    pub maturity: Option<Maturity>,
}

/// The editable content of an item after validation: what storage writes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemContent {
    pub title: String,
    pub description: String,
    pub industry: Option<String>,
    pub keywords: Vec<String>,
    pub region_code: String,
    pub modes: Vec<Mode>,
    pub amount_min_wan: Option<AmountWan>,
    pub amount_max_wan: Option<AmountWan>,
    pub deadline: Option<NaiveDate>,
    pub contact_visibility: Option<ContactVisibility>,
    pub discipline: Option<String>,
    pub fields: Vec<String>,
    pub service_area: Vec<String>,
    pub availability: Option<Availability>,
    pub achievement_type: Option<AchievementType>,
    pub registration_no: Option<String>,
    pub maturity: Option<Maturity>,
}

impl Item {
    /// The item as `viewer` may see it: review notes only for those `policy::sees_review_notes`
    /// allows. Every public view of an item (API and pages) goes through here.
    pub fn for_viewer(mut self, viewer: Option<&crate::User>) -> Item {
        if !crate::policy::sees_review_notes(viewer, &self) {
            self.duplicate_of = None;
        }
        self
    }

    pub fn content(&self) -> ItemContent {
        ItemContent {
            title: self.title.clone(),
            description: self.description.clone(),
            industry: self.industry.clone(),
            keywords: self.keywords.clone(),
            region_code: self.region_code.clone(),
            modes: self.modes.clone(),
            amount_min_wan: self.amount_min_wan,
            amount_max_wan: self.amount_max_wan,
            deadline: self.deadline,
            contact_visibility: self.contact_visibility,
            discipline: self.discipline.clone(),
            fields: self.fields.clone(),
            service_area: self.service_area.clone(),
            availability: self.availability,
            achievement_type: self.achievement_type,
            registration_no: self.registration_no.clone(),
            maturity: self.maturity,
        }
    }

    /// "预算 5-20 万元", "面议".
    pub fn amount_text(&self) -> String {
        match (self.amount_min_wan, self.amount_max_wan) {
            (Some(a), Some(b)) if a == b => format!("{a} 万元"),
            (Some(a), Some(b)) => format!("{a}-{b} 万元"),
            (Some(a), None) => format!("{a} 万元起"),
            (None, Some(b)) => format!("{b} 万元以内"),
            (None, None) => "面议".to_string(),
        }
    }

    /// Whether a published need is past its deadline on `today` (China time).
    pub fn is_expired(&self, today: NaiveDate) -> bool {
        self.kind == ItemKind::Need && self.deadline.is_some_and(|d| d < today)
    }
}

fn reject_foreign<T>(kind: ItemKind, field: &'static str, value: &Option<T>, allowed: &[ItemKind]) -> Result<()> {
    if value.is_some() && !allowed.contains(&kind) {
        return Err(Error::field(field, format!("{}不能填写此项", kind.label())));
    }
    Ok(())
}

impl ItemInput {
    /// Merges this input onto `base` (an existing item's content, or the defaults for a new one)
    /// and validates the result for `kind`. `today` is the China date, for deadlines.
    pub fn apply(self, kind: ItemKind, base: ItemContent, today: NaiveDate) -> Result<ItemContent> {
        use ItemKind::{Achievement as A, Capability as C, Need as N};
        reject_foreign(kind, "deadline", &self.deadline, &[N])?;
        reject_foreign(kind, "contact_visibility", &self.contact_visibility, &[N])?;
        reject_foreign(kind, "discipline", &self.discipline, &[C])?;
        reject_foreign(kind, "fields", &self.fields, &[C])?;
        reject_foreign(kind, "service_area", &self.service_area, &[C])?;
        reject_foreign(kind, "availability", &self.availability, &[C])?;
        reject_foreign(kind, "achievement_type", &self.achievement_type, &[A])?;
        reject_foreign(kind, "registration_no", &self.registration_no, &[A])?;
        reject_foreign(kind, "maturity", &self.maturity, &[A])?;

        let mut c = base;
        if let Some(t) = self.title {
            c.title = t;
        }
        if let Some(d) = self.description {
            c.description = d;
        }
        c.title = required_text("title", "标题", &c.title, 4, 100)?;
        c.description = required_text("description", "描述", &c.description, 10, 5000)?;
        if self.industry.is_some() {
            c.industry = optional_text("industry", self.industry, 30)?;
        }
        if let Some(k) = self.keywords {
            c.keywords = tag_list("keywords", k, 10, 20)?;
        }
        if let Some(code) = self.region_code {
            c.region_code = code.trim().to_string();
        }
        c.region_code = regions().require(&c.region_code).map_err(|e| e.with_field("region_code"))?.code.clone();
        if let Some(modes) = self.modes {
            let mut unique = Vec::new();
            for m in modes {
                if !kind.allowed_modes().contains(&m) {
                    return Err(Error::field("modes", format!("{}不能选择“{}”", kind.label(), m.label())));
                }
                if !unique.contains(&m) {
                    unique.push(m);
                }
            }
            c.modes = unique;
        }
        if self.amount_min_wan.is_some() {
            c.amount_min_wan = self.amount_min_wan;
        }
        if self.amount_max_wan.is_some() {
            c.amount_max_wan = self.amount_max_wan;
        }
        if let (Some(a), Some(b)) = (c.amount_min_wan, c.amount_max_wan)
            && a > b
        {
            return Err(Error::field("amount_max_wan", "金额上限不能低于下限"));
        }
        if let Some(d) = self.deadline {
            if d < today {
                return Err(Error::field("deadline", "截止日期不能早于今天"));
            }
            c.deadline = Some(d);
        }
        if self.contact_visibility.is_some() {
            c.contact_visibility = self.contact_visibility;
        }
        if kind == N && c.contact_visibility.is_none() {
            c.contact_visibility = Some(ContactVisibility::Matched);
        }
        if self.discipline.is_some() {
            c.discipline = optional_text("discipline", self.discipline, 30)?;
        }
        if let Some(f) = self.fields {
            c.fields = tag_list("fields", f, 10, 30)?;
        }
        if let Some(area) = self.service_area {
            let mut codes = Vec::new();
            for code in area {
                let r = regions().require(code.trim()).map_err(|e| e.with_field("service_area"))?;
                if !codes.contains(&r.code) {
                    codes.push(r.code.clone());
                }
            }
            c.service_area = codes;
        }
        if self.availability.is_some() {
            c.availability = self.availability;
        }
        if self.achievement_type.is_some() {
            c.achievement_type = self.achievement_type;
        }
        if self.registration_no.is_some() {
            c.registration_no = optional_text("registration_no", self.registration_no, 40)?;
        }
        if self.maturity.is_some() {
            c.maturity = self.maturity;
        }
        Ok(c)
    }
}

impl Item {
    /// A minimal item, for tests of rules here and in other crates.
    #[doc(hidden)]
    pub fn sample(kind: ItemKind, owner_id: i64, region_code: &str, status: ItemStatus) -> Item {
        Item {
            id: 9,
            kind,
            owner_id,
            owner_name: "测试单位".into(),
            owner_region_code: region_code.into(),
            title: "标题足够长".into(),
            description: "足够长的描述内容在这里".into(),
            industry: None,
            keywords: vec![],
            region_code: region_code.into(),
            status,
            reject_reason: None,
            close_reason: None,
            modes: vec![],
            amount_min_wan: None,
            amount_max_wan: None,
            deadline: None,
            contact_visibility: None,
            discipline: None,
            fields: vec![],
            service_area: vec![],
            availability: None,
            achievement_type: None,
            registration_no: None,
            maturity: None,
            duplicate_of: None,
            created_at: Default::default(),
            updated_at: Default::default(),
            published_at: None,
        }
    }
}

/// Rules that must hold when an item goes to review (drafts may be incomplete in time only).
pub fn check_submittable(kind: ItemKind, content: &ItemContent, today: NaiveDate) -> Result<()> {
    if kind == ItemKind::Need && content.deadline.is_some_and(|d| d < today) {
        return Err(Error::field("deadline", "截止日期已过，请修改后再提交"));
    }
    if kind == ItemKind::Achievement && content.achievement_type.is_none() {
        return Err(Error::field("achievement_type", "请选择成果类型"));
    }
    Ok(())
}

/// How long a published item may stay untouched before its owner is asked to confirm it.
pub const STALE_AFTER_DAYS: i64 = 180;
/// How long the owner has to answer that question before the item is closed.
pub const CONFIRM_GRACE_DAYS: i64 = 30;

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
    }

    fn base() -> ItemContent {
        ItemContent { region_code: "510321".into(), ..Default::default() }
    }

    fn input(json: &str) -> ItemInput {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
    }

    #[test]
    fn life_cycle_allows_only_legal_moves() {
        use ItemAction as A;
        use ItemStatus as S;
        assert_eq!(S::Draft.after(A::Submit), Ok(S::Pending));
        assert_eq!(S::Pending.after(A::Approve), Ok(S::Published));
        assert_eq!(S::Pending.after(A::Reject), Ok(S::Rejected));
        assert_eq!(S::Rejected.after(A::Edit), Ok(S::Rejected));
        assert_eq!(S::Rejected.after(A::Submit), Ok(S::Pending));
        assert_eq!(S::Published.after(A::Edit), Ok(S::Pending));
        assert_eq!(S::Published.after(A::Close), Ok(S::Closed));
        for bad in [(S::Draft, A::Approve), (S::Published, A::Submit), (S::Closed, A::Edit), (S::Closed, A::Close)] {
            let err = bad.0.after(bad.1).err();
            assert_eq!(err.map(|e| e.status()), Some(409), "{bad:?}");
        }
    }

    #[test]
    fn need_input_is_validated_and_merged() {
        let c = input(
            r#"{"title":"酒糟资源化利用","description":"每天产生大量白酒糟，堆放发臭，希望找到处理办法。",
                "keywords":["酒糟"," 酒糟 ","饲料"],"cooperation_modes":["技术开发","consulting"],
                "budget_min_wan":"5","budget_max_wan":20.5,"deadline":"2027-03-01"}"#,
        )
        .apply(ItemKind::Need, base(), today());
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.keywords, vec!["酒糟", "饲料"]);
        assert_eq!(c.modes, vec![Mode::Development, Mode::Consulting]);
        assert_eq!(c.amount_max_wan.map(|a| a.to_yuan()), Some(205_000));
        assert_eq!(c.contact_visibility, Some(ContactVisibility::Matched));

        let patch = input(r#"{"title":"白酒糟饲料化处理"}"#).apply(ItemKind::Need, c.clone(), today());
        assert_eq!(patch.map(|p| (p.title, p.description)).ok(), Some(("白酒糟饲料化处理".into(), c.description)));
    }

    #[test]
    fn bad_item_inputs_are_rejected_with_their_field() {
        let cases = [
            (ItemKind::Need, r#"{"title":"短","description":"足够长的描述内容在这里"}"#, "title"),
            (ItemKind::Need, r#"{"title":"标题足够长","description":"太短"}"#, "description"),
            (
                ItemKind::Need,
                r#"{"title":"标题足够长","description":"足够长的描述内容在这里","deadline":"2020-01-01"}"#,
                "deadline",
            ),
            (
                ItemKind::Need,
                r#"{"title":"标题足够长","description":"足够长的描述内容在这里","amount_min_wan":9,"amount_max_wan":3}"#,
                "amount_max_wan",
            ),
            (
                ItemKind::Need,
                r#"{"title":"标题足够长","description":"足够长的描述内容在这里","region_code":"110101"}"#,
                "region_code",
            ),
            (
                ItemKind::Capability,
                r#"{"title":"标题足够长","description":"足够长的描述内容在这里","deadline":"2027-01-01"}"#,
                "deadline",
            ),
            (
                ItemKind::Achievement,
                r#"{"title":"标题足够长","description":"足够长的描述内容在这里","modes":["人才引进"]}"#,
                "modes",
            ),
        ];
        for (kind, json, field) in cases {
            let err = input(json).apply(kind, base(), today()).err();
            assert_eq!(err.and_then(|e| e.field), Some(field), "{json}");
        }
        assert!(serde_json::from_str::<ItemInput>(r#"{"title":"x","colour":"red"}"#).is_err());
        assert!(serde_json::from_str::<ItemInput>(r#"{"modes":["飞行"]}"#).is_err());
    }

    #[test]
    fn expired_needs_cannot_be_submitted() {
        let item = Item {
            deadline: NaiveDate::from_ymd_opt(2026, 11, 24),
            ..Item::sample(ItemKind::Need, 1, "510321", ItemStatus::Draft)
        };
        assert!(item.is_expired(today()));
        assert!(check_submittable(item.kind, &item.content(), today()).is_err());
        let open = Item { deadline: NaiveDate::from_ymd_opt(2026, 11, 25), ..item };
        assert!(!open.is_expired(today()));
        assert_eq!(open.amount_text(), "面议");
    }
}
