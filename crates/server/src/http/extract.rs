//! Request extractors whose rejections speak the API's error format (instead of axum's plain
//! text): JSON bodies, query strings and path ids. Every string of a body or a query string is
//! checked for characters no user text may carry (`kejiyun_domain::text`): one check for all
//! routes, on both backends.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use kejiyun_domain::{Code, Error};
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;

/// `axum::Json` with errors as `{"error":{…}}` and messages in Chinese.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => v,
            Err(rejection) => return Err(ApiError(json_error(rejection))),
        };
        typed(value).map(ApiJson).map_err(ApiError)
    }
}

/// A JSON body read by hand (e.g. an optional body): the same checks as [`ApiJson`].
pub fn json_from_bytes<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| Error::new(Code::InvalidBody, format!("请求内容不是合法的 JSON：{}", clean(&e.to_string()))))?;
    typed(value)
}

/// Checks every string of `value`, then reads it as `T`.
fn typed<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    check_json(&value, &mut String::new())?;
    serde_path_to_error::deserialize(value)
        .map_err(|e| Error::new(Code::InvalidBody, format!("请求内容字段不正确：{}", clean(&e.to_string()))))
}

/// Refuses a body with a forbidden character in any key or string, naming where (`title`,
/// `candidates[2].name`).
fn check_json(value: &serde_json::Value, path: &mut String) -> Result<(), Error> {
    let refuse = |at: &str, c: char| {
        let at = if at.is_empty() { "请求内容" } else { at };
        Err(Error::new(Code::ValidationFailed, kejiyun_domain::text::refusal(at, c)))
    };
    match value {
        serde_json::Value::String(text) => match kejiyun_domain::text::forbidden_in(text) {
            Some(c) => refuse(path, c),
            None => Ok(()),
        },
        serde_json::Value::Array(list) => {
            for (i, v) in list.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_json(v, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                let shown: String = k.chars().filter(|c| !kejiyun_domain::text::is_forbidden(*c)).take(64).collect();
                path.push_str(&shown);
                if let Some(c) = kejiyun_domain::text::forbidden_in(k) {
                    return refuse(path, c);
                }
                check_json(v, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Refuses decoded `key=value` pairs (a query string or a form) with a forbidden character.
pub fn check_pairs(raw: &[u8], code: Code) -> Result<(), Error> {
    for (k, v) in form_urlencoded::parse(raw) {
        if let Some(c) = kejiyun_domain::text::forbidden_in(&k).or_else(|| kejiyun_domain::text::forbidden_in(&v)) {
            let shown: String = k.chars().filter(|c| !kejiyun_domain::text::is_forbidden(*c)).take(64).collect();
            return Err(Error::new(code, kejiyun_domain::text::refusal(&shown, c)));
        }
    }
    Ok(())
}

fn json_error(rejection: JsonRejection) -> Error {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Error::of(Code::UnsupportedMediaType),
        JsonRejection::JsonDataError(e) => {
            Error::new(Code::InvalidBody, format!("请求内容字段不正确：{}", clean(&e.body_text())))
        }
        JsonRejection::JsonSyntaxError(e) => {
            Error::new(Code::InvalidBody, format!("请求内容不是合法的 JSON：{}", clean(&e.body_text())))
        }
        JsonRejection::BytesRejection(e) => {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Error::of(Code::PayloadTooLarge)
            } else {
                Error::new(Code::InvalidBody, "无法读取请求内容")
            }
        }
        other => {
            if other.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Error::of(Code::PayloadTooLarge)
            } else {
                Error::new(Code::InvalidBody, "请求内容格式不正确")
            }
        }
    }
}

/// axum's messages carry serde's explanation after a prefix; keep the explanation, bounded.
fn clean(text: &str) -> String {
    let detail = text.rsplit_once(": ").map_or(text, |(_, d)| d);
    detail.chars().take(200).collect()
}

/// Query string with API errors.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts, state).await.map(ApiQuery).map_err(ApiError)
    }
}

/// The query string as `T`. Invalid UTF-8 is refused: axum would decode it lossily and search
/// for replacement characters.
pub async fn parse_query<T: DeserializeOwned, S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<T, Error> {
    let raw = parts.uri.query().unwrap_or_default();
    if percent_encoding::percent_decode_str(raw).decode_utf8().is_err() {
        return Err(Error::new(Code::InvalidQuery, "查询参数不是有效的 UTF-8 文本"));
    }
    check_pairs(raw.as_bytes(), Code::InvalidQuery)?;
    match axum::extract::Query::<T>::from_request_parts(parts, state).await {
        Ok(axum::extract::Query(v)) => Ok(v),
        Err(e) => Err(query_error(e)),
    }
}

fn query_error(e: QueryRejection) -> Error {
    Error::new(Code::InvalidQuery, format!("查询参数不正确：{}", clean(&e.body_text())))
}

/// Path parameters with API errors (e.g. a non-numeric id is a 404, not a 400 in plain text).
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(ApiError(path_error(e))),
        }
    }
}

fn path_error(_: PathRejection) -> Error {
    Error::not_found()
}
