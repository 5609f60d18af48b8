//! Time as stored: UTC milliseconds since the epoch (portable across SQLite and PostgreSQL).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub type Timestamp = DateTime<Utc>;

pub fn now() -> Timestamp {
    Utc::now()
}

pub fn to_millis(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub fn from_millis(ms: i64) -> Timestamp {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// China Standard Time, for dates people read and deadlines they set.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!("+8h is a valid offset"))
}

pub fn today_in_china(now: Timestamp) -> NaiveDate {
    now.with_timezone(&china()).date_naive()
}

/// Today's date in China: the day deadlines, signing dates and votes count against.
pub fn today() -> NaiveDate {
    today_in_china(now())
}

/// "2026-11-25 14:03" in China time.
pub fn display(t: Timestamp) -> String {
    t.with_timezone(&china()).format("%Y-%m-%d %H:%M").to_string()
}
