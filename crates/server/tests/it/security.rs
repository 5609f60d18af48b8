//! Abuse limits: login brute-force protection per account and per address, with lockout and
//! its end.

use std::time::Duration;

use kejiyun_domain::throttle::Rule;
use kejiyun_server::Settings;
use kejiyun_server::platform::guard::LoginRules;
use reqwest::StatusCode;
use serde_json::json;

use crate::{TestApp, assert_error};

async fn attempt(app: &TestApp, username: &str, password: &str) -> (StatusCode, serde_json::Value, Option<String>) {
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    (status, resp.json().await.unwrap(), retry)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_lock_after_repeated_failures_and_unlock_later() {
    let rules = LoginRules {
        per_account: Rule { max_failures: 3, window: Duration::from_secs(60), lock_for: Duration::from_secs(2) },
        ..Default::default()
    };
    let app = TestApp::sqlite_with(Settings {
        security: kejiyun_server::platform::config::SecuritySettings { login_rules: rules, ..Default::default() },
        ..Default::default()
    })
    .await;
    app.user("expert", "victim", "510104").await;
    app.user("expert", "bystander", "510104").await;
    for _ in 0..3 {
        let (status, body, _) = attempt(&app, "victim", "guess-1234").await;
        assert_error(status, &body, 401, "invalid_credentials");
    }
    // Locked: even the right password is refused, with a hint when to come back.
    let (status, body, retry) = attempt(&app, "VICTIM", "kjy-secret-2026").await;
    assert_error(status, &body, 429, "rate_limited");
    let secs: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=2).contains(&secs), "{secs}");
    // Others are not affected.
    let (status, _, _) = attempt(&app, "bystander", "kjy-secret-2026").await;
    assert_eq!(status, StatusCode::OK);
    // The lock ends.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, _, _) = attempt(&app, "victim", "kjy-secret-2026").await;
    assert_eq!(status, StatusCode::OK);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_guessing_many_accounts_is_slowed_but_a_right_password_still_signs_in() {
    let rules = LoginRules {
        per_address: Rule { max_failures: 4, window: Duration::from_secs(60), lock_for: Duration::from_secs(600) },
        ..Default::default()
    };
    let app = TestApp::sqlite_with(Settings {
        security: kejiyun_server::platform::config::SecuritySettings { login_rules: rules, ..Default::default() },
        ..Default::default()
    })
    .await;
    app.user("org", "realorg", "510321").await;
    for name in ["a1", "a2", "a3", "a4"] {
        let (status, _, _) = attempt(&app, name, "guess-1234").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // The address is over its limit: a further guess waits, then gets 429 with a hint.
    let started = std::time::Instant::now();
    let (status, body, retry) = attempt(&app, "a5", "guess-1234").await;
    assert!(started.elapsed() >= Duration::from_millis(900), "slowed: {:?}", started.elapsed());
    assert_error(status, &body, 429, "rate_limited");
    assert!(retry.is_some());
    // Strangers' failures do not lock out the real user, whose own account is under its limit.
    let (status, _, _) = attempt(&app, "realorg", "kjy-secret-2026").await;
    assert_eq!(status, StatusCode::OK);
    // The web form says so in Chinese for a wrong password.
    let web = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let page = web.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let token = crate::csrf_of(&page);
    let token = token.as_str();
    let r = web
        .post(app.url("/login"))
        .form(&[("_csrf", token), ("username", "realorg"), ("password", "wrong-guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    assert!(r.text().await.unwrap().contains("登录失败次数过多"));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_publishing_and_search_are_rate_limited() {
    use kejiyun_server::platform::limits::{Rate, RateRules};
    let minute = std::time::Duration::from_secs(60);
    let rules = RateRules {
        registration: Rate::per(3, minute),
        publishing: Rate::per(2, minute),
        search: Rate::per(5, minute),
        ..Default::default()
    };
    let app = TestApp::sqlite_with(Settings { limits: rules, ..Default::default() }).await;
    let org = app.user("org", "limited_org", "510321").await;
    app.user("expert", "limited_e1", "510321").await;
    app.user("expert", "limited_e2", "510321").await;
    // The fourth registration from this address within the minute is refused, with Retry-After.
    let body = serde_json::json!({"username": "limited_e3", "password": "kjy-secret-2026", "role": "expert",
        "display_name": "第四位", "region_code": "510321"});
    let response = app.client.post(app.url("/api/v1/auth/register")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let reply: serde_json::Value = response.json().await.unwrap();
    assert_error(StatusCode::TOO_MANY_REQUESTS, &reply, 429, "rate_limited");
    let (status, _) =
        app.post("/api/v1/auth/login", None, json!({"username": "limited_e3", "password": "kjy-secret-2026"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "nothing was created");

    // Publishing: two drafts within the minute, the third is refused and not stored.
    for _ in 0..2 {
        assert_eq!(
            app.post("/api/v1/needs", Some(&org), crate::item_body("needs", "限流")).await.0,
            StatusCode::CREATED
        );
    }
    let (status, reply) = app.post("/api/v1/needs", Some(&org), crate::item_body("needs", "限流")).await;
    assert_error(status, &reply, 429, "rate_limited");
    let (_, mine) = app.get("/api/v1/me/items", Some(&org)).await;
    assert_eq!(mine["total"], 2, "{mine}");

    // Search: five per minute from this address, then 429 on the API and the pages alike.
    for _ in 0..5 {
        assert_eq!(app.get("/api/v1/needs?q=丢糟", None).await.0, StatusCode::OK);
    }
    let (status, reply) = app.get("/api/v1/needs?q=丢糟", None).await;
    assert_error(status, &reply, 429, "rate_limited");
    let page = app.client.get(app.url("/search?q=丢糟")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers().contains_key("retry-after"));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_per_route_and_report_queues() {
    let app = TestApp::sqlite().await;
    for _ in 0..3 {
        assert_eq!(app.get("/healthz", None).await.0, StatusCode::OK);
    }
    assert_eq!(app.get("/api/v1/needs/424242", None).await.0, StatusCode::NOT_FOUND);
    let response = app.client.get(format!("{}/metrics", app.metrics_base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    assert!(text.contains(r#"kejiyun_http_requests_total{method="GET",route="/healthz",status="200"} 3"#), "{text}");
    // The route template, not the raw path, so labels stay bounded.
    assert!(text.contains(r#"route="/api/v1/{kind}/{id}",status="404"} 1"#), "{text}");
    assert!(!text.contains("424242"));
    assert!(text.contains(r#"kejiyun_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.5"} 3"#));
    for gauge in ["kejiyun_index_documents 0", "kejiyun_index_lag_changes 0", "kejiyun_service_orders_overdue 0"] {
        assert!(text.contains(gauge), "{gauge} in {text}");
    }
    app.finish().await;
}
