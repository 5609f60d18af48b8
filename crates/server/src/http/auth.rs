//! Passwords, session tokens and the extractors that say who is calling.
//!
//! Browser sessions use an HttpOnly SameSite=Lax cookie; the JSON API uses `Authorization:
//! Bearer`. Both are random 256-bit tokens of which only the SHA-256 is stored. Form posts are
//! protected by a CSRF token bound to the session (see `http::csrf`). Sessions end after their
//! lifetime or when idle longer than their role allows (`IdleRules`).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use kejiyun_domain::{Code, Error, User};
use sha2::{Digest, Sha256};

use crate::http::error::ApiError;
use crate::platform::from_db;
use crate::platform::state::AppState;

/// The name of the session cookie: `__Host-` prefixed behind HTTPS (`--secure-cookies`), so that
/// only this host, over HTTPS, can set it.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-kejiyun_session" } else { "kejiyun_session" }
}

/// A new random token (64 hex characters).
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Argon2id with a random salt. CPU-heavy: runs on the blocking pool.
pub async fn hash_password(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        let salt: [u8; 16] = rand::random();
        Argon2::default().hash_password_with_salt(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|_| Error::internal())?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        Error::internal()
    })
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok())
        .await
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that a wrong name and a wrong
/// password take the same time.
pub async fn dummy_verify(password: String) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = match DUMMY.get() {
        Some(h) => h.clone(),
        None => {
            let h = hash_password("dummy-password-1".to_string()).await.unwrap_or_default();
            DUMMY.get_or_init(|| h).clone()
        }
    };
    let _ = verify_password(password, hash).await;
}

/// Starts a session for `user_id`; returns the token to hand to the client.
pub async fn start_session(state: &AppState, user_id: i64, kind: &str) -> Result<String, Error> {
    let token = new_token();
    let expires = kejiyun_domain::time::to_millis(kejiyun_domain::time::now())
        + state.settings.security.session_hours * 3600 * 1000;
    state.db.create_session(&token_hash(&token), user_id, kind, expires).await.map_err(from_db)?;
    Ok(token)
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim())
}

fn bearer(parts: &Parts) -> Option<&str> {
    bearer_token(&parts.headers)
}

async fn user_for_token(state: &AppState, token: &str) -> Result<Option<User>, Error> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    state.db.session_user(&token_hash(token), &state.settings.security.idle).await.map_err(from_db)
}

/// The API caller, authenticated by bearer token. Rejects with 401 when absent or invalid.
pub struct ApiUser(pub User);

/// The API caller if a valid bearer token was given.
pub struct MaybeApiUser(pub Option<User>);

impl<S> FromRequestParts<S> for MaybeApiUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        match bearer(parts) {
            Some(token) => match user_for_token(&state, token).await? {
                Some(user) => Ok(MaybeApiUser(Some(user))),
                None => Err(ApiError(Error::new(Code::Unauthenticated, "登录已失效，请重新登录"))),
            },
            None => Ok(MaybeApiUser(None)),
        }
    }
}

impl<S> FromRequestParts<S> for ApiUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match MaybeApiUser::from_request_parts(parts, state).await?.0 {
            Some(user) => Ok(ApiUser(user)),
            None => Err(ApiError(Error::unauthenticated())),
        }
    }
}

/// The browser user from the session cookie, if any (an invalid cookie counts as none).
#[derive(Clone)]
pub struct WebUser(pub Option<User>, pub Option<String>);

impl<S> FromRequestParts<S> for WebUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let jar = CookieJar::from_headers(&parts.headers);
        let name = session_cookie_name(state.settings.security.secure_cookies);
        let Some(token) = jar.get(name).map(|c| c.value().to_string()) else {
            return Ok(WebUser(None, None));
        };
        let user = user_for_token(&state, &token).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "session lookup failed");
            None
        });
        Ok(WebUser(user, Some(token)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let hash = hash_password("kjy-secret-2026".into()).await.unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("kjy-secret-2026".into(), hash.clone()).await);
        assert!(!verify_password("secret124".into(), hash).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
