//! A deterministic, realistic Chinese demo dataset for kejiyun, so that a first run looks like a living
//! 天府科技云: about 150 experts at Sichuan universities and institutes, 120 organisations spread over
//! all 21 prefectures with the industries each place is known for, 3 public readers, and 400 items —
//! needs of enterprises, capabilities and achievements of experts and labs.
//!
//! Everything is built from the tables in `industries.rs` (per-industry vocabulary and templates),
//! `places.rs` (prefectures, employers) and `names.rs`, with a seeded PRNG: the same seed gives the
//! same data. All inputs pass the domain's own validation (see the tests).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod corpus;
mod industries;
mod items;
mod names;
mod places;
mod rng;
mod users;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use kejiyun_domain::user::RegisterInput;
use kejiyun_domain::{ItemInput, ItemKind, ItemStatus};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "demo2026pass";

#[derive(Debug, Clone)]
pub struct DemoUser {
    pub input: RegisterInput,
}

#[derive(Debug, Clone)]
pub struct DemoItem {
    pub owner_username: String,
    pub kind: ItemKind,
    pub input: ItemInput,
    pub status: DemoStatus,
}

/// The state an item is loaded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemoStatus {
    Published,
    Pending,
    Draft,
}

impl DemoStatus {
    pub fn item_status(self) -> ItemStatus {
        match self {
            DemoStatus::Published => ItemStatus::Published,
            DemoStatus::Pending => ItemStatus::Pending,
            DemoStatus::Draft => ItemStatus::Draft,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DemoData {
    /// Experts (`expert001`…), organisations (`org001`…) and public readers (`public001`…), all with
    /// the password [`DEMO_PASSWORD`].
    pub users: Vec<DemoUser>,
    /// Items in random order; every owner is in `users` and may publish its kind.
    pub items: Vec<DemoItem>,
}

/// Generates the dataset. `today` is used for deadlines (needs get deadlines 30..300 days after today).
pub fn generate(seed: u64, today: NaiveDate) -> DemoData {
    let mut rng = rng::Rng::new(seed);
    let members = users::generate(&mut rng);
    let items = items::generate(&mut rng, &members, today);
    DemoData { users: members.into_iter().map(|m| DemoUser { input: m.input }).collect(), items }
}
