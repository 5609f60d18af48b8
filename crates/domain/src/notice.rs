//! Notices (站内通知) to one user. They are built above storage (their words and links are the
//! features'), carried by the task queue in the transaction of the change that causes them, and
//! written as a notification by the `notify` task — once, however often that task runs.

use serde::{Deserialize, Serialize};

/// The task kind that delivers a [`Notice`].
pub const NOTIFY_TASK: &str = "notify";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub user_id: i64,
    /// What it is about, e.g. `service_order`, `contract`, `match`, `confirm_request`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A path on this site.
    pub link: Option<String>,
}

impl Notice {
    pub fn new(
        user_id: i64,
        kind: impl Into<String>,
        title: impl Into<String>,
        body: impl Into<String>,
        link: impl Into<String>,
    ) -> Notice {
        Notice { user_id, kind: kind.into(), title: title.into(), body: body.into(), link: Some(link.into()) }
    }
}
