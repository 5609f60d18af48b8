//! Searching and exporting the audit log (admins, within their region; the province sees all).

use chrono::NaiveDate;
use kejiyun_db::audit::{AuditEntry, AuditEvent, AuditFilter};
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::time::{china, now, to_millis};
use kejiyun_domain::{Error, User, audit, policy, regions};
use serde::Deserialize;

use crate::features::Result;
use crate::platform::from_db;
use crate::platform::state::AppState;

/// Most records one export holds (narrow the search for more).
pub const EXPORT_LIMIT: i64 = 50_000;

#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// The account that acted.
    #[serde(default)]
    pub actor_id: Option<i64>,
    /// An action code, e.g. `login`, `logout`, `password_change`, `region_change`, `verify`, `export`.
    #[serde(default)]
    #[param(max_length = 64)]
    pub action: Option<String>,
    /// An object type, e.g. `user`, `contract`, `service_order`, `need`.
    #[serde(default)]
    #[param(max_length = 64)]
    pub entity: Option<String>,
    /// The object's id (with `entity`).
    #[serde(default)]
    pub entity_id: Option<i64>,
    /// From this day (YYYY-MM-DD, China time), inclusive.
    #[serde(default)]
    pub since: Option<String>,
    /// To this day (YYYY-MM-DD, China time), inclusive.
    #[serde(default)]
    pub until: Option<String>,
    /// 1-based page.
    #[serde(default)]
    pub page: Option<u32>,
    /// 1–100, default 20.
    #[serde(default)]
    pub per_page: Option<u32>,
}

/// A code given as a filter: lower-case letters, digits and `_`, at most 64.
fn code(field: &'static str, value: &Option<String>) -> Result<Option<String>> {
    let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    if v.len() > 64 || !v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(Error::field(field, "应为英文小写字母、数字或下划线组成的代码（不超过64个字符）"));
    }
    Ok(Some(v.to_string()))
}

/// The first millisecond of `day` in China, or of the day after when `end` (an inclusive end).
fn day_bound(field: &'static str, value: &Option<String>, end: bool) -> Result<Option<i64>> {
    let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    let day = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| Error::field(field, "日期格式应为 YYYY-MM-DD"))?;
    let day = if end { day.succ_opt().ok_or_else(|| Error::field(field, "日期超出范围"))? } else { day };
    let start = day
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(china()).single())
        .ok_or_else(|| Error::field(field, "日期超出范围"))?;
    Ok(Some(to_millis(start.with_timezone(&chrono::Utc))))
}

/// The search `q` asks for, inside what `user` may read.
fn filter(user: &User, q: &AuditQuery) -> Result<AuditFilter> {
    let scope = policy::audit_scope(user)?;
    let province = regions().province();
    let region_prefix =
        if scope == province.code { None } else { Some(regions().require(scope)?.subtree_prefix().to_string()) };
    let filter = AuditFilter {
        region_prefix,
        actor_id: q.actor_id,
        action: code("action", &q.action)?,
        entity: code("entity", &q.entity)?,
        entity_id: q.entity_id,
        since: day_bound("since", &q.since, false)?,
        until: day_bound("until", &q.until, true)?,
    };
    if let (Some(a), Some(b)) = (filter.since, filter.until)
        && a >= b
    {
        return Err(Error::field("until", "结束日期不能早于开始日期"));
    }
    Ok(filter)
}

pub async fn search(state: &AppState, user: &User, q: &AuditQuery) -> Result<Page<AuditEntry>> {
    let f = filter(user, q)?;
    let page = PageRequest::new(q.page, q.per_page)?;
    state.db.audit_search(&f, page).await.map_err(from_db)
}

