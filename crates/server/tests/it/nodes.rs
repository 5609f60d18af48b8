//! N nodes act as one (PostgreSQL only): two servers on one database, as behind a load balancer,
//! share login failure counts and lockouts and the registration, publishing and search quotas (see
//! `platform::limits`). Skipped without `DATABASE_URL`, like every PostgreSQL variant.

use std::time::Duration;

use kejiyun_domain::throttle::Rule;
use kejiyun_server::platform::guard::LoginRules;
use kejiyun_server::platform::limits::{Rate, RateRules};
use kejiyun_server::{Settings, Storage};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::{TestApp, assert_error, item_body};

/// Two servers with `settings` on one fresh PostgreSQL database, each with its own index; `None`
/// (skip) when `DATABASE_URL` is not set. The first drops the database when it finishes, so it
/// finishes last.
async fn two_nodes(settings: Settings) -> Option<(TestApp, TestApp)> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        assert!(std::env::var("CI").is_err(), "CI must run the PostgreSQL tests: set DATABASE_URL");
        eprintln!("DATABASE_URL not set: PostgreSQL test skipped");
        return None;
    };
    let name = format!("kejiyun_test_{}", crate::random_suffix());
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    let (prefix, _) = url.rsplit_once('/').unwrap();
    let db_url = format!("{prefix}/{name}");
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::new(dir.path(), Some(&db_url));
    let first = TestApp::start_with(storage, dir, Some((url, name)), settings.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage { database_url: db_url, index_dir: dir.path().join("index") };
    let second = TestApp::start_with(storage, dir, None, settings).await;
    Some((first, second))
}

async fn finish(one: TestApp, two: TestApp) {
    two.finish().await;
    one.finish().await;
}

