//! Pages of accounts: login, register, logout, profile, password, notices.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, SameSite};
use kejiyun_domain::region_request::RegionRequestStatus;
use kejiyun_domain::user::{OrgType, ProfileInput, RegisterInput};
use kejiyun_domain::{Error, Role, User, policy};
use serde::Deserialize;

use crate::http::auth::{WebUser, session_cookie_name};
use crate::http::client::ClientAddr;
use crate::http::page::{
    Csrf, CsrfForm, Layout, PageQuery, PageResult, non_empty, redirect, render, render_with, signed_in,
};
use crate::http::views::{self, Choice};
use crate::platform::state::AppState;

fn session_cookie(state: &AppState, token: String) -> String {
    Cookie::build((session_cookie_name(state.settings.security.secure_cookies), token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.security.secure_cookies)
        .path("/")
        .max_age(cookie::time::Duration::hours(state.settings.security.session_hours))
        .build()
        .to_string()
}

fn with_cookie(mut response: Response, cookie: String) -> Response {
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Template)]
#[template(path = "accounts/login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Where a login goes next: `next` when it is a path on this site as the browser will read it
/// (the browser drops tabs and line breaks and reads `\\` as `/`, so `/\\evil.example` and
/// `/\t/evil.example` leave the site), otherwise "" (the role's landing page).
fn safe_next(next: &str) -> String {
    let seen: String =
        next.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).map(|c| if c == '\\' { '/' } else { c }).collect();
    let local =
        seen.starts_with('/') && !seen.starts_with("//") && !seen.chars().any(char::is_control) && seen.len() <= 2000;
    if local { seen } else { String::new() }
}

/// The page a role starts on after signing in.
fn landing(role: kejiyun_domain::Role) -> &'static str {
    use kejiyun_domain::Role;
    match role {
        Role::Admin => "/admin/review",
        Role::Steward => "/desk",
        Role::Expert | Role::Org => "/my",
        Role::Public => "/",
    }
}