/// The records of a search as CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese), oldest
/// first, at most [`EXPORT_LIMIT`]; the export itself is audited.
pub async fn export_csv(state: &AppState, user: &User, q: &AuditQuery) -> Result<String> {
    let f = filter(user, q)?;
    let records = state.db.audit_export(&f, EXPORT_LIMIT).await.map_err(from_db)?;
    let detail = format!("审计日志 {} 条", records.len());
    let event = AuditEvent {
        actor_id: Some(user.id),
        entity: "audit_log",
        entity_id: 0,
        action: "export",
        from_status: None,
        to_status: None,
        detail: Some(&detail),
        result: audit::OK,
        region_code: Some(policy::audit_scope(user)?),
        at: to_millis(now()),
    };
    state.db.audit_event(event).await.map_err(from_db)?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "编号",
        "时间",
        "操作人编号",
        "操作人",
        "来源地址",
        "对象类型",
        "对象编号",
        "操作",
        "原状态",
        "新状态",
        "说明",
        "结果",
        "地区",
    ];
    out.write_record(header).map_err(|_| Error::internal())?;
    for r in &records {
        let row = [
            r.id.to_string(),
            kejiyun_domain::time::display(r.created_at),
            r.actor_id.map(|a| a.to_string()).unwrap_or_default(),
            r.actor_name.clone().unwrap_or_default(),
            r.address.clone().unwrap_or_default(),
            r.entity.clone(),
            r.entity_id.to_string(),
            action_label(&r.entity, &r.action).to_string(),
            r.from_status.clone().unwrap_or_default(),
            r.to_status.clone().unwrap_or_default(),
            r.detail.clone().unwrap_or_default(),
            result_label(&r.result).to_string(),
            r.region_code.as_deref().map(|c| regions().full_name(c)).unwrap_or_default(),
        ];
        out.write_record(row.iter().map(|c| spreadsheet_safe(c))).map_err(|_| Error::internal())?;
    }
    let bytes = out.into_inner().map_err(|_| Error::internal())?;
    Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
}

/// A cell a spreadsheet will not run as a formula (a leading `=`, `+`, `-`, `@`, tab or CR is
/// quoted with `'`).
pub fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_string() }
}

/// The Chinese name of an action on an object type (the code itself when it has none).
pub fn action_label<'a>(entity: &str, action: &'a str) -> &'a str {
    match action {
        "register" if entity == "contract" => "登记合同",
        "login" => "登录",
        "lockout" => "登录被锁定拒绝",
        "logout" => "退出登录",
        "password_change" => "修改密码",
        "profile_update" => "修改资料",
        "region_change" => "变更所在地区",
        "region_request" => "申请变更地区",
        "region_request_approve" => "批准地区变更",
        "region_request_decline" => "不批准地区变更",
        "register" => "注册",
        "account_create" => "创建账号",
        "consent" => "同意对接（公开联系方式）",
        "decline" => "婉拒",
        "create" => "新建",
        "edit" => "编辑",
        "submit" => "提交审核",
        "approve" => "审核通过",
        "reject" => "审核退回",
        "close" => "关闭",
        "correct" => "更正",
        "attach" => "上传扫描件",
        "new_version" => "生成合同新版本（原已核验版本留存）",
        "confirm" if entity == "contract" => "确认合同",
        "confirm" => "确认仍然有效",
        "party_decline" => "拒绝确认合同",
        "verify" => "核验通过",
        "return" => "核验退回",
        "accept" => "验收",
        "assign" => "指派",
        "open" => "提交服务单",
        "export" => "导出",
        other => other,
    }
}

/// The Chinese name of a result.
pub fn result_label(result: &str) -> &str {
    match result {
        audit::OK => "成功",
        audit::FAILED => "失败",
        audit::REFUSED => "拒绝",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_days_bound_in_china_time() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("-1"), "'-1");
        assert_eq!(spreadsheet_safe("登录"), "登录");
        let start = day_bound("since", &Some("2026-12-04".into()), false).ok().flatten();
        // 2026-12-04 00:00 +08:00 is 2026-12-03 16:00 UTC.
        assert_eq!(start, Some(1_796_313_600_000));
        let end = day_bound("until", &Some("2026-12-04".into()), true).ok().flatten();
        assert_eq!(end.zip(start).map(|(e, s)| e - s), Some(86_400_000));
        assert!(day_bound("since", &Some("2026-13-01".into()), false).is_err());
        assert!(code("action", &Some("login'--".into())).is_err());
        assert_eq!(code("action", &Some(" login ".into())).ok().flatten().as_deref(), Some("login"));
    }
}
