//! Keeps the search index in step with the database: what an item looks like in the index,
//! per-item sync after each change, and the check-and-rebuild at start.

use kejiyun_domain::time::to_millis;
use kejiyun_domain::{Error, Item, ItemStatus};
use kejiyun_search::IndexDoc;

use crate::platform::state::AppState;
use crate::platform::{from_db, from_search};
use kejiyun_search::SearchQuery;

/// What the index stores of an item: the one document `kejiyun-search` defines for every index.
pub fn doc_for(item: &Item) -> IndexDoc {
    kejiyun_search::matching::index_doc(item)
}

/// Published items are in the index; everything else is not.
/// Called after every item write of this process; the read cache is invalidated once the index
/// shows the change (or failed to), so no suggestion is cached from the old index afterwards.
///
/// The item is read again under `index_order`: the follower (or another request's sync) may have
/// read an older state of it before this write and be about to apply it; whoever applies last
/// then read last, so the index never goes back to an older state.
pub async fn sync(state: &AppState, item: &Item) -> Result<(), Error> {
    let _order = state.index_order.lock().await;
    let current = state.db.items_by_ids(&[item.id]).await.map_err(from_db)?.into_iter().next();
    let result = match current {
        Some(item) if item.status == ItemStatus::Published => state.search.upsert(doc_for(&item)).await,
        _ => state.search.delete(item.id as u64).await,
    };
    state.cache.invalidate();
    result.map_err(from_search)
}

/// Rebuilds the whole index from the database in one commit. Returns the number of items.
pub async fn rebuild(state: &AppState) -> Result<usize, Error> {
    let _order = state.index_order.lock().await;
    // The log position is read first: changes after it are replayed later, which is harmless.
    let seq = state.db.last_change_seq().await.map_err(from_db)?;
    let mut docs = Vec::new();
    let mut after = 0;
    loop {
        let batch = state.db.published_items_after(after, 1000).await.map_err(from_db)?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        docs.extend(batch.iter().map(doc_for));
    }
    let n = docs.len();
    let rebuilt = state.search.rebuild(docs, seq).await;
    state.cache.invalidate();
    rebuilt.map_err(from_search)?;
    Ok(n)
}

/// How long a hole in the change log may stay open before it is taken for a rolled-back write
/// (PostgreSQL hands out sequence numbers before commit, so a later number may commit first).
const GAP_GRACE_MS: i64 = 5_000;

/// Applies the database change log to the index from the position the index last recorded.
/// An index that never recorded a position is rebuilt. Returns the number of changes applied.
pub async fn catch_up(state: &AppState) -> Result<usize, Error> {
    let Some(mut applied) = state.search.applied_seq() else {
        rebuild(state).await?;
        return Ok(0);
    };
    let mut total = 0;
    let _order = state.index_order.lock().await;
    loop {
        let changes = state.db.changes_after(applied, 500).await.map_err(from_db)?;
        let now = to_millis(kejiyun_domain::time::now());
        let mut ready = Vec::new();
        let mut expected = applied + 1;
        for c in &changes {
            if c.seq != expected && now - c.changed_at < GAP_GRACE_MS {
                break; // an earlier write may still commit; look again next time
            }
            ready.push(*c);
            expected = c.seq + 1;
        }
        let Some(last) = ready.last().map(|c| c.seq) else { break };
        let mut ids: Vec<i64> = ready.iter().map(|c| c.item_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let items = state.db.items_by_ids(&ids).await.map_err(from_db)?;
        let updates = ids
            .iter()
            .map(|id| {
                let doc = items.iter().find(|i| i.id == *id).filter(|i| i.status == ItemStatus::Published).map(doc_for);
                (*id as u64, doc)
            })
            .collect();
        let applied_changes = state.search.apply_changes(updates, last).await;
        // Other processes' writes reach this process's caches here.
        state.cache.invalidate();
        applied_changes.map_err(from_search)?;
        total += ready.len();
        applied = last;
        if ready.len() < changes.len() || changes.len() < 500 {
            break;
        }
    }
    Ok(total)
}

/// At start: replay the change log; if the index still disagrees with the database about the
/// number of published items (damaged, or edited behind our back), rebuild it.
pub async fn check_at_start(state: &AppState) -> Result<(), Error> {
    let replayed = catch_up(state).await?;
    let published = state.db.count_items(None, ItemStatus::Published).await.map_err(from_db)?;
    let indexed = state.search.num_docs();
    if indexed != published as u64 {
        tracing::info!(indexed, published, "search index out of date; rebuilding");
        let n = rebuild(state).await?;
        tracing::info!(items = n, "search index rebuilt");
    } else if replayed > 0 {
        tracing::info!(changes = replayed, "search index caught up with the change log");
    }
    Ok(())
}

/// Keeps following the change log (writes made by other server processes on the same database)
/// until `stop` changes.
pub async fn follow(state: AppState, period: std::time::Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut round: u64 = 0;
    loop {
        if let Err(e) = catch_up(&state).await {
            tracing::warn!(error = %e, "following the change log failed; will retry");
        }
        // Synonym groups added through another process arrive within about 20 periods.
        round += 1;
        if round.is_multiple_of(20)
            && let Err(e) = state.reload_synonyms().await
        {
            tracing::warn!(error = %e, "reloading synonyms failed; will retry");
        }
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Runs a query on the blocking pool (ranking is CPU work) and maps its failure.
pub async fn run_search(state: &AppState, query: SearchQuery) -> Result<kejiyun_search::SearchHits, Error> {
    let search = state.search.clone();
    tokio::task::spawn_blocking(move || search.search(&query))
        .await
        .map_err(|_| Error::internal())?
        .map_err(from_search)
}
