//! Accounts: roles, profiles and the rules for registering.

use serde::{Deserialize, Serialize};

use crate::error::{Code, Error, Result};
use crate::region::regions;
use crate::{credit_code, vocabulary};
use chrono::{DateTime, Utc};

vocabulary! {
    /// What an account is for. `steward` and `admin` are created by admins, never self-registered.
    Role {
        Expert = "expert" / "科技工作者";
        Org = "org" / "企事业单位";
        Steward = "steward" / "科服专员";
        Admin = "admin" / "管理员";
        Public = "public" / "科普读者";
    }
}

vocabulary! {
    OrgType {
        Enterprise = "enterprise" / "企业";
        University = "university" / "高校";
        Institute = "institute" / "科研院所";
        Hospital = "hospital" / "医疗机构";
        Other = "other" / "其他";
    }
}

impl Role {
    pub fn self_registrable(self) -> bool {
        matches!(self, Role::Expert | Role::Org | Role::Public)
    }

    /// Admins and stewards: accounts that act for a region, whose sessions end sooner when idle.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Steward)
    }
}

/// How long a session may go unused before it ends: shorter for staff, whose sessions can review,
/// verify and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleRules {
    pub staff_millis: i64,
    pub others_millis: i64,
}

impl IdleRules {
    pub fn from_minutes(staff: i64, others: i64) -> Self {
        IdleRules { staff_millis: staff * 60_000, others_millis: others * 60_000 }
    }

    /// Whether a session of `role` last used at `last_seen` (milliseconds) has ended by `now`.
    pub fn expired(&self, role: Role, last_seen: i64, now: i64) -> bool {
        let limit = if role.is_staff() { self.staff_millis } else { self.others_millis };
        now - last_seen > limit
    }
}

/// A user as the owner and admins see it (contact details included).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub display_name: String,
    pub region_code: String,
    /// For admins and stewards: the region subtree they act in.
    pub scope_region_code: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// 职称 (experts).
    pub title: Option<String>,
    /// 工作单位 (experts).
    pub employer: Option<String>,
    pub disciplines: Vec<String>,
    pub fields: Vec<String>,
    /// 单位名称 (organisations).
    pub org_name: Option<String>,
    pub credit_code: Option<String>,
    pub org_type: Option<OrgType>,
    pub industry: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl User {
    /// The region subtree an admin moderates; `None` for everyone else.
    /// A minimal account (admins scoped to their region), for tests here and in other crates.
    #[doc(hidden)]
    pub fn sample(id: i64, role: Role, region: &str) -> User {
        User {
            id,
            username: format!("u{id}"),
            role,
            display_name: "测试".into(),
            region_code: region.into(),
            scope_region_code: (role == Role::Admin).then(|| region.to_string()),
            phone: None,
            email: None,
            title: None,
            employer: None,
            disciplines: vec![],
            fields: vec![],
            org_name: None,
            credit_code: None,
            org_type: None,
            industry: None,
            created_at: Default::default(),
        }
    }

    /// The region subtree a staff member works in: an admin's scope, a steward's service area
    /// (both set by admins; the own region when none was set).
    pub fn staff_scope(&self) -> Option<&str> {
        self.role.is_staff().then(|| self.scope_region_code.as_deref().unwrap_or(&self.region_code))
    }

    pub fn admin_scope(&self) -> Option<&str> {
        (self.role == Role::Admin).then(|| self.scope_region_code.as_deref().unwrap_or(&self.region_code))
    }

    pub fn public_view(&self) -> PublicUser {
        PublicUser {
            id: self.id,
            role: self.role,
            display_name: self.display_name.clone(),
            region_code: self.region_code.clone(),
            title: self.title.clone(),
            employer: self.employer.clone(),
            disciplines: self.disciplines.clone(),
            fields: self.fields.clone(),
            org_name: self.org_name.clone(),
            org_type: self.org_type,
            industry: self.industry.clone(),
        }
    }
}

/// What anyone may see of a user: never contact details or the login name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicUser {
    pub id: i64,
    pub role: Role,
    pub display_name: String,
    pub region_code: String,
    pub title: Option<String>,
    pub employer: Option<String>,
    pub disciplines: Vec<String>,
    pub fields: Vec<String>,
    pub org_name: Option<String>,
    pub org_type: Option<OrgType>,
    pub industry: Option<String>,
}

