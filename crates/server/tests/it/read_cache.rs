//! Public item reads and their suggestions are served from an in-process cache. A cached page
//! must never outlive a change: the next read after any write shows it, on this node at once
//! and on another node on the same database as soon as it follows the change log.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{TestApp, id_of, item_body};

crate::on_both_backends!(cached_reads_show_every_change_at_once, another_node_sees_changes_through_the_log);

/// Publishes an item of `kind` about `word` as `owner`; returns its id.
async fn publish(app: &TestApp, admin: &str, owner: &str, kind: &str, word: &str) -> i64 {
    let (status, item) = app.post(&format!("/api/v1/{kind}?submit=true"), Some(owner), item_body(kind, word)).await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let id = item["id"].as_i64().unwrap();
    let (status, body) =
        app.post(&format!("/api/v1/{kind}/{id}/review"), Some(admin), json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

async fn expert_matches(app: &TestApp, need: i64) -> Vec<Value> {
    let (status, body) = app.get(&format!("/api/v1/needs/{need}/matches?kind=expert"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

async fn cached_reads_show_every_change_at_once(app: &TestApp) {
    let admin = app.admin("cache_admin", "510000").await;
    let org = app.user("org", "cache_org", "510321").await;
    let expert = app.user("expert", "cache_expert", "510302").await;
    let need = publish(app, &admin, &org, "needs", "蛋白饲料").await;

    // Warm every cached read: the item, its page, its default and expert suggestions.
    let (status, body) = app.get(&format!("/api/v1/needs/{need}"), None).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("published")));
    assert!(app.page(&format!("/needs/{need}")).await.contains("白酒丢糟资源化利用技术需求"));
    let (_, offers) = app.get(&format!("/api/v1/needs/{need}/matches"), None).await;
    assert_eq!(offers.as_array().map(Vec::len), Some(0), "nothing published to match yet: {offers}");
    assert!(expert_matches(app, need).await.is_empty());

    // A capability published afterwards is suggested on the very next read.
    let capability = publish(app, &admin, &expert, "capabilities", "蛋白饲料").await;
    let (_, offers) = app.get(&format!("/api/v1/needs/{need}/matches"), None).await;
    assert!(offers.as_array().unwrap().iter().any(|o| o["id"] == capability), "{offers}");
    let page = app.page(&format!("/needs/{need}")).await;
    assert!(page.contains("固态发酵饲料化技术服务"), "the page shows the new suggestion");

    // The expert renames themself: the expert suggestion shows the new name at once.
    let experts = expert_matches(app, need).await;
    assert_eq!(experts.len(), 1, "{experts:?}");
    let (status, body) = app.patch("/api/v1/me", Some(&expert), json!({"display_name": "缓存测试专家"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let experts = expert_matches(app, need).await;
    assert!(experts[0]["title"].as_str().unwrap().contains("缓存测试专家"), "{experts:?}");
    assert_eq!(experts[0]["id"].as_i64(), Some(id_of(app, &expert).await));

    // The capability is closed: it leaves the suggestions and its public page at once.
    let (status, _) = app.post(&format!("/api/v1/capabilities/{capability}/close"), Some(&expert), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, offers) = app.get(&format!("/api/v1/needs/{need}/matches"), None).await;
    assert!(!offers.as_array().unwrap().iter().any(|o| o["id"] == capability), "{offers}");
    let (status, _) = app.get(&format!("/api/v1/capabilities/{capability}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a closed item is no longer public");

    // The owner edits the published need: it goes back to review and leaves the public at once,
    // while the owner sees the edit (never a cached copy).
    let (status, body) =
        app.patch(&format!("/api/v1/needs/{need}"), Some(&org), json!({"title": "改过标题的酒糟饲料需求"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app.get(&format!("/api/v1/needs/{need}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app.get(&format!("/api/v1/needs/{need}"), Some(&org)).await;
    assert_eq!((status, body["title"].as_str()), (StatusCode::OK, Some("改过标题的酒糟饲料需求")));
}

async fn another_node_sees_changes_through_the_log(app: &TestApp) {
    let other = app.second_node().await;
    let admin = app.admin("node_admin", "510000").await;
    let org = app.user("org", "node_org", "510321").await;
    let need = publish(app, &admin, &org, "needs", "超声波提取").await;

    // The other node caches the published need, then the owner closes it through this node.
    let wait_for = |want: StatusCode| {
        let other = &other;
        async move {
            let started = Instant::now();
            loop {
                let (status, _) = other.get(&format!("/api/v1/needs/{need}"), None).await;
                if status == want {
                    return;
                }
                assert!(started.elapsed() < Duration::from_secs(3), "other node still answers {status}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    wait_for(StatusCode::OK).await;
    let (status, body) = other.get(&format!("/api/v1/needs/{need}"), None).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("published")));
    let (status, _) = app.post(&format!("/api/v1/needs/{need}/close"), Some(&org), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    wait_for(StatusCode::NOT_FOUND).await;
    other.finish().await;
}
