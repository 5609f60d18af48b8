//! The frame of every page of the Chinese web UI (server-rendered askama templates, no script
//! needed, one stylesheet served by the binary): layout, rendering, the error page, page
//! extractors and small form helpers.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kejiyun_domain::{Code, Error, User};
use serde::de::DeserializeOwned;

pub use super::csrf::{Csrf, CsrfForm};
use crate::platform::state::AppState;

/// The stylesheet.
pub async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/style.css"),
    )
        .into_response()
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
        super::extract::parse_query(parts, state).await.map(PageQuery).map_err(PageError)
    }
}

/// Navigation facts of the signed-in user.
pub struct NavUser {
    pub display_name: String,
    pub role_label: &'static str,
    pub is_admin: bool,
    /// Province admins also see the task queue.
    pub is_province_admin: bool,
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
                is_admin: kejiyun_domain::policy::is_admin(u),
                is_province_admin: kejiyun_domain::policy::check_task_admin(u).is_ok(),
                role: u.role.code(),
                can_publish: kejiyun_domain::policy::can_publish_any(u.role),
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

/// A 303 to `to`. Whatever `to` holds (a path built from request values), the `Location` header
/// is valid: bytes a header cannot carry are percent-encoded, so no value can break the response.
pub fn redirect(to: &str) -> Response {
    const KEEP_VISIBLE: &percent_encoding::AsciiSet =
        &percent_encoding::CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>');
    let location = percent_encoding::utf8_percent_encode(to, KEEP_VISIBLE).to_string();
    match HeaderValue::from_str(&location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => Redirect::to("/").into_response(),
    }
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
        let status = super::error::status_of(&self.0);
        let retry_after = self.0.retry_after_secs;
        let page = ErrorPage {
            layout: Layout { title: "出错了".into(), csrf: String::new(), user: None, nav: "" },
            status: status.as_u16(),
            message: self.0.message,
        };
        let mut response = render_with(status, &page);
        super::error::add_retry_after(&mut response, retry_after);
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
pub async fn not_found_fallback(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        super::error::ApiError(Error::new(Code::NotFound, "接口不存在")).into_response()
    } else {
        PageError(Error::new(Code::NotFound, "页面不存在")).into_response()
    }
}

/// A known path with another method: JSON under `/api`, a page elsewhere.
pub async fn method_not_allowed(uri: axum::http::Uri) -> Response {
    let error = Error::of(Code::MethodNotAllowed);
    if uri.path().starts_with("/api/") {
        super::error::ApiError(error).into_response()
    } else {
        PageError(error).into_response()
    }
}

/// The page 404.
pub fn not_found() -> PageError {
    PageError(Error::new(Code::NotFound, "页面不存在"))
}

/// A record id from a form field, `None` when it is not a number.
pub fn optional_id(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// Requires a signed-in user for a page.
pub fn signed_in(user: Option<User>) -> Result<User, PageError> {
    user.ok_or(PageError(Error::unauthenticated()))
}
