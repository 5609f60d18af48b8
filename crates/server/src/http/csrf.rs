//! CSRF protection of form posts: a random token per browser in an HttpOnly, SameSite=Strict
//! cookie (`kejiyun_csrf`), which every form must send back in its `_csrf` field (double submit).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use kejiyun_domain::{Code, Error};
use serde::de::DeserializeOwned;

use super::page::PageError;

pub const CSRF_COOKIE: &str = "kejiyun_csrf";
const CSRF_FIELD: &str = "_csrf";

/// The CSRF token of this browser, made on its first visit.
#[derive(Clone)]
pub struct Csrf(pub String);

pub async fn csrf_cookie(mut req: Request, next: Next) -> Response {
    let jar = CookieJar::from_headers(req.headers());
    let existing = jar.get(CSRF_COOKIE).map(|c| c.value().to_string()).filter(|v| v.len() == 64);
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (super::auth::new_token(), true),
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
        crate::http::extract::check_pairs(&body, Code::ValidationFailed).map_err(PageError)?;
        serde_html_form::from_bytes(&body)
            .map(CsrfForm)
            .map_err(|e| PageError(Error::new(Code::InvalidBody, format!("表单内容不正确：{e}"))))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
