//! 审计日志 page for admins: a search form (actor, action, object, days), the matching records
//! newest first, and a CSV export of the same search.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use kejiyun_domain::regions;
use kejiyun_domain::time::display;

use super::actions::{AuditQuery, action_label, result_label};
use crate::http::auth::WebUser;
use crate::http::page::{Csrf, Layout, PageQuery, PageResult, render, signed_in};
use crate::http::views::Pager;
use crate::platform::state::AppState;

pub struct AuditLine {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub address: String,
    pub object: String,
    pub action: String,
    pub change: String,
    pub detail: String,
    pub result_code: String,
    pub result: String,
    pub region: String,
}

#[derive(Template)]
#[template(path = "audit/log.html")]
struct AuditPage {
    layout: Layout,
    scope: String,
    q: FormValues,
    /// (code, label, chosen) of the actions one may filter by.
    actions: Vec<(&'static str, &'static str, bool)>,
    lines: Vec<AuditLine>,
    export: String,
    pager: Pager,
}

/// The actions the form offers (any code may be given in the query string).
const FILTER_ACTIONS: [&str; 16] = [
    "login",
    "lockout",
    "logout",
    "password_change",
    "profile_update",
    "region_change",
    "register",
    "account_create",
    "consent",
    "decline",
    "approve",
    "reject",
    "verify",
    "return",
    "assign",
    "export",
];

/// The search as the form shows it again.
#[derive(Default)]
pub struct FormValues {
    pub actor_id: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub since: String,
    pub until: String,
}

/// The query string of a search (without the page), values percent-encoded.
fn query_string(q: &AuditQuery) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    if let Some(a) = q.actor_id {
        out.append_pair("actor_id", &a.to_string());
    }
    for (name, value) in [("action", text(&q.action)), ("entity", text(&q.entity))] {
        if let Some(v) = value {
            out.append_pair(name, &v);
        }
    }
    if let Some(id) = q.entity_id {
        out.append_pair("entity_id", &id.to_string());
    }
    for (name, value) in [("since", text(&q.since)), ("until", text(&q.until))] {
        if let Some(v) = value {
            out.append_pair(name, &v);
        }
    }
    out.finish()
}

pub async fn log(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    PageQuery(q): PageQuery<AuditQuery>,
) -> PageResult {
    let user = signed_in(user)?;
    let query = AuditQuery { per_page: Some(50), ..q.clone() };
    let page = super::actions::search(&state, &user, &query).await?;
    let scope = kejiyun_domain::policy::audit_scope(&user)?;
    let search = query_string(&q);
    let lines = page
        .items
        .iter()
        .map(|r| AuditLine {
            id: r.id,
            at: display(r.created_at),
            actor: match (&r.actor_name, r.actor_id) {
                (Some(name), Some(id)) => format!("{name}（{id}）"),
                (None, Some(id)) => format!("账号 {id}"),
                _ => "—".to_string(),
            },
            address: r.address.clone().unwrap_or_else(|| "—".to_string()),
            object: format!("{} {}", r.entity, r.entity_id),
            action: action_label(&r.entity, &r.action).to_string(),
            change: match (&r.from_status, &r.to_status) {
                (Some(a), Some(b)) => format!("{a} → {b}"),
                (None, Some(b)) => format!("→ {b}"),
                _ => String::new(),
            },
            detail: r.detail.clone().unwrap_or_default(),
            result_code: r.result.clone(),
            result: result_label(&r.result).to_string(),
            region: r.region_code.as_deref().map(|c| regions().short_name(c)).unwrap_or_default(),
        })
        .collect();
    let view = AuditPage {
        layout: Layout::new(&state, Some(&user), &csrf, "审计日志", "audit").await,
        scope: regions().full_name(scope),
        q: FormValues {
            actor_id: q.actor_id.map(|a| a.to_string()).unwrap_or_default(),
            action: q.action.clone().unwrap_or_default(),
            entity: q.entity.clone().unwrap_or_default(),
            entity_id: q.entity_id.map(|a| a.to_string()).unwrap_or_default(),
            since: q.since.clone().unwrap_or_default(),
            until: q.until.clone().unwrap_or_default(),
        },
        actions: FILTER_ACTIONS
            .iter()
            .map(|a| (*a, action_label("", a), q.action.as_deref().map(str::trim) == Some(*a)))
            .collect(),
        lines,
        export: format!("/admin/audit/export.csv?{search}"),
        pager: Pager::of(&page, &format!("/admin/audit?{search}&")),
    };
    Ok(render(&view))
}

/// The CSV of the same search.
pub async fn export(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    PageQuery(q): PageQuery<AuditQuery>,
) -> Result<Response, crate::http::page::PageError> {
    let user = signed_in(user)?;
    let body = super::actions::export_csv(&state, &user, &q).await?;
    Ok(super::api::csv_response(body))
}