/// A login attempt: status, body and `Retry-After`.
async fn attempt(node: &TestApp, username: &str, password: &str) -> (StatusCode, Value, Option<u64>) {
    let resp = node
        .client
        .post(node.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (status, resp.json().await.unwrap(), retry)
}

async fn register(node: &TestApp, username: &str) -> (StatusCode, Value, Option<u64>) {
    let body = json!({"username": username, "password": "kjy-secret-2026", "role": "expert",
        "display_name": format!("测试{username}"), "region_code": "510104"});
    let resp = node.client.post(node.url("/api/v1/auth/register")).json(&body).send().await.unwrap();
    let status = resp.status();
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (status, resp.json().await.unwrap(), retry)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_spread_over_two_nodes_lock_the_account_on_both() {
    let lock_for = Duration::from_secs(5);
    let rules = LoginRules {
        per_account: Rule { max_failures: 4, window: Duration::from_secs(60), lock_for },
        ..Default::default()
    };
    let Some((one, two)) = two_nodes(Settings {
        security: kejiyun_server::platform::config::SecuritySettings { login_rules: rules, ..Default::default() },
        ..Default::default()
    })
    .await
    else {
        return;
    };
    one.user("expert", "victim", "510104").await;
    two.user("expert", "bystander", "510104").await;
    // Two failures on each node: under the limit of four on either alone, at it together.
    for node in [&one, &two, &one, &two] {
        let (status, body, _) = attempt(node, "victim", "guess-1234").await;
        assert_error(status, &body, 401, "invalid_credentials");
    }
    // Locked on both: even the right password is refused, with a hint when to come back.
    for node in [&one, &two] {
        let (status, body, retry) = attempt(node, "VICTIM", "kjy-secret-2026").await;
        assert_error(status, &body, 429, "rate_limited");
        let secs = retry.expect("Retry-After");
        assert!((1..=5).contains(&secs), "{secs}");
    }
    // Others are not affected, on either node.
    for node in [&one, &two] {
        assert_eq!(attempt(node, "bystander", "kjy-secret-2026").await.0, StatusCode::OK);
    }
    // The lock ends on both.
    tokio::time::sleep(lock_for + Duration::from_millis(200)).await;
    for node in [&two, &one] {
        let (status, body, _) = attempt(node, "victim", "kjy-secret-2026").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    finish(one, two).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_guessing_over_two_nodes_is_slowed_on_both() {
    let rules = LoginRules {
        per_address: Rule { max_failures: 4, window: Duration::from_secs(60), lock_for: Duration::from_secs(600) },
        ..Default::default()
    };
    let Some((one, two)) = two_nodes(Settings {
        security: kejiyun_server::platform::config::SecuritySettings { login_rules: rules, ..Default::default() },
        ..Default::default()
    })
    .await
    else {
        return;
    };
    one.user("org", "realorg", "510321").await;
    for (node, name) in [(&one, "a1"), (&two, "a2"), (&one, "a3"), (&two, "a4")] {
        assert_eq!(attempt(node, name, "guess-1234").await.0, StatusCode::UNAUTHORIZED);
    }
    // Over its limit on both nodes: a further wrong guess gets 429 wherever it lands …
    for (node, name) in [(&one, "a5"), (&two, "a6")] {
        let (status, body, retry) = attempt(node, name, "guess-1234").await;
        assert_error(status, &body, 429, "rate_limited");
        assert!(retry.is_some_and(|s| s > 500), "{retry:?}");
    }
    // … but the real user's right password is never refused for strangers' failures.
    for node in [&one, &two] {
        assert_eq!(attempt(node, "realorg", "kjy-secret-2026").await.0, StatusCode::OK);
    }
    finish(one, two).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_quota_spent_on_one_node_is_spent_on_the_other() {
    let rules = RateRules { registration: Rate::per(3, Duration::from_secs(3600)), ..Default::default() };
    let Some((one, two)) = two_nodes(Settings { limits: rules, ..Default::default() }).await else { return };
    for name in ["quota_a", "quota_b", "quota_c"] {
        let (status, body, _) = register(&one, name).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // The next registration from this address is refused on the other node, and on this one.
    for (node, name) in [(&two, "quota_d"), (&one, "quota_e")] {
        let (status, body, retry) = register(node, name).await;
        assert_error(status, &body, 429, "rate_limited");
        // Three an hour: one more after a third of it.
        let secs = retry.expect("Retry-After");
        assert!((1000..=1200).contains(&secs), "{secs}");
        let (status, _, _) = attempt(node, name, "kjy-secret-2026").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "nothing was created");
    }
    finish(one, two).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_and_search_quotas_are_shared_by_both_nodes() {
    let minute = Duration::from_secs(60);
    let rules = RateRules { publishing: Rate::per(2, minute), search: Rate::per(3, minute), ..Default::default() };
    let Some((one, two)) = two_nodes(Settings { limits: rules, ..Default::default() }).await else { return };
    let org = one.user("org", "shared_org", "510321").await;
    // One draft on each node spends the quota of two on both.
    for node in [&one, &two] {
        let (status, body) = node.post("/api/v1/needs", Some(&org), item_body("needs", "限流")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    for node in [&two, &one] {
        let (status, body) = node.post("/api/v1/needs", Some(&org), item_body("needs", "限流")).await;
        assert_error(status, &body, 429, "rate_limited");
    }
    let (_, mine) = two.get("/api/v1/me/items", Some(&org)).await;
    assert_eq!(mine["total"], 2, "{mine}");

    // Searches spread over both nodes spend one quota of three: the API and the pages alike.
    assert_eq!(one.get("/api/v1/needs?q=丢糟", None).await.0, StatusCode::OK);
    assert_eq!(two.get("/api/v1/needs?q=丢糟", None).await.0, StatusCode::OK);
    assert_eq!(one.get("/search?q=丢糟", None).await.0, StatusCode::OK);
    for node in [&two, &one] {
        let (status, body) = node.get("/api/v1/needs?q=丢糟", None).await;
        assert_error(status, &body, 429, "rate_limited");
    }
    finish(one, two).await;
}
