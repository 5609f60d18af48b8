//! The search index is derived state: it follows the database's change log, survives crashes
//! between a database commit and the index commit, repairs itself at start, and several server
//! processes on one PostgreSQL database each keep their own index in step.

use std::time::{Duration, Instant};

use kejiyun_db::Db;
use kejiyun_db::items::Transition;
use kejiyun_domain::ItemStatus;
use kejiyun_domain::item::ItemAction;
use kejiyun_search::SearchQuery;
use kejiyun_server::Storage;
use reqwest::StatusCode;
use serde_json::json;

use crate::{TestApp, item_body, search_ids};

crate::on_both_backends!(damaged_index_is_rebuilt_at_start);

/// Publishes a need containing `word`; returns its id and its owner's token.
async fn publish(app: &TestApp, word: &str) -> (i64, String) {
    let org = app.user("org", &format!("org_{}", word.len()), "510321").await;
    let admin = app.admin(&format!("admin_{}", word.len()), "510000").await;
    let (_, item) = app.post("/api/v1/needs?submit=true", Some(&org), item_body("needs", word)).await;
    let path = format!("/api/v1/needs/{}/review", item["id"]);
    let (status, _) = app.post(&path, Some(&admin), json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::OK);
    (item["id"].as_i64().unwrap(), org)
}

/// Writes that reached the database while the index missed them (as if the process died between
/// the two commits) are replayed from the change log at start. The number of published items
/// stays the same, so only the replay (not the count check) can repair this.
async fn missed_writes_are_replayed(app: TestApp) {
    let (a, _) = publish(&app, "膜分离").await;
    let org = app.user("org", "org_b", "510321").await;
    let (_, b) = app.post("/api/v1/needs?submit=true", Some(&org), item_body("needs", "渗透汽化")).await;
    let b = b["id"].as_i64().unwrap();
    let app = app
        .restart_with(async |storage: &Storage| {
            let db = Db::connect(&storage.database_url).await.unwrap();
            for (id, action, to) in
                [(a, ItemAction::Close, ItemStatus::Closed), (b, ItemAction::Approve, ItemStatus::Published)]
            {
                let item = db.item(id).await.unwrap().unwrap();
                let tr = Transition {
                    item: &item,
                    action,
                    to,
                    actor_id: None,
                    reason: None,
                    notices: Vec::new(),
                    tasks: Vec::new(),
                };
                db.transition_item(tr).await.unwrap();
            }
            db.close().await;
        })
        .await;
    let raw = |word: &str| {
        let q = SearchQuery { text: word.into(), limit: 10, ..Default::default() };
        app.state.search.search(&q).unwrap().hits.iter().map(|h| h.0 as i64).collect::<Vec<_>>()
    };
    assert!(raw("膜分离").is_empty(), "the closed item left the index");
    assert_eq!(raw("渗透汽化"), vec![b], "the approved item entered it");
    assert_eq!(app.state.search.applied_seq(), Some(app.state.db.last_change_seq().await.unwrap()));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_missed_writes_are_replayed() {
    missed_writes_are_replayed(TestApp::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_missed_writes_are_replayed() {
    if let Some(app) = TestApp::postgres().await {
        missed_writes_are_replayed(app).await;
    }
}

async fn damaged_index_is_rebuilt_at_start(app: &TestApp) {
    let (id, _) = publish(app, "反渗透").await;
    // Drop the item from the index behind the database's back: counts now disagree.
    app.state.search.delete(id as u64).await.unwrap();
    assert!(search_ids(app, "needs", "反渗透").await.is_empty());
    kejiyun_server::platform::indexing::check_at_start(&app.state).await.unwrap();
    assert_eq!(search_ids(app, "needs", "反渗透").await, vec![id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_survives_restarts_and_garbage_is_rebuilt() {
    let app = TestApp::sqlite().await;
    let (id, _) = publish(&app, "烘焙").await;
    let app = app.restart_with(async |_: &Storage| {}).await;
    assert_eq!(search_ids(&app, "needs", "烘焙").await, vec![id]);
    let app = app
        .restart_with(async |storage: &Storage| {
            std::fs::write(storage.index_dir.join("meta.json"), b"{ not json").unwrap()
        })
        .await;
    assert_eq!(search_ids(&app, "needs", "烘焙").await, vec![id], "rebuilt from the database");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_follow_each_other() {
    let Some(a) = TestApp::postgres().await else { return };
    let b = a.second_node().await;
    let (id, owner) = publish(&a, "超临界萃取").await;
    assert_eq!(search_ids(&a, "needs", "超临界萃取").await, vec![id], "node A: at once");
    let started = Instant::now();
    let mut seen = false;
    while started.elapsed() < Duration::from_secs(2) {
        if search_ids(&b, "needs", "超临界萃取").await == vec![id] {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen, "node B did not see the item published through node A within 2 s");
    // And back: closing through B removes it from A.
    let (status, _) = b.post(&format!("/api/v1/needs/{id}/close"), Some(&owner), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let started = Instant::now();
    while !search_ids(&a, "needs", "超临界萃取").await.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(2), "node A still shows the closed item");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.finish().await;
    a.finish().await;
}
