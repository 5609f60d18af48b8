//! Housekeeping that runs inside the server: needs past their deadline are closed, items
//! untouched for 180 days are queried and later closed, expired sessions are deleted.

use std::time::Duration;

use chrono::Duration as Days;
use kejiyun_domain::item::{CONFIRM_GRACE_DAYS, STALE_AFTER_DAYS};
use kejiyun_domain::time::{Timestamp, now, to_millis, today_in_china};
use tokio::sync::watch;

use crate::platform::state::AppState;
use crate::platform::{from_db, from_search};

const PERIOD: Duration = Duration::from_secs(600);

pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = housekeeping(&state, now()).await {
            tracing::warn!(error = %e, "housekeeping failed; will retry");
        }
        tokio::select! {
            _ = tokio::time::sleep(PERIOD) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One pass of housekeeping as of `at`. Returns the ids of items it closed.
pub async fn housekeeping(state: &AppState, at: Timestamp) -> Result<Vec<i64>, kejiyun_domain::Error> {
    let mut closed = state.db.expire_needs(today_in_china(at)).await.map_err(from_db)?;
    let stale_before = to_millis(at - Days::days(STALE_AFTER_DAYS));
    let close_before = to_millis(at - Days::days(CONFIRM_GRACE_DAYS));
    closed.extend(state.db.check_stale_items(to_millis(at), stale_before, close_before).await.map_err(from_db)?);
    for id in &closed {
        state.search.delete(*id as u64).await.map_err(from_search)?;
    }
    state.db.delete_expired_sessions().await.map_err(from_db)?;
    Ok(closed)
}
