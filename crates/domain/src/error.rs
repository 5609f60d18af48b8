//! The one table of error codes (code, HTTP status, default Chinese message), in the manner of
//! Meilisearch: every layer builds an [`Error`] from a [`Code`]; the HTTP edge maps it once.

use serde::Serialize;

/// Stable, snake_case error codes. Clients and the UI key on these; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    InvalidBody,
    UnsupportedMediaType,
    PayloadTooLarge,
    InvalidQuery,
    ValidationFailed,
    InvalidRegion,
    InvalidCreditCode,
    InvalidAmount,
    Unauthenticated,
    InvalidCredentials,
    Forbidden,
    CsrfFailed,
    NotFound,
    MethodNotAllowed,
    UsernameTaken,
    CreditCodeTaken,
    IllegalTransition,
    PollNotOpen,
    AlreadyVoted,
    DailyVoteLimit,
    DatabaseExists,
    RateLimited,
    Internal,
}

impl Code {
    /// (HTTP status, default message in Chinese).
    pub const fn info(self) -> (u16, &'static str) {
        match self {
            Code::InvalidBody => (400, "请求内容格式不正确"),
            Code::UnsupportedMediaType => (415, "请求内容类型不受支持，请使用 application/json"),
            Code::PayloadTooLarge => (413, "请求内容过大"),
            Code::InvalidQuery => (400, "查询参数不正确"),
            Code::ValidationFailed => (422, "填写的内容不符合要求"),
            Code::InvalidRegion => (422, "行政区划代码无效"),
            Code::InvalidCreditCode => (422, "统一社会信用代码无效"),
            Code::InvalidAmount => (422, "金额格式不正确（单位：万元）"),
            Code::Unauthenticated => (401, "请先登录"),
            Code::InvalidCredentials => (401, "用户名或密码错误"),
            Code::Forbidden => (403, "无权进行此操作"),
            Code::CsrfFailed => (403, "页面已过期，请刷新后重试"),
            Code::NotFound => (404, "内容不存在"),
            Code::MethodNotAllowed => (405, "不支持该请求方法"),
            Code::UsernameTaken => (409, "用户名已被注册"),
            Code::CreditCodeTaken => (409, "该统一社会信用代码已注册"),
            Code::IllegalTransition => (409, "当前状态下不能进行此操作"),
            Code::PollNotOpen => (409, "投票不在进行中"),
            Code::AlreadyVoted => (409, "今天已为该候选投过票"),
            Code::DailyVoteLimit => (409, "今天的票已用完"),
            Code::DatabaseExists => (409, "数据库中已有数据"),
            Code::RateLimited => (429, "操作过于频繁，请稍后再试"),
            Code::Internal => (500, "服务器内部错误，请稍后再试"),
        }
    }

    pub const fn status(self) -> u16 {
        self.info().0
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidBody => "invalid_body",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::PayloadTooLarge => "payload_too_large",
            Code::InvalidQuery => "invalid_query",
            Code::ValidationFailed => "validation_failed",
            Code::InvalidRegion => "invalid_region",
            Code::InvalidCreditCode => "invalid_credit_code",
            Code::InvalidAmount => "invalid_amount",
            Code::Unauthenticated => "unauthenticated",
            Code::InvalidCredentials => "invalid_credentials",
            Code::Forbidden => "forbidden",
            Code::CsrfFailed => "csrf_failed",
            Code::NotFound => "not_found",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::UsernameTaken => "username_taken",
            Code::CreditCodeTaken => "credit_code_taken",
            Code::IllegalTransition => "illegal_transition",
            Code::PollNotOpen => "poll_not_open",
            Code::AlreadyVoted => "already_voted",
            Code::DailyVoteLimit => "daily_vote_limit",
            Code::DatabaseExists => "database_exists",
            Code::RateLimited => "rate_limited",
            Code::Internal => "internal",
        }
    }
}

/// An error with a stable code and a message for people (Chinese). `field` names the offending
/// input field when there is one, so forms can show the message beside it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct Error {
    pub code: Code,
    pub message: String,
    pub field: Option<&'static str>,
    /// For `rate_limited`: seconds until trying again makes sense (the `Retry-After` header).
    pub retry_after_secs: Option<u64>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), field: None, retry_after_secs: None }
    }

    /// The code's default message.
    pub fn of(code: Code) -> Self {
        Error::new(code, code.info().1)
    }

    /// A validation error on one input field.
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        Error { code: Code::ValidationFailed, message: message.into(), field: Some(field), retry_after_secs: None }
    }

    pub fn with_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    /// Too many attempts; try again after `secs` seconds.
    pub fn rate_limited(message: impl Into<String>, secs: u64) -> Self {
        Error { retry_after_secs: Some(secs.max(1)), ..Error::new(Code::RateLimited, message) }
    }

    pub fn not_found() -> Self {
        Error::of(Code::NotFound)
    }

    pub fn forbidden() -> Self {
        Error::of(Code::Forbidden)
    }

    pub fn unauthenticated() -> Self {
        Error::of(Code::Unauthenticated)
    }

    pub fn illegal_transition(message: impl Into<String>) -> Self {
        Error::new(Code::IllegalTransition, message)
    }

    /// Internal failures carry no detail to clients; log the cause where it happens.
    pub fn internal() -> Self {
        Error::of(Code::Internal)
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_internal_is_a_server_error() {
        let all = [
            Code::InvalidBody,
            Code::UnsupportedMediaType,
            Code::PayloadTooLarge,
            Code::InvalidQuery,
            Code::ValidationFailed,
            Code::InvalidRegion,
            Code::InvalidCreditCode,
            Code::InvalidAmount,
            Code::Unauthenticated,
            Code::InvalidCredentials,
            Code::Forbidden,
            Code::CsrfFailed,
            Code::NotFound,
            Code::MethodNotAllowed,
            Code::UsernameTaken,
            Code::CreditCodeTaken,
            Code::IllegalTransition,
            Code::PollNotOpen,
            Code::AlreadyVoted,
            Code::DailyVoteLimit,
            Code::DatabaseExists,
            Code::RateLimited,
        ];
        for code in all {
            assert!((400..500).contains(&code.status()), "{code:?}");
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
        assert_eq!(Code::Internal.status(), 500);
    }
}
