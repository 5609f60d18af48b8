//! The HTTP edge's one error type. Every failure becomes a domain [`Error`] with a stable code;
//! it is rendered here, once: JSON `{"error":{"code","message"}}` for the API, a Chinese page for
//! the web UI. Internal causes are logged with the request, never sent to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kejiyun_domain::{Code, Error};
use serde::Serialize;

use crate::platform::{from_db, from_search};

/// Error of an API handler.
#[derive(Debug)]
pub struct ApiError(pub Error);

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `illegal_transition`.
    pub code: String,
    /// Explanation in Chinese.
    pub message: String,
    /// The input field concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

pub fn status_of(error: &Error) -> StatusCode {
    StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let retry_after = self.0.retry_after_secs;
        let code = self.0.code;
        let mut response = axum::Json(ErrorBody {
            error: ErrorDetail {
                code: self.0.code.as_str().to_string(),
                message: self.0.message,
                field: self.0.field.map(str::to_string),
            },
        })
        .into_response();
        *response.status_mut() = status;
        add_retry_after(&mut response, retry_after);
        if code == Code::Unauthenticated {
            response.headers_mut().insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// `Retry-After` for rate-limited answers.
pub fn add_retry_after(response: &mut Response, retry_after_secs: Option<u64>) {
    if let Some(secs) = retry_after_secs
        && let Ok(value) = axum::http::HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl From<kejiyun_db::Error> for ApiError {
    fn from(e: kejiyun_db::Error) -> Self {
        ApiError(from_db(e))
    }
}

impl From<kejiyun_search::Error> for ApiError {
    fn from(e: kejiyun_search::Error) -> Self {
        ApiError(from_search(e))
    }
}
