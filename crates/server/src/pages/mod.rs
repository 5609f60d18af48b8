//! The web UI in Simplified Chinese: server-rendered askama templates, no script needed, one
//! stylesheet served by the binary. Form posts carry a CSRF token that must equal the
//! `kejiyun_csrf` cookie (double-submit; the cookie is HttpOnly and SameSite=Strict).

mod account;
mod admin;
mod items;
mod services;
mod views;
mod votes;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use kejiyun_domain::{Code, Error, Role, User};
use serde::de::DeserializeOwned;

use crate::state::AppState;

pub const CSRF_COOKIE: &str = "kejiyun_csrf";
const CSRF_FIELD: &str = "_csrf";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(items::home))
        .route("/static/style.css", get(style))
        .route("/login", get(account::login_form).post(account::login))
        .route("/register", get(account::register_form).post(account::register))
        .route("/logout", post(account::logout))
        .route("/account", get(account::account))
        .route("/account/profile", post(account::update_profile))
        .route("/account/password", post(account::change_password))
        .route("/notifications", get(account::notifications))
        .route("/search", get(items::search))
        .route("/my", get(items::mine))
        .route("/my/new/{kind}", get(items::new_form).post(items::create))
        .route("/my/{kind}/{id}/edit", get(items::edit_form).post(items::update))
        .route("/admin/review", get(admin::review_queue))
        .route("/orders", get(services::orders))
        .route("/orders/new", get(services::new_order_form).post(services::create_order))
        .route("/orders/{id}", get(services::order))
        .route("/orders/{id}/{action}", post(services::order_act))
        .route("/invitations", get(services::invitations))
        .route("/desk", get(services::desk))
        .route("/desk/orgs/{id}", get(services::plan))
        .route("/desk/orgs/{id}/{action}", post(services::plan_act))
        .route("/contracts", get(services::contracts))
        .route("/contracts/{id}/verify", post(services::verify_contract))
        .route("/polls", get(votes::polls))
        .route("/polls/{id}", get(votes::poll))
        .route("/polls/{id}/vote", post(votes::vote))
        .route("/admin/polls/new", get(votes::new_poll_form).post(votes::create_poll))
        .route("/{kind}", get(items::browse))
        .route("/{kind}/{id}", get(items::detail))
        .route("/{kind}/{id}/{action}", post(items::act))
        .layer(middleware::from_fn(csrf_cookie))
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/style.css"),
    )
        .into_response()
}

/// The CSRF token of this browser, made on its first visit.
#[derive(Clone)]
pub struct Csrf(pub String);

async fn csrf_cookie(mut req: Request, next: Next) -> Response {
    let jar = CookieJar::from_headers(req.headers());
    let existing = jar.get(CSRF_COOKIE).map(|c| c.value().to_string()).filter(|v| v.len() == 64);
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (crate::auth::new_token(), true),
    };
    req.extensions_mut().insert(Csrf(token.clone()));
    let mut response = next.run(req).await;
    if fresh {
        let cookie = Cookie::build((CSRF_COOKIE, token)).http_only(true).same_site(SameSite::Strict).path("/").build();
        if let Ok(value) = cookie.to_string().parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// A page's query string; bad ones get the Chinese error page.
pub struct PageQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for PageQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        crate::extract::parse_query(parts, state).await.map(PageQuery).map_err(PageError)
    }
}

/// A form body whose CSRF field was checked against the cookie before it is read.
pub struct CsrfForm<T>(pub T);

