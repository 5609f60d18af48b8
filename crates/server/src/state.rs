//! What every handler shares.

use std::sync::Arc;

use kejiyun_db::Db;
use kejiyun_search::SearchIndex;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub search: SearchIndex,
    pub settings: Arc<Settings>,
}

/// Run-time settings the handlers need (from the command line / environment).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Lifetime of a login, in hours.
    pub session_hours: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { secure_cookies: false, session_hours: 24 * 7 }
    }
}
