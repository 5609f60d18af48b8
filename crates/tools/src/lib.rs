//! Benchmarks and the matching evaluation of kejiyun, linked into the `kejiyun` binary as
//! subcommands (`kejiyun bench match|votes`, `kejiyun match eval`). They print figures; tests never
//! assert times. Built on the crates below the server (domain, db, search, demo), never on it:
//! matching runs through the same ranker functions the server calls
//! ([`kejiyun_search::matching`]).

pub mod bench;
pub mod bench_votes;
pub mod match_eval;

use kejiyun_domain::time::Timestamp;
use kejiyun_domain::{Item, ItemKind, ItemStatus};

/// A published item with no content yet (empty texts, no owner, amounts or dates), to fill in
/// from an evaluation record or a synthetic listing.
pub(crate) fn published_item(id: i64, kind: ItemKind, region_code: String, published_at: Timestamp) -> Item {
    Item {
        id,
        kind,
        owner_id: 0,
        owner_name: String::new(),
        owner_region_code: String::new(),
        title: String::new(),
        description: String::new(),
        industry: None,
        keywords: Vec::new(),
        region_code,
        status: ItemStatus::Published,
        reject_reason: None,
        close_reason: None,
        modes: Vec::new(),
        amount_min_wan: None,
        amount_max_wan: None,
        deadline: None,
        contact_visibility: None,
        discipline: None,
        fields: Vec::new(),
        service_area: Vec::new(),
        availability: None,
        achievement_type: None,
        registration_no: None,
        maturity: None,
        duplicate_of: None,
        created_at: published_at,
        updated_at: published_at,
        published_at: Some(published_at),
    }
}

/// Nearest-rank percentile of sorted values (0 for none).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
