//! What every handler shares.

use std::sync::{Arc, RwLock};

use kejiyun_db::Db;
use kejiyun_domain::synonyms::Synonyms;
use kejiyun_search::SearchIndex;

pub use crate::platform::config::Settings;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub search: SearchIndex,
    pub settings: Arc<Settings>,
    /// The shipped synonym list plus admins' groups; replaced whole when groups change.
    pub synonyms: Arc<RwLock<Arc<Synonyms>>>,
    pub login_guard: Arc<crate::platform::guard::LoginGuard>,
    pub limits: Arc<crate::platform::limits::Limits>,
    pub metrics: Arc<crate::platform::metrics::Metrics>,
    /// Published items and their suggestions, for the busiest pages.
    pub cache: Arc<crate::platform::cache::ReadCache>,
    /// Wakes this process's task worker (a request may have enqueued work).
    pub task_wake: Arc<tokio::sync::Notify>,
    /// Held while an index update reads item state and applies it, so that an update read
    /// earlier can never land after (and undo) one read later.
    pub index_order: Arc<tokio::sync::Mutex<()>>,
}

impl AppState {
    pub fn synonyms(&self) -> Arc<Synonyms> {
        self.synonyms.read().map(|s| s.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Reloads admins' synonym groups from the database.
    pub async fn reload_synonyms(&self) -> Result<(), kejiyun_db::Error> {
        let extra = self.db.synonym_groups().await?.into_iter().map(|g| g.terms);
        let fresh = Arc::new(Synonyms::shipped().with_groups(extra));
        match self.synonyms.write() {
            Ok(mut s) => *s = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        // Suggestions were expanded with the old groups.
        self.cache.invalidate();
        Ok(())
    }
}