pub async fn login_form(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    PageQuery(q): PageQuery<NextQuery>,
) -> PageResult {
    let page = LoginPage {
        layout: Layout::new(&state, user.as_ref(), &csrf, "登录", "login").await,
        username: String::new(),
        next: safe_next(&q.next),
        error: None,
    };
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    WebUser(_, old_token): WebUser,
    Extension(csrf): Extension<Csrf>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> PageResult {
    match super::actions::login(&state, &form.username, &form.password, "web", client).await {
        Ok((user, token)) => {
            // A new session on every login; the old one (if any) ends.
            if let Some(old) = old_token {
                let _ = super::actions::logout(&state, &old).await;
            }
            let next = safe_next(&form.next);
            let to = if next.is_empty() { landing(user.role) } else { &next };
            Ok(with_cookie(redirect(to), session_cookie(&state, token)))
        }
        Err(e) if e.status() < 500 => {
            let page = LoginPage {
                layout: Layout::new(&state, None, &csrf, "登录", "login").await,
                username: form.username,
                next: safe_next(&form.next),
                error: Some(e.message.clone()),
            };
            let mut response = render_with(crate::http::error::status_of(&e), &page);
            crate::http::error::add_retry_after(&mut response, e.retry_after_secs);
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    WebUser(_, token): WebUser,
    CsrfForm(_): CsrfForm<NextQuery>,
) -> PageResult {
    if let Some(token) = token {
        super::actions::logout(&state, &token).await?;
    }
    let secure = state.settings.security.secure_cookies;
    let gone = Cookie::build((session_cookie_name(secure), ""))
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::ZERO)
        .build();
    Ok(with_cookie(redirect("/"), gone.to_string()))
}

#[derive(Template)]
#[template(path = "accounts/register.html")]
struct RegisterPage {
    layout: Layout,
    role: &'static str,
    form: RegisterForm,
    regions: Vec<Choice>,
    org_types: Vec<Choice>,
    error: Option<String>,
    error_field: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct RegisterForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    employer: String,
    #[serde(default)]
    disciplines: String,
    #[serde(default)]
    org_name: String,
    #[serde(default)]
    credit_code: String,
    #[serde(default)]
    org_type: String,
    #[serde(default)]
    industry: String,
}

fn role_of(code: &str) -> Role {
    match Role::parse(code) {
        Some(r @ (Role::Org | Role::Public)) => r,
        _ => Role::Expert,
    }
}

async fn register_page(state: &AppState, csrf: &Csrf, form: RegisterForm, error: Option<Error>) -> RegisterPage {
    let role = role_of(&form.role);
    RegisterPage {
        layout: Layout::new(state, None, csrf, "注册", "register").await,
        role: role.code(),
        regions: views::region_choices(&form.region_code, false),
        org_types: views::vocabulary_choices(OrgType::ALL, OrgType::code, OrgType::label, &form.org_type),
        error_field: error.as_ref().and_then(|e| e.field).unwrap_or_default().to_string(),
        error: error.map(|e| e.message),
        form,
    }
}

#[derive(Deserialize, Default)]
pub struct RoleQuery {
    #[serde(default)]
    role: String,
}

pub async fn register_form(
    State(state): State<AppState>,
    Extension(csrf): Extension<Csrf>,
    PageQuery(q): PageQuery<RoleQuery>,
) -> PageResult {
    let form = RegisterForm { role: role_of(&q.role).code().to_string(), ..Default::default() };
    Ok(render(&register_page(&state, &csrf, form, None).await))
}

pub async fn register(
    State(state): State<AppState>,
    Extension(csrf): Extension<Csrf>,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> PageResult {
    state.limits.registration(client).await?;
    let role = role_of(&form.role);
    let input = RegisterInput {
        username: form.username.clone(),
        password: form.password.clone(),
        role,
        display_name: if role == Role::Org && form.display_name.trim().is_empty() {
            form.org_name.clone()
        } else {
            form.display_name.clone()
        },
        region_code: form.region_code.clone(),
        phone: non_empty(&form.phone),
        email: non_empty(&form.email),
        title: non_empty(&form.title).filter(|_| role == Role::Expert),
        employer: non_empty(&form.employer).filter(|_| role == Role::Expert),
        disciplines: (role == Role::Expert).then(|| crate::http::page::items_tags(&form.disciplines)),
        fields: None,
        org_name: non_empty(&form.org_name).filter(|_| role == Role::Org),
        credit_code: non_empty(&form.credit_code).filter(|_| role == Role::Org),
        org_type: OrgType::parse(form.org_type.trim()).filter(|_| role == Role::Org),
        industry: non_empty(&form.industry),
    };
    let registered = super::actions::register(&state, input).await;
    match registered {
        Ok(user) => {
            let token = super::actions::sign_in(&state, &user, "web").await?;
            Ok(with_cookie(redirect("/my"), session_cookie(&state, token)))
        }
        Err(e) if e.status() < 500 => {
            let form = RegisterForm { password: String::new(), ..form };
            let page = register_page(&state, &csrf, form, Some(e.clone())).await;
            Ok(render_with(crate::http::error::status_of(&e), &page))
        }
        Err(e) => Err(e.into()),
    }
}

/// One of the account's region requests, as the account page lists it.
pub struct RegionRequestRow {
    pub to: String,
    pub reason: String,
    pub status: &'static str,
    pub status_code: &'static str,
    pub note: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "accounts/account.html")]
struct AccountPage {
    layout: Layout,
    user: User,
    role_label: &'static str,
    region_name: String,
    /// Regions to ask for (experts, organisations, the public); empty for staff.
    regions: Vec<Choice>,
    requests: Vec<RegionRequestRow>,
    pending_request: bool,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct AccountQuery {
    #[serde(default)]
    done: String,
}

async fn account_page(
    state: &AppState,
    user: User,
    csrf: &Csrf,
    message: Option<String>,
    error: Option<String>,
) -> AccountPage {
    let own = crate::features::region_requests::actions::mine(state, &user).await.unwrap_or_default();
    let pending_request = own.iter().any(|r| r.status == RegionRequestStatus::Pending);
    let requests = own
        .into_iter()
        .map(|r| RegionRequestRow {
            to: kejiyun_domain::regions().full_name(&r.to_region),
            reason: r.reason,
            status: r.status.label(),
            status_code: r.status.code(),
            note: r.decision_note.unwrap_or_default(),
            when: kejiyun_domain::time::display(r.created_at),
        })
        .collect();
    let regions = if policy::check_region_request(&user).is_ok() {
        views::region_choices("", false).into_iter().filter(|c| c.value != user.region_code).collect()
    } else {
        Vec::new()
    };
    AccountPage {
        layout: Layout::new(state, Some(&user), csrf, "账号设置", "account").await,
        role_label: user.role.label(),
        region_name: kejiyun_domain::regions().full_name(&user.region_code),
        regions,
        requests,
        pending_request,
        user,
        message,
        error,
    }
}

/// The account page with an error of a form on it (the status of the error).
pub(crate) async fn account_with_error(state: &AppState, user: User, csrf: &Csrf, e: &Error) -> PageResult {
    let page = account_page(state, user, csrf, None, Some(e.message.clone())).await;
    Ok(render_with(crate::http::error::status_of(e), &page))
}

pub async fn account(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    PageQuery(q): PageQuery<AccountQuery>,
) -> PageResult {
    let user = signed_in(user)?;
    let message = match q.done.as_str() {
        "profile" => Some("资料已保存".to_string()),
        "password" => Some("密码已修改，其他设备上的登录已退出".to_string()),
        "region" => Some("地区变更申请已提交，请等待现所在地区管理员审批".to_string()),
        _ => None,
    };
    Ok(render(&account_page(&state, user, &csrf, message, None).await))
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

pub async fn update_profile(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let input = ProfileInput {
        display_name: Some(form.display_name),
        phone: Some(form.phone),
        email: Some(form.email),
        ..Default::default()
    };
    match super::actions::update_profile(&state, &user, input).await {
        Ok(_) => Ok(redirect("/account?done=profile")),
        Err(e) if e.status() < 500 => {
            let page = account_page(&state, user, &csrf, None, Some(e.message.clone())).await;
            Ok(render_with(crate::http::error::status_of(&e), &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    WebUser(user, token): WebUser,
    ClientAddr(client): ClientAddr,
    Extension(csrf): Extension<Csrf>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let (old, new) = (&form.old_password, &form.new_password);
    let result = super::actions::change_password(&state, &user, old, new, token.as_deref(), client).await;
    match result {
        Ok(()) => Ok(redirect("/account?done=password")),
        Err(e) if e.status() < 500 => {
            let page = account_page(&state, user, &csrf, None, Some(e.message.clone())).await;
            let mut response = render_with(crate::http::error::status_of(&e), &page);
            crate::http::error::add_retry_after(&mut response, e.retry_after_secs);
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

struct NoticeRow {
    title: String,
    body: String,
    link: String,
    when: String,
    read: bool,
}

#[derive(Template)]
#[template(path = "accounts/notifications.html")]
struct NoticesPage {
    layout: Layout,
    notices: Vec<NoticeRow>,
    unread: usize,
}

pub async fn notifications(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
) -> PageResult {
    let user = signed_in(user)?;
    let list = super::actions::notifications(&state, &user).await?;
    let layout = Layout::new(&state, Some(&user), &csrf, "站内通知", "notifications").await;
    let unread = list.iter().filter(|n| !n.read).count();
    let notices = list
        .into_iter()
        .map(|n| NoticeRow {
            title: n.title,
            body: n.body,
            link: n.link.unwrap_or_default(),
            when: kejiyun_domain::time::display(n.created_at),
            read: n.read,
        })
        .collect();
    Ok(render(&NoticesPage { layout, notices, unread }))
}

/// 全部标为已读: only this post marks notices read (reading the list changes nothing).
pub async fn mark_notifications_read(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> PageResult {
    let user = signed_in(user)?;
    super::actions::mark_notifications_read(&state, &user).await?;
    Ok(redirect("/notifications"))
}
