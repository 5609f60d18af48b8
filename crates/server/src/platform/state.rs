//! What every handler shares.

use std::sync::{Arc, RwLock};

use kejiyun_db::Db;
use kejiyun_domain::synonyms::Synonyms;
use kejiyun_search::SearchIndex;

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

/// Run-time settings the handlers need (from the command line / environment).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Lifetime of a login, in hours.
    pub session_hours: i64,
    /// Brute-force limits of logins.
    pub login_rules: crate::platform::guard::LoginRules,
    /// Working days within which a steward must first respond to a service order.
    pub sla_working_days: u32,
    /// Quotas of registration, publishing and search.
    pub rate_rules: crate::platform::limits::RateRules,
    /// Longest a request may take (slow uploads included) before it is answered 503.
    pub request_timeout: std::time::Duration,
    /// Run a task worker and the periodic-job scheduler in this process (off for nodes that only
    /// answer requests; at least one node must run them).
    pub task_worker: bool,
    /// How long a claimed task is its worker's before another worker may run it (a killed process
    /// leaves its tasks to others after this).
    pub task_lease: std::time::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            secure_cookies: false,
            session_hours: 24 * 7,
            login_rules: Default::default(),
            sla_working_days: kejiyun_domain::service::DEFAULT_SLA_WORKING_DAYS,
            rate_rules: Default::default(),
            request_timeout: std::time::Duration::from_secs(30),
            task_worker: true,
            task_lease: crate::platform::tasks::LEASE,
        }
    }
}