/// Registration and admin-created accounts.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub display_name: String,
    pub region_code: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub employer: Option<String>,
    #[serde(default)]
    pub disciplines: Option<Vec<String>>,
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    #[serde(default)]
    pub org_name: Option<String>,
    #[serde(default)]
    pub credit_code: Option<String>,
    #[serde(default)]
    pub org_type: Option<OrgType>,
    #[serde(default)]
    pub industry: Option<String>,
}

/// A registration that passed every rule; the password is still plain text (hashing is I/O-heavy
/// and happens in the server).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub display_name: String,
    pub region_code: String,
    pub scope_region_code: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub employer: Option<String>,
    pub disciplines: Vec<String>,
    pub fields: Vec<String>,
    pub org_name: Option<String>,
    pub credit_code: Option<String>,
    pub org_type: Option<OrgType>,
    pub industry: Option<String>,
}

/// Profile edits by the user; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    pub display_name: Option<String>,
    /// Accepted only when it is the current region: a change is a region request
    /// (`POST /api/v1/me/region-requests`), else 422.
    pub region_code: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub employer: Option<String>,
    pub disciplines: Option<Vec<String>>,
    pub fields: Option<Vec<String>>,
    pub org_name: Option<String>,
    pub org_type: Option<OrgType>,
    pub industry: Option<String>,
}

pub fn validate_username(raw: &str) -> Result<String> {
    let name = raw.trim();
    let ok_len = (3..=32).contains(&name.chars().count());
    let ok_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok_len || !ok_chars {
        return Err(Error::field("username", "用户名应为3-32位字母、数字、下划线、短横线或点"));
    }
    Ok(name.to_string())
}

/// The shipped list of common passwords (lower-cased; `#` lines are comments).
const COMMON_PASSWORDS: &str = include_str!("../../../data/common-passwords.txt");

fn common_passwords() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
    })
}

/// Whether `password`, ignoring case, is on the shipped list of common passwords.
pub fn is_common_password(password: &str) -> bool {
    common_passwords().contains(password.to_lowercase().as_str())
}

/// The password rule, the same for every role: 10–128 characters, letters and digits, not
/// containing the username (ignoring case), not on the list of common passwords.
pub fn validate_password(username: &str, password: &str) -> Result<()> {
    let len = password.chars().count();
    if !(10..=128).contains(&len) {
        return Err(Error::field("password", "密码长度应为10-128位"));
    }
    let has_letter = password.chars().any(|c| c.is_alphabetic());
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    if !has_letter || !has_digit {
        return Err(Error::field("password", "密码应同时包含字母和数字"));
    }
    let name = username.trim().to_lowercase();
    if !name.is_empty() && password.to_lowercase().contains(&name) {
        return Err(Error::field("password", "密码不能包含用户名"));
    }
    if is_common_password(password) {
        return Err(Error::field("password", "这个密码太常见，容易被猜中，请换一个"));
    }
    Ok(())
}

/// Trims a free-text field; empty becomes `None`; longer than `max` characters is an error.
pub fn optional_text(field: &'static str, value: Option<String>, max: usize) -> Result<Option<String>> {
    match value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max => Err(Error::field(field, format!("不能超过{max}个字"))),
        other => Ok(other),
    }
}

pub fn required_text(field: &'static str, label: &str, value: &str, min: usize, max: usize) -> Result<String> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min {
        return Err(Error::field(field, format!("{label}不能少于{min}个字")));
    }
    if n > max {
        return Err(Error::field(field, format!("{label}不能超过{max}个字")));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(Error::field(field, format!("{label}含有不可见控制字符")));
    }
    Ok(v.to_string())
}

/// A short list of tags (keywords, disciplines, fields): trimmed, de-duplicated, bounded.
pub fn tag_list(field: &'static str, values: Vec<String>, max_items: usize, max_chars: usize) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let v = v.trim().to_string();
        if v.is_empty() || out.contains(&v) {
            continue;
        }
        if v.chars().count() > max_chars {
            return Err(Error::field(field, format!("每项不能超过{max_chars}个字")));
        }
        out.push(v);
    }
    if out.len() > max_items {
        return Err(Error::field(field, format!("最多{max_items}项")));
    }
    Ok(out)
}

fn phone(value: Option<String>) -> Result<Option<String>> {
    let value = optional_text("phone", value, 20)?;
    if let Some(p) = &value
        && !p.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' ')
    {
        return Err(Error::field("phone", "电话号码格式不正确"));
    }
    Ok(value)
}

