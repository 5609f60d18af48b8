//! CSRF protection of form posts. Every form sends back a `_csrf` field that must equal this
//! browser's token:
//! - signed in, the token is derived from the session (a SHA-256 of the session token under its own
//!   label), so it is worth nothing in another session and a cookie planted by someone else cannot
//!   stand in for it;
//! - signed out (the login and registration forms), it is a random value in an HttpOnly,
//!   SameSite=Strict cookie (double submit), which keeps others from signing a browser in.
//!
//! With `--secure-cookies` the cookie names carry the `__Host-` prefix (Secure, path `/`, no
//! domain), which browsers refuse to let a sibling subdomain or plain HTTP set.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use kejiyun_domain::{Code, Error};
use serde::de::DeserializeOwned;

use super::auth::session_cookie_name;
use super::page::PageError;
use crate::platform::state::AppState;

const CSRF_FIELD: &str = "_csrf";

/// The name of the signed-out CSRF cookie.
pub fn csrf_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-kejiyun_csrf" } else { "kejiyun_csrf" }
}

/// The CSRF token of this browser: the session's when signed in, else the cookie's.
#[derive(Clone)]
pub struct Csrf(pub String);

/// The token forms must carry in a session (64 hex characters).
fn session_csrf(session_token: &str) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(b"kejiyun-csrf\0");
    hasher.update(session_token.as_bytes());
    hex::encode(hasher.finalize())
}

/// The token this request's forms must carry, if it can be told: from the session cookie, else
/// from the CSRF cookie.
fn expected_token(jar: &CookieJar, secure: bool) -> Option<String> {
    if let Some(session) = jar.get(session_cookie_name(secure)).map(|c| c.value()).filter(|v| !v.is_empty()) {
        return Some(session_csrf(session));
    }
    jar.get(csrf_cookie_name(secure)).map(|c| c.value().to_string()).filter(|v| v.len() == 64)
}

pub async fn csrf_cookie(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let secure = state.settings.security.secure_cookies;
    let jar = CookieJar::from_headers(req.headers());
    let has_cookie = jar.get(csrf_cookie_name(secure)).is_some_and(|c| c.value().len() == 64);
    let fresh = (!has_cookie).then(super::auth::new_token);
    let token = match (expected_token(&jar, secure), &fresh) {
        (Some(token), _) => token,
        (None, Some(new)) => new.clone(),
        (None, None) => super::auth::new_token(),
    };
    req.extensions_mut().insert(Csrf(token));
    let mut response = next.run(req).await;
    if let Some(new) = fresh {
        let cookie = Cookie::build((csrf_cookie_name(secure), new))
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(secure)
            .path("/")
            .build();
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
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let secure = AppState::from_ref(state).settings.security.secure_cookies;
        let expected = expected_token(&CookieJar::from_headers(req.headers()), secure);
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
        match (expected, sent) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_has_its_own_token() {
        let (a, b) = (super::super::auth::new_token(), super::super::auth::new_token());
        assert_ne!(session_csrf(&a), session_csrf(&b));
        assert_eq!(session_csrf(&a), session_csrf(&a));
        // Not the stored hash of the session token (a copy of the database gives no CSRF tokens).
        assert_ne!(session_csrf(&a), super::super::auth::token_hash(&a));
    }

    #[test]
    fn the_session_decides_over_the_cookie() {
        let header = |v: &str| {
            let mut h = axum::http::HeaderMap::new();
            h.insert(header::COOKIE, v.parse().unwrap_or(axum::http::HeaderValue::from_static("")));
            CookieJar::from_headers(&h)
        };
        let planted = "a".repeat(64);
        let only_cookie = header(&format!("kejiyun_csrf={planted}"));
        assert_eq!(expected_token(&only_cookie, false), Some(planted.clone()));
        let with_session = header(&format!("kejiyun_csrf={planted}; kejiyun_session=s1"));
        assert_eq!(expected_token(&with_session, false), Some(session_csrf("s1")));
        // Behind HTTPS only the `__Host-` names count.
        assert_eq!(expected_token(&with_session, true), None);
    }
}
