//! Platform services below the features: the configuration, the shared state, the read cache, index sync, abuse
//! quotas, login guard, metrics, background jobs and backups. Nothing here knows HTTP or a feature.

pub mod backup;
pub mod cache;
pub mod config;
pub mod guard;
pub mod indexing;
pub mod limits;
pub mod metrics;
pub mod state;
pub mod tasks;

use kejiyun_domain::Error;

/// Maps storage errors onto codes; anything unexpected is logged and becomes `internal`.
pub fn from_db(e: kejiyun_db::Error) -> Error {
    match e {
        kejiyun_db::Error::Domain(d) => d,
        other => {
            tracing::error!(error = %other, "database error");
            Error::internal()
        }
    }
}

/// Search-index failures are never the caller's fault: logged, `internal`.
pub fn from_search(e: kejiyun_search::Error) -> Error {
    tracing::error!(error = %e, "search index error");
    Error::internal()
}
