//! Domain model and rules of kejiyun. No I/O lives here: storage, search and HTTP call into these
//! types and functions so that every rule is written once and unit-tested beside its code.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod amount;
pub mod audit;
pub mod contract;
pub mod credit_code;
pub mod error;
pub mod item;
mod labels;
pub mod matching;
pub mod notice;
pub mod page;
pub mod policy;
pub mod region;
pub mod region_request;
pub mod service;
pub mod synonyms;
pub mod text;
pub mod throttle;
pub mod time;
pub mod user;
pub mod vote;

pub use amount::AmountWan;
pub use error::{Code, Error, Result};
pub use item::{Item, ItemInput, ItemKind, ItemStatus};
pub use region::{Region, RegionLevel, regions};
pub use user::{Role, User};