fn email(value: Option<String>) -> Result<Option<String>> {
    let value = optional_text("email", value, 100)?;
    if let Some(e) = &value {
        let parts: Vec<&str> = e.split('@').collect();
        if parts.len() != 2 || parts[0].is_empty() || !parts[1].contains('.') || e.contains(char::is_whitespace) {
            return Err(Error::field("email", "电子邮箱格式不正确"));
        }
    }
    Ok(value)
}

impl RegisterInput {
    /// The basics of an account; role-specific fields start empty.
    pub fn new(username: &str, password: &str, role: Role, display_name: &str, region_code: &str) -> Self {
        RegisterInput {
            username: username.to_string(),
            password: password.to_string(),
            role,
            display_name: display_name.to_string(),
            region_code: region_code.to_string(),
            phone: None,
            email: None,
            title: None,
            employer: None,
            disciplines: None,
            fields: None,
            org_name: None,
            credit_code: None,
            org_type: None,
            industry: None,
        }
    }

    /// Validates a registration. `allow_staff` is true only for admins creating accounts.
    pub fn validate(self, allow_staff: bool) -> Result<NewUser> {
        if !allow_staff && !self.role.self_registrable() {
            return Err(Error::new(Code::Forbidden, "科服专员和管理员账号由管理员创建").with_field("role"));
        }
        let username = validate_username(&self.username)?;
        validate_password(&username, &self.password)?;
        let display_name = required_text("display_name", "姓名/名称", &self.display_name, 2, 50)?;
        let region = regions().require(self.region_code.trim()).map_err(|e| e.with_field("region_code"))?;
        let (mut org_name, mut credit, mut org_type) = (None, None, None);
        let (mut title, mut employer) = (None, None);
        let mut disciplines = Vec::new();
        let mut fields = Vec::new();
        match self.role {
            Role::Org => {
                org_name = Some(required_text(
                    "org_name",
                    "单位名称",
                    self.org_name.as_deref().unwrap_or(&display_name),
                    2,
                    100,
                )?);
                let raw =
                    self.credit_code.ok_or_else(|| Error::field("credit_code", "企事业单位须填写统一社会信用代码"))?;
                credit = Some(
                    credit_code::validate(&raw)
                        .map_err(|m| Error::new(Code::InvalidCreditCode, m).with_field("credit_code"))?,
                );
                org_type = Some(self.org_type.ok_or_else(|| Error::field("org_type", "请选择单位类型"))?);
            }
            Role::Expert => {
                title = optional_text("title", self.title, 30)?;
                employer = optional_text("employer", self.employer, 100)?;
                disciplines = tag_list("disciplines", self.disciplines.unwrap_or_default(), 10, 30)?;
                fields = tag_list("fields", self.fields.unwrap_or_default(), 10, 30)?;
            }
            _ => {}
        }
        let scope = matches!(self.role, Role::Admin | Role::Steward).then(|| region.code.clone());
        Ok(NewUser {
            username,
            password: self.password,
            role: self.role,
            display_name,
            region_code: region.code.clone(),
            scope_region_code: scope,
            phone: phone(self.phone)?,
            email: email(self.email)?,
            title,
            employer,
            disciplines,
            fields,
            org_name,
            credit_code: credit,
            org_type,
            industry: optional_text("industry", self.industry, 30)?,
        })
    }
}

