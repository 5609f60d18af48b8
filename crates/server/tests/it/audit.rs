//! The audit log as a record of security events: each event is there with its actor, source
//! address, object and result; admins read only their region's records; nobody can change the log
//! through the database without `audit verify` naming the record.

use std::process::Command;

use kejiyun_server::Settings;
use kejiyun_server::platform::guard::LoginRules;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{TestApp, assert_error, on_both_backends, steward};

on_both_backends!(
    security_events_are_on_the_record,
    admins_read_their_regions_records_only,
    the_log_is_append_only_and_tamper_evident
);

/// The records of `action` on `user` entities, newest first, as the province sees them.
async fn records(app: &TestApp, province: &str, query: &str) -> Vec<Value> {
    let (status, page) = app.get(&format!("/api/v1/admin/audit?per_page=100&{query}"), Some(province)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn security_events_are_on_the_record(app: &TestApp) {
    let province = app.admin("audit_province", "510000").await;
    let county = app.admin("audit_county", "510321").await;
    let expert = app.user("expert", "audit_expert", "510104").await;
    let (_, me) = app.get("/api/v1/me", Some(&expert)).await;
    let expert_id = me["id"].as_i64().unwrap();

    // Failed logins: a wrong password for a real account, and a name that is no account.
    let (status, _) =
        app.post("/api/v1/auth/login", None, json!({"username": "audit_expert", "password": "wrong-pass"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.post("/api/v1/auth/login", None, json!({"username": "nobody_here", "password": "x"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Profile and region change, password change (a wrong old one first), logout.
    let (status, body) = app.patch("/api/v1/me", Some(&expert), json!({"title": "研究员"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ask = json!({"region_code": "510321", "reason": "调入荣县工作"});
    let (status, request) = app.post("/api/v1/me/region-requests", Some(&expert), ask).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let decide = format!("/api/v1/admin/region-requests/{}/decide", request["id"]);
    let (status, body) = app.post(&decide, Some(&province), json!({"approve": true})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let wrong = json!({"old_password": "not-it-123", "new_password": "another-secret-9"});
    assert_eq!(app.post("/api/v1/me/password", Some(&expert), wrong).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let right = json!({"old_password": "kjy-secret-2026", "new_password": "another-secret-9"});
    assert_eq!(app.post("/api/v1/me/password", Some(&expert), right).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.post("/api/v1/auth/logout", Some(&expert), json!({})).await.0, StatusCode::NO_CONTENT);
    // An admin creates a steward.
    steward(app, &county, "audit_steward", "510321").await;

    let mine = records(app, &province, &format!("entity=user&entity_id={expert_id}")).await;
    let seen: Vec<(String, String)> =
        mine.iter().map(|r| (r["action"].as_str().unwrap().into(), r["result"].as_str().unwrap().into())).collect();
    for want in [
        ("register", "ok"),
        ("login", "ok"),
        ("login", "failed"),
        ("profile_update", "ok"),
        ("region_request", "ok"),
        ("region_request_approve", "ok"),
        ("region_change", "ok"),
        ("password_change", "failed"),
        ("password_change", "ok"),
        ("logout", "ok"),
    ] {
        assert!(seen.contains(&(want.0.into(), want.1.into())), "{want:?} in {seen:?}");
    }
    for r in &mine {
        assert_eq!(r["address"], "127.0.0.1", "every record names the source address: {r}");
    }
    let region = mine.iter().find(|r| r["action"] == "region_change").unwrap();
    assert_eq!((region["from_status"].as_str(), region["to_status"].as_str()), (Some("510104"), Some("510321")));
    assert_eq!(region["actor_name"], "管理员audit_province", "the approving admin moved the account");
    let profile = mine.iter().find(|r| r["action"] == "profile_update").unwrap();
    assert_eq!(profile["detail"], "title", "the fields that changed, not their values");
    let failed = mine.iter().find(|r| r["action"] == "login" && r["result"] == "failed").unwrap();
    assert!(failed["actor_id"].is_null(), "a failed login proved nobody's identity");
    let stranger = records(app, &province, "action=login").await;
    assert!(stranger.iter().any(|r| r["result"] == "failed" && r["detail"] == "nobody_here" && r["entity_id"] == 0));
    let created = records(app, &province, "action=account_create").await;
    assert!(
        created.iter().any(|r| r["actor_name"] == "管理员audit_county" && r["to_status"] == "steward"),
        "{created:?}"
    );

    // The export is a CSV Excel reads, and is itself on the record.
    let r =
        app.client.get(app.url("/api/v1/admin/audit/export?action=login")).bearer_auth(&province).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'), "a byte-order mark for Excel");
    let lines: Vec<&str> = csv.trim_end().lines().collect();
    assert!(lines[0].contains("来源地址") && lines[0].contains("结果"), "{}", lines[0]);
    assert!(lines.iter().skip(1).all(|l| l.contains("登录")), "{csv}");
    assert!(lines.len() > 3, "{csv}");
    let exports = records(app, &province, "action=export").await;
    assert_eq!(exports.len(), 1);
    assert_eq!(exports[0]["actor_name"], "管理员audit_province");

    // Bad filters are refused in Chinese.
    let (status, body) = app.get("/api/v1/admin/audit?since=2026-02-30", Some(&province)).await;
    assert_error(status, &body, 422, "validation_failed");
    let (status, body) = app.get("/api/v1/admin/audit?action=login%27--", Some(&province)).await;
    assert_error(status, &body, 422, "validation_failed");
    let (status, body) = app.get("/api/v1/admin/audit?since=2026-12-05&until=2026-12-04", Some(&province)).await;
    assert_error(status, &body, 422, "validation_failed");
}

async fn admins_read_their_regions_records_only(app: &TestApp) {
    let province = app.admin("scope_province", "510000").await;
    let zigong = app.admin("scope_zigong", "510300").await;
    app.user("expert", "scope_chengdu", "510104").await;
    app.user("expert", "scope_rongxian", "510321").await;
    let zigong_seen = records(app, &zigong, "action=register").await;
    let names: Vec<&str> = zigong_seen.iter().filter_map(|r| r["region_code"].as_str()).collect();
    assert!(!names.is_empty() && names.iter().all(|c| c.starts_with("5103")), "{names:?}");
    let all = records(app, &province, "action=register").await;
    assert!(all.iter().any(|r| r["region_code"] == "510104") && all.iter().any(|r| r["region_code"] == "510321"));
    // Not for others, on the API and the page.
    let expert = app.login("scope_chengdu", "kjy-secret-2026").await;
    assert_eq!(app.get("/api/v1/admin/audit", Some(&expert)).await.0, StatusCode::FORBIDDEN);
    let (web, _) = crate::web_session(app, "scope_zigong").await;
    let page = web.get(app.url("/admin/audit?action=register")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("审计日志") && page.contains("荣县") && !page.contains("锦江区"), "{page}");
    let csv = web.get(app.url("/admin/audit/export.csv")).send().await.unwrap().text().await.unwrap();
    assert!(!csv.contains("510104") && !csv.contains("锦江区"), "{csv}");
}

async fn the_log_is_append_only_and_tamper_evident(app: &TestApp) {
    app.user("expert", "chain_a", "510104").await;
    app.user("expert", "chain_b", "510104").await;
    let report = app.state.db.audit_verify().await.unwrap();
    assert!(report.broken.is_none() && report.checked >= 4, "{report:?}");
    // The table refuses changes, whoever sends them.
    for statement in ["UPDATE audit_log SET detail = 'x'", "DELETE FROM audit_log"] {
        assert!(app.raw_sql(statement).await.is_err(), "{statement} must be refused");
    }
    // Someone with the database's owner rights drops the guard and edits one record.
    let victim: i64 = app.raw_scalar("SELECT MIN(id) + 1 FROM audit_log WHERE hash IS NOT NULL").await;
    app.drop_audit_guards().await;
    app.raw_sql(&format!("UPDATE audit_log SET address = '10.9.9.9' WHERE id = {victim}")).await.unwrap();
    let report = app.state.db.audit_verify().await.unwrap();
    assert_eq!(report.broken, Some(kejiyun_domain::audit::Break::Content { id: victim }));
    // Removing a record breaks the link of the next.
    app.raw_sql(&format!("DELETE FROM audit_log WHERE id = {victim}")).await.unwrap();
    let report = app.state.db.audit_verify().await.unwrap();
    assert_eq!(report.broken, Some(kejiyun_domain::audit::Break::Link { id: victim + 1 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_names_the_altered_record() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kejiyun"))
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    let created = Command::new(env!("CARGO_BIN_EXE_kejiyun"))
        .args(["admin", "create", "--username", "verify_admin", "--region", "510000", "--data-dir"])
        .arg(dir.path())
        .env_remove("DATABASE_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"secret-verify-1\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let ok = run(&["audit", "verify"]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("审计日志完整"));
    // Edit the record behind the server's back (dropping the guard first, as an intruder would).
    let url = kejiyun_db::sqlite_url(&dir.path().join("kejiyun.db"));
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
    for statement in [
        "DROP TRIGGER audit_log_no_update",
        "UPDATE audit_log SET detail = 'admin 510100' WHERE id = (SELECT MIN(id) FROM audit_log)",
    ] {
        sqlx::query(statement).execute(&mut conn).await.unwrap();
    }
    let id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM audit_log").fetch_one(&mut conn).await.unwrap();
    drop(conn);
    let broken = run(&["audit", "verify"]);
    assert!(!broken.status.success());
    let said = String::from_utf8_lossy(&broken.stderr);
    assert!(said.contains(&format!("第 {id} 条记录已被改动")), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_old_password_counts_as_a_failed_login() {
    use std::time::Duration;
    let rules = LoginRules {
        per_account: kejiyun_domain::throttle::Rule {
            max_failures: 3,
            window: Duration::from_secs(60),
            lock_for: Duration::from_secs(600),
        },
        ..Default::default()
    };
    let app = TestApp::sqlite_with(Settings {
        security: kejiyun_server::platform::config::SecuritySettings { login_rules: rules, ..Default::default() },
        ..Default::default()
    })
    .await;
    let token = app.user("expert", "guessed", "510104").await;
    for _ in 0..3 {
        let body = json!({"old_password": "guess-0000", "new_password": "another-secret-9"});
        assert_eq!(app.post("/api/v1/me/password", Some(&token), body).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Three guesses through a stolen session lock the account: no more guesses, and no login.
    let body = json!({"old_password": "kjy-secret-2026", "new_password": "another-secret-9"});
    let (status, reply) = app.post("/api/v1/me/password", Some(&token), body).await;
    assert_error(status, &reply, 429, "rate_limited");
    let (status, reply) =
        app.post("/api/v1/auth/login", None, json!({"username": "guessed", "password": "kjy-secret-2026"})).await;
    assert_error(status, &reply, 429, "rate_limited");
    app.finish().await;
}
