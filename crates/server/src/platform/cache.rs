//! In-process read caches for the busiest public reads: published items by id and the match
//! suggestions shown beside them.
//!
//! Every entry is stamped with the data generation current *before* it was read. Any item
//! change starts a new generation — a change made here (after its search index sync), one made
//! by another process (seen by the change-log follower), or a synonym change — so an entry read
//! before a change is never served after it. A short time to live bounds what the generation
//! does not track: a user's display name, an expert's record of completed services.

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kejiyun_domain::Item;

use kejiyun_domain::matching::Suggestion;

/// How many items and suggestion lists are kept (each list is a few kilobytes at most).
const CAPACITY: usize = 20_000;

/// Longest time an entry is served, for data outside the item change log.
pub const TIME_TO_LIVE: Duration = Duration::from_secs(30);

/// Which suggestion list of a source item: the target kind (or the default mix) and the length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SuggestionKey {
    pub source_id: i64,
    pub target: Option<kejiyun_domain::matching::MatchKind>,
    pub limit: u32,
}

#[derive(Clone)]
struct Entry<T> {
    generation: u64,
    filled: Instant,
    value: T,
}

pub struct ReadCache {
    generation: AtomicU64,
    items: quick_cache::sync::Cache<i64, Entry<Arc<Item>>>,
    suggestions: quick_cache::sync::Cache<SuggestionKey, Entry<Arc<Vec<Suggestion>>>>,
}

impl Default for ReadCache {
    fn default() -> Self {
        ReadCache {
            generation: AtomicU64::new(0),
            items: quick_cache::sync::Cache::new(CAPACITY),
            suggestions: quick_cache::sync::Cache::new(CAPACITY),
        }
    }
}

impl ReadCache {
    /// The generation to stamp on what is about to be read.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Item data changed: everything cached so far is out of date.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn item(&self, id: i64) -> Option<Arc<Item>> {
        self.fresh(&self.items, &id)
    }

    /// Keeps a published item read at `generation`.
    pub fn put_item(&self, generation: u64, item: Arc<Item>) {
        self.items.insert(item.id, Entry { generation, filled: Instant::now(), value: item });
    }

    pub fn suggestions(&self, key: &SuggestionKey) -> Option<Arc<Vec<Suggestion>>> {
        self.fresh(&self.suggestions, key)
    }

    pub fn put_suggestions(&self, generation: u64, key: SuggestionKey, found: Arc<Vec<Suggestion>>) {
        self.suggestions.insert(key, Entry { generation, filled: Instant::now(), value: found });
    }

    fn fresh<K: Eq + Hash + Clone, T: Clone>(
        &self,
        cache: &quick_cache::sync::Cache<K, Entry<T>>,
        key: &K,
    ) -> Option<T> {
        let entry = cache.get(key)?;
        if entry.generation == self.generation() && entry.filled.elapsed() < TIME_TO_LIVE {
            Some(entry.value)
        } else {
            cache.remove(key);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kejiyun_domain::{ItemKind, ItemStatus};

    fn item(id: i64, title: &str) -> Arc<Item> {
        let sample = Item::sample(ItemKind::Need, 1, "510321", ItemStatus::Published);
        Arc::new(Item { id, title: title.into(), ..sample })
    }

    #[test]
    fn an_entry_read_before_a_change_is_not_served_after_it() {
        let cache = ReadCache::default();
        let before = cache.generation();
        cache.invalidate(); // a write lands while the old row was being read
        cache.put_item(before, item(7, "旧标题"));
        assert!(cache.item(7).is_none());

        let now = cache.generation();
        cache.put_item(now, item(7, "新标题"));
        assert_eq!(cache.item(7).map(|i| i.title.clone()).as_deref(), Some("新标题"));
        cache.invalidate();
        assert!(cache.item(7).is_none(), "a later change hides it");
    }

    #[test]
    fn suggestion_lists_are_kept_per_source_target_and_length() {
        let cache = ReadCache::default();
        let key = SuggestionKey { source_id: 1, target: None, limit: 6 };
        cache.put_suggestions(cache.generation(), key, Arc::new(Vec::new()));
        assert!(cache.suggestions(&key).is_some());
        assert!(cache.suggestions(&SuggestionKey { limit: 3, ..key }).is_none());
        assert!(
            cache
                .suggestions(&SuggestionKey { target: Some(kejiyun_domain::matching::MatchKind::Expert), ..key })
                .is_none()
        );
    }
}
