//! Query strings: arbitrary bytes through `serde_urlencoded` (what axum's `Query` uses) into the
//! shapes of the server's query structs, then the domain checks the handlers run on them before
//! touching the database: `PageRequest::new`, `regions().require`, the vocabularies' `parse`, and
//! `Period::new`/`Period::millis`. Never a panic; every refusal is a 4xx with a Chinese message;
//! accepted pages are within bounds and accepted periods are non-empty ranges.
//!
//! The structs below copy the field names and types of `ListQuery`, `OrderListQuery`,
//! `StatsQuery`, `ContractListQuery`, `MyItemsQuery` and `RegionQuery` of `kejiyun-server`
//! (`crates/server/src/{actions,api}`): linking the server here would instrument sqlx, tantivy
//! and axum as well, for no more coverage of the parsing. Keep them in step with the server.
#![no_main]

use chrono::NaiveDate;
use kejiyun_domain::contract::ContractStatus;
use kejiyun_domain::item::{AchievementType, Mode};
use kejiyun_domain::page::{MAX_PAGE, MAX_PER_PAGE, PageRequest};
use kejiyun_domain::service::{OrderStatus, Period};
use kejiyun_domain::{Code, ItemKind, ItemStatus, regions};
use kejiyun_fuzz::assert_clear_4xx;
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// `actions::items::ListQuery` (public lists and search).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ListQuery {
    q: Option<String>,
    region: Option<String>,
    industry: Option<String>,
    #[serde(rename = "type")]
    achievement_type: Option<String>,
    mode: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

/// `actions::services::OrderListQuery`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct OrderListQuery {
    #[serde(default)]
    status: Option<OrderStatus>,
    #[serde(default)]
    overdue: Option<bool>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
}

/// `actions::services::StatsQuery`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsQuery {
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    from: Option<NaiveDate>,
    #[serde(default)]
    to: Option<NaiveDate>,
}

/// `actions::contracts::ContractListQuery`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ContractListQuery {
    #[serde(default)]
    status: Option<ContractStatus>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
}

/// `api::accounts::MyItemsQuery`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct MyItemsQuery {
    kind: Option<ItemKind>,
    status: Option<ItemStatus>,
    page: Option<u32>,
    per_page: Option<u32>,
}

/// `api::meta::RegionQuery`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionQuery {
    parent: Option<String>,
}

fn query<T: DeserializeOwned>(data: &[u8]) -> Option<T> {
    serde_urlencoded::from_bytes(data).ok()
}

fn blank_to_none(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn page(page: Option<u32>, per_page: Option<u32>) {
    match PageRequest::new(page, per_page) {
        Ok(p) => {
            assert!((1..=MAX_PAGE).contains(&p.page) && (1..=MAX_PER_PAGE).contains(&p.per_page), "{p:?}");
            assert!(p.offset() >= 0 && p.limit() > 0, "{p:?}");
        }
        Err(e) => {
            assert_eq!(e.code, Code::InvalidQuery, "{e:?}");
            assert_clear_4xx(&e, "page");
            assert!(matches!(e.field, Some("page" | "per_page")), "{e:?}");
        }
    }
}

fn region(code: Option<&str>) {
    if let Some(code) = code
        && let Err(e) = regions().require(code)
    {
        assert_clear_4xx(&e, "region");
    }
}

fn period(from: Option<NaiveDate>, to: Option<NaiveDate>) {
    match Period::new(from, to) {
        Ok(p) => {
            assert!(from.zip(to).is_none_or(|(f, t)| f <= t), "reversed period accepted");
            let (start, end) = p.millis();
            assert!(start < end, "empty period {from:?}..={to:?}: {start}..{end}");
        }
        Err(e) => {
            assert!(from.zip(to).is_some_and(|(f, t)| f > t), "refused {from:?}..={to:?}");
            assert_eq!(e.code, Code::InvalidQuery, "{e:?}");
            assert_clear_4xx(&e, "period");
        }
    }
}

/// A vocabulary reads the same values through serde (query strings, JSON) as through `parse`
/// (forms, storage), and a value read from its code or label reads back from both.
fn vocabulary(text: &str) {
    macro_rules! check {
        ($($t:ty),+) => {$(
            let by_serde = serde_json::from_value::<$t>(serde_json::Value::String(text.to_string())).ok();
            assert_eq!(by_serde, <$t>::parse(text), "{} reads {text:?} differently", stringify!($t));
            if let Some(v) = by_serde {
                assert_eq!(<$t>::parse(v.code()), Some(v), "{v:?} from its code");
                assert_eq!(<$t>::parse(v.label()), Some(v), "{v:?} from its label");
            }
        )+};
    }
    check!(ItemKind, ItemStatus, OrderStatus, ContractStatus, AchievementType, Mode);
    if let Some(k) = ItemKind::from_slug(text) {
        assert_eq!(k.slug(), text);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some(q) = query::<ListQuery>(data) {
        page(q.page, q.per_page);
        region(blank_to_none(&q.region));
        for text in [&q.achievement_type, &q.mode].into_iter().filter_map(blank_to_none) {
            vocabulary(text);
        }
    }
    if let Some(q) = query::<OrderListQuery>(data) {
        page(q.page, q.per_page);
        region(q.region.as_deref());
    }
    if let Some(q) = query::<StatsQuery>(data) {
        region(q.region.as_deref());
        period(q.from, q.to);
    }
    if let Some(q) = query::<ContractListQuery>(data) {
        page(q.page, q.per_page);
    }
    if let Some(q) = query::<MyItemsQuery>(data) {
        page(q.page, q.per_page);
    }
    if let Some(q) = query::<RegionQuery>(data) {
        region(q.parent.as_deref().map(str::trim).filter(|p| !p.is_empty()));
    }
    if let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) {
        for (_, value) in &pairs {
            vocabulary(value);
        }
    }
});
