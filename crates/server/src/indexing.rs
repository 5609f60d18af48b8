//! Keeps the search index in step with the database: what an item looks like in the index,
//! per-item sync after each change, and the check-and-rebuild at start.

use kejiyun_domain::time::to_millis;
use kejiyun_domain::{Error, Item, ItemStatus, regions};
use kejiyun_search::IndexDoc;

use crate::error::{from_db, from_search};
use crate::state::AppState;

pub fn doc_for(item: &Item) -> IndexDoc {
    IndexDoc {
        id: item.id as u64,
        kind: item.kind.code().to_string(),
        title: item.title.clone(),
        keywords: item.keywords.clone(),
        description: item.description.clone(),
        industry: item.industry.clone(),
        region_path: regions()
            .path(&item.region_code)
            .iter()
            .map(|r| r.code.clone())
            .collect(),
        achievement_type: item.achievement_type.map(|t| t.code().to_string()),
        modes: item.modes.iter().map(|m| m.code().to_string()).collect(),
        published_at: item.published_at.map(to_millis).unwrap_or_default(),
    }
}

/// Published items are in the index; everything else is not.
pub async fn sync(state: &AppState, item: &Item) -> Result<(), Error> {
    let result = if item.status == ItemStatus::Published {
        state.search.upsert(doc_for(item)).await
    } else {
        state.search.delete(item.id as u64).await
    };
    result.map_err(from_search)
}

/// Rebuilds the whole index from the database in one commit. Returns the number of items.
pub async fn rebuild(state: &AppState) -> Result<usize, Error> {
    let mut docs = Vec::new();
    let mut after = 0;
    loop {
        let batch = state.db.published_items_after(after, 1000).await.map_err(from_db)?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        docs.extend(batch.iter().map(doc_for));
    }
    let n = docs.len();
    state.search.replace_all(docs).await.map_err(from_search)?;
    Ok(n)
}

/// At start: rebuild when the index does not hold exactly the published items.
pub async fn check_at_start(state: &AppState) -> Result<(), Error> {
    let published = state
        .db
        .count_items(None, ItemStatus::Published)
        .await
        .map_err(from_db)?;
    let indexed = state.search.num_docs();
    if indexed != published as u64 {
        tracing::info!(indexed, published, "search index out of date; rebuilding");
        let n = rebuild(state).await?;
        tracing::info!(items = n, "search index rebuilt");
    }
    Ok(())
}