impl<T, S> FromRequest<S> for CsrfForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let cookie = CookieJar::from_headers(req.headers()).get(CSRF_COOKIE).map(|c| c.value().to_string());
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(PageError(Error::of(Code::UnsupportedMediaType)));
        }
        let body = Bytes::from_request(req, state).await.map_err(|_| PageError(Error::of(Code::PayloadTooLarge)))?;
        // Decoding is lossy; text that is not UTF-8 would be stored with replacement characters.
        if percent_encoding::percent_decode(&body).decode_utf8().is_err() {
            return Err(PageError(Error::new(Code::InvalidBody, "表单内容不是有效的 UTF-8 文本")));
        }
        let sent = form_urlencoded::parse(&body).find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.into_owned());
        match (cookie, sent) {
            (Some(c), Some(s)) if constant_time_eq(c.as_bytes(), s.as_bytes()) => {}
            _ => return Err(PageError(Error::of(Code::CsrfFailed))),
        }
        serde_html_form::from_bytes(&body)
            .map(CsrfForm)
            .map_err(|e| PageError(Error::new(Code::InvalidBody, format!("表单内容不正确：{e}"))))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Navigation facts of the signed-in user.
pub struct NavUser {
    pub display_name: String,
    pub role_label: &'static str,
    pub is_admin: bool,
    /// The role's code, for the role's own navigation entries.
    pub role: &'static str,
    pub can_publish: bool,
    pub unread: i64,
}

/// What every page's frame needs.
pub struct Layout {
    pub title: String,
    pub csrf: String,
    pub user: Option<NavUser>,
    /// Which top navigation entry is current.
    pub nav: &'static str,
}

impl Layout {
    pub async fn new(
        state: &AppState,
        user: Option<&User>,
        csrf: &Csrf,
        title: impl Into<String>,
        nav: &'static str,
    ) -> Self {
        let user = match user {
            Some(u) => Some(NavUser {
                display_name: u.org_name.clone().unwrap_or_else(|| u.display_name.clone()),
                role_label: u.role.label(),
                is_admin: u.role == Role::Admin,
                role: u.role.code(),
                can_publish: matches!(u.role, Role::Expert | Role::Org),
                unread: state.db.unread_notifications(u.id).await.unwrap_or(0),
            }),
            None => None,
        };
        Layout { title: title.into(), csrf: csrf.0.clone(), user, nav }
    }
}

/// Renders a template as an HTML response.
pub fn render(template: &impl Template) -> Response {
    render_with(StatusCode::OK, template)
}

pub fn render_with(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<h1>服务器内部错误</h1>".to_string())).into_response()
        }
    }
}

pub fn redirect(to: &str) -> Response {
    Redirect::to(to).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    message: String,
}

/// An error shown as a Chinese page with the right status.
#[derive(Debug)]
pub struct PageError(pub Error);

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if self.0.code == Code::Unauthenticated {
            return redirect("/login");
        }
        let status = crate::error::status_of(&self.0);
        let retry_after = self.0.retry_after_secs;
        let page = ErrorPage {
            layout: Layout { title: "出错了".into(), csrf: String::new(), user: None, nav: "" },
            status: status.as_u16(),
            message: self.0.message,
        };
        let mut response = render_with(status, &page);
        crate::error::add_retry_after(&mut response, retry_after);
        response
    }
}

pub type PageResult = Result<Response, PageError>;

/// A form field's text, trimmed, or `None` when left empty.
pub fn non_empty(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|s| !s.is_empty())
}

/// Splits a free-text tag list ("酒糟，饲料、发酵") into tags.
pub fn items_tags(text: &str) -> Vec<String> {
    text.split(|c: char| matches!(c, ',' | '，' | '、' | ';' | '；') || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The fallback: JSON 404 under `/api`, a page elsewhere.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        crate::error::ApiError(Error::new(Code::NotFound, "接口不存在")).into_response()
    } else {
        PageError(Error::new(Code::NotFound, "页面不存在")).into_response()
    }
}

/// A known path with another method: JSON under `/api`, a page elsewhere.
pub async fn method_not_allowed(uri: axum::http::Uri) -> Response {
    let error = Error::of(Code::MethodNotAllowed);
    if uri.path().starts_with("/api/") {
        crate::error::ApiError(error).into_response()
    } else {
        PageError(error).into_response()
    }
}

/// Requires a signed-in user for a page.
pub fn signed_in(user: Option<User>) -> Result<User, PageError> {
    user.ok_or(PageError(Error::unauthenticated()))
}