impl ProfileInput {
    /// Applies the edits onto `user`, validating each changed field.
    pub fn apply(self, user: &mut User) -> Result<()> {
        if let Some(name) = self.display_name {
            user.display_name = required_text("display_name", "姓名/名称", &name, 2, 50)?;
        }
        // The region decides who reviews the account's work and which statistics count it: it
        // changes only through a request an admin of the current region approves.
        if let Some(code) = self.region_code
            && code.trim() != user.region_code
        {
            regions().require(code.trim()).map_err(|e| e.with_field("region_code"))?;
            return Err(Error::field(
                "region_code",
                "所在地区不能直接修改，请提交地区变更申请，由现所在地区的管理员审批",
            ));
        }
        if self.phone.is_some() {
            user.phone = phone(self.phone)?;
        }
        if self.email.is_some() {
            user.email = email(self.email)?;
        }
        if self.title.is_some() {
            user.title = optional_text("title", self.title, 30)?;
        }
        if self.employer.is_some() {
            user.employer = optional_text("employer", self.employer, 100)?;
        }
        if let Some(d) = self.disciplines {
            user.disciplines = tag_list("disciplines", d, 10, 30)?;
        }
        if let Some(f) = self.fields {
            user.fields = tag_list("fields", f, 10, 30)?;
        }
        if let Some(name) = self.org_name {
            if user.role != Role::Org {
                return Err(Error::field("org_name", "只有企事业单位可以填写单位名称"));
            }
            user.org_name = Some(required_text("org_name", "单位名称", &name, 2, 100)?);
        }
        if let Some(t) = self.org_type {
            if user.role != Role::Org {
                return Err(Error::field("org_type", "只有企事业单位可以填写单位类型"));
            }
            user.org_type = Some(t);
        }
        if self.industry.is_some() {
            user.industry = optional_text("industry", self.industry, 30)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org_input() -> RegisterInput {
        RegisterInput {
            phone: Some("0813-1234567".into()),
            credit_code: Some("91110000802100433B".into()),
            org_type: Some(OrgType::Enterprise),
            industry: Some("盐化工".into()),
            ..RegisterInput::new("zigong_salt", "kjy-secret-2026", Role::Org, "自贡盐化有限公司", "510321")
        }
    }

    #[test]
    fn org_registration_is_validated() {
        let ok = org_input().validate(false);
        assert!(ok.is_ok(), "{ok:?}");
        let bad_code = RegisterInput { credit_code: Some("91110000802100433C".into()), ..org_input() }.validate(false);
        assert_eq!(bad_code.err().map(|e| e.code), Some(Code::InvalidCreditCode));
        let bad_region = RegisterInput { region_code: "110000".into(), ..org_input() }.validate(false);
        assert_eq!(bad_region.err().map(|e| e.code), Some(Code::InvalidRegion));
        let no_type = RegisterInput { org_type: None, ..org_input() }.validate(false);
        assert_eq!(no_type.err().and_then(|e| e.field), Some("org_type"));
    }

    #[test]
    fn staff_cannot_self_register() {
        let admin = RegisterInput { role: Role::Admin, ..org_input() }.validate(false);
        assert_eq!(admin.err().map(|e| e.code), Some(Code::Forbidden));
        let by_admin = RegisterInput { role: Role::Steward, ..org_input() }.validate(true);
        assert_eq!(by_admin.ok().and_then(|u| u.scope_region_code), Some("510321".to_string()));
    }

    #[test]
    fn weak_passwords_and_bad_usernames_fail() {
        let field_message = |r: Result<()>| r.err().map(|e| e.message).unwrap_or_default();
        assert!(field_message(validate_password("zhang", "short1x9")).contains("10-128"));
        assert!(field_message(validate_password("zhang", "onlyletterslong")).contains("字母和数字"));
        assert!(field_message(validate_password("Zhang.San", "xx-ZHANG.san-99")).contains("用户名"));
        // On the shipped list, whatever the case.
        assert!(is_common_password("Password123"));
        assert!(field_message(validate_password("zhang", "PASSWORD123")).contains("常见"));
        assert!(validate_password("zhang", "kjy-river-2026").is_ok());
        assert!(validate_password("zhang", &format!("a1{}", "x".repeat(127))).is_err());
        assert!(validate_username("a b").is_err());
        assert!(validate_username("张三").is_err());
        assert!(validate_username("zhang.san_01").is_ok());
    }

    #[test]
    fn staff_sessions_end_sooner_when_idle() {
        let rules = IdleRules::from_minutes(30, 120);
        let minute = 60_000;
        assert!(!rules.expired(Role::Admin, 0, 30 * minute));
        assert!(rules.expired(Role::Admin, 0, 31 * minute));
        assert!(rules.expired(Role::Steward, 0, 31 * minute));
        assert!(!rules.expired(Role::Expert, 0, 31 * minute));
        assert!(rules.expired(Role::Org, 0, 121 * minute));
    }

    #[test]
    fn roles_read_codes_and_chinese_labels() {
        let r: Role = serde_json::from_str("\"企事业单位\"").unwrap_or(Role::Public);
        assert_eq!(r, Role::Org);
        assert_eq!(Role::parse("expert"), Some(Role::Expert));
        assert_eq!(serde_json::to_string(&Role::Org).unwrap_or_default(), "\"org\"");
    }
}
