//! Trust, round 2, written as the attacks they stop: open redirects through `next`, values that
//! would break a response header, metric labels a client invents, forged client addresses, a
//! shared address locking out a real user, and files other users of the machine could read.

use std::io::{Read, Write};
use std::time::Duration;

use kejiyun_server::Settings;
use kejiyun_server::platform::config::ServerSettings;
use kejiyun_server::platform::limits::{Rate, RateRules};
use reqwest::StatusCode;
use serde_json::json;

use crate::{TestApp, assert_error, browser, csrf_of, id_of, item_body, on_both_backends, steward, web_session};

on_both_backends!(
    login_next_stays_on_this_site,
    header_bound_values_never_break_a_response,
    usernames_ignore_case_and_guessable_passwords_are_refused,
    a_form_token_works_only_in_its_own_session,
    idle_sessions_end_sooner_for_staff,
    reading_notifications_changes_nothing,
    moving_ones_own_region_does_not_change_the_reviewer
);

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs in through the login form with `next`; the `Location` answered.
async fn login_with_next(app: &TestApp, next: &str) -> String {
    let web = no_redirects();
    let page = web.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&page);
    let r = web
        .post(app.url("/login"))
        .form(&[("_csrf", csrf.as_str()), ("username", "nextorg"), ("password", "kjy-secret-2026"), ("next", next)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "next {next:?}");
    r.headers()["location"].to_str().unwrap().to_string()
}

async fn login_next_stays_on_this_site(app: &TestApp) {
    app.user("org", "nextorg", "510104").await;
    // Browsers drop tabs and line breaks and read a backslash as a slash: each of these leaves the
    // site in a browser, so each goes to the role's landing page instead.
    for hostile in [
        "//evil.example/",
        "/\\evil.example",
        "\\/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "https://evil.example/",
        " /x",
        "",
    ] {
        assert_eq!(login_with_next(app, hostile).await, "/my", "next {hostile:?}");
    }
    assert_eq!(login_with_next(app, "/orders?status=open").await, "/orders?status=open");
    // A local path with characters a header cannot carry is kept, percent-encoded.
    assert_eq!(login_with_next(app, "/search?q=白酒 丢糟").await, "/search?q=%E7%99%BD%E9%85%92%20%E4%B8%A2%E7%B3%9F");
    // The login form carries only a safe `next`.
    let page = app.page("/login?next=%2F%09%2Fevil.example").await;
    assert!(!page.contains("evil.example"), "{page}");
}

async fn header_bound_values_never_break_a_response(app: &TestApp) {
    // A plain client request id is echoed; anything else is replaced by a fresh one.
    let r = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    for hostile in ["<script>", "a b", "x".repeat(65).as_str(), "ä"] {
        let r = app.client.get(app.url("/healthz")).header("x-request-id", hostile.as_bytes()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_ne!(id, hostile);
        assert!(id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "{id}");
    }
    // CR/LF reaching a header-bound value (`next` becomes `Location`), sent raw: no 500, no
    // injected header.
    let addr = app.base.trim_start_matches("http://").to_string();
    let body = "username=nobody&password=x&next=%2Fa%0D%0ASet-Cookie%3A%20injected%3D1";
    let raw = format!(
        "POST /login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let reply = raw_exchange(&addr, raw.as_bytes());
    let status: u16 = reply.split(' ').nth(1).unwrap().parse().unwrap();
    assert!((400..500).contains(&status), "{reply}");
    assert!(!reply.to_ascii_lowercase().contains("injected=1"), "{reply}");
    // The same value through a signed-in redirect.
    app.user("org", "crlforg", "510104").await;
    let web = no_redirects();
    let page = web.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&page);
    let r = web
        .post(app.url("/login"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("username", "crlforg"),
            ("password", "kjy-secret-2026"),
            ("next", "/a\r\nSet-Cookie: injected=1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().contains("injected")));
    assert!(!r.headers()["location"].to_str().unwrap().contains(['\r', '\n', ' ']));
    // A method nobody uses is answered (405 or 404), and counted as `other`, not as itself.
    let long_method = "X".repeat(200);
    let raw = format!("{long_method} /api/v1/needs HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let reply = raw_exchange(&addr, raw.as_bytes());
    let status: u16 = reply.split(' ').nth(1).unwrap().parse().unwrap();
    assert!((400..500).contains(&status), "{reply}");
    let raw = format!("PURGE /api/v1/needs HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let reply = raw_exchange(&addr, raw.as_bytes());
    assert!(reply.starts_with("HTTP/1.1 405"), "{reply}");
    let metrics = app.client.get(format!("{}/metrics", app.metrics_base)).send().await.unwrap().text().await.unwrap();
    assert!(!metrics.contains(&long_method) && !metrics.contains("PURGE"), "an invented method became a label");
    assert!(metrics.contains(r#"method="other""#), "{metrics}");
}

/// Sends raw bytes and reads the whole reply (the server closes the connection).
fn raw_exchange(addr: &str, request: &[u8]) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request).unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_not_on_the_public_port() {
    let app = TestApp::sqlite().await;
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app.client.get(format!("{}/metrics", app.metrics_base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.finish().await;
}

fn behind_proxy(limits: RateRules) -> Settings {
    Settings {
        server: ServerSettings { trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()], ..Default::default() },
        limits,
        ..Default::default()
    }
}

async fn register_from(app: &TestApp, forwarded_for: Option<&str>, name: &str) -> StatusCode {
    let mut req = app.client.post(app.url("/api/v1/auth/register")).json(&json!({
        "username": name, "password": "kjy-secret-2026", "role": "expert",
        "display_name": "测试专家", "region_code": "510104",
    }));
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    req.send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_choose_its_address_unless_a_trusted_proxy_says_so() {
    let two = RateRules { registration: Rate::per(2, Duration::from_secs(3600)), ..Default::default() };
    // Not behind a trusted proxy: a forged X-Forwarded-For does not buy a new quota.
    let app = TestApp::sqlite_with(Settings { limits: two, ..Default::default() }).await;
    assert_eq!(register_from(&app, Some("198.51.100.1"), "forge1").await, StatusCode::CREATED);
    assert_eq!(register_from(&app, Some("198.51.100.2"), "forge2").await, StatusCode::CREATED);
    assert_eq!(register_from(&app, Some("198.51.100.3"), "forge3").await, StatusCode::TOO_MANY_REQUESTS);
    app.finish().await;

    // Behind a trusted proxy: the address it names is the client; IPv6 clients count by /64.
    let app = TestApp::sqlite_with(behind_proxy(two)).await;
    assert_eq!(register_from(&app, Some("2001:db8:1:2::1"), "six1").await, StatusCode::CREATED);
    assert_eq!(register_from(&app, Some("2001:db8:1:2:ffff::9"), "six2").await, StatusCode::CREATED);
    assert_eq!(register_from(&app, Some("2001:db8:1:2::77"), "six3").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(register_from(&app, Some("2001:db8:1:3::1"), "six4").await, StatusCode::CREATED, "another /64");
    assert_eq!(register_from(&app, Some("198.51.100.1"), "four1").await, StatusCode::CREATED);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_failing_from_one_proxy_address_do_not_lock_out_the_real_user() {
    let app = TestApp::sqlite_with(behind_proxy(RateRules::default())).await;
    app.user("org", "campusorg", "510104").await;
    let attempt = |name: String, password: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", "203.0.113.50")
            .json(&json!({"username": name, "password": password}))
            .send()
    };
    for i in 0..30 {
        let status = attempt(format!("stranger{i}"), "guess-1234").await.unwrap().status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = attempt("campusorg".into(), "kjy-secret-2026").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the real user signs in");
    app.finish().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_index_and_backups_are_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let storage = kejiyun_server::Storage::new(&data, None);
    let state = kejiyun_server::open(&storage, Settings::default()).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let db = data.join("kejiyun.db");
    assert_eq!(mode(&db), 0o600);
    for journal in ["kejiyun.db-wal", "kejiyun.db-shm"] {
        let p = data.join(journal);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{journal}");
        }
    }
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&storage.index_dir), 0o700);
    let backup = dir.path().join("copy.db");
    state.db.backup_to(&backup).await.unwrap();
    assert_eq!(mode(&backup), 0o600);
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')));
    state.search.shutdown().await.unwrap();
    state.db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_pages_are_not_cached_and_api_docs_carry_the_security_headers() {
    let app = TestApp::sqlite().await;
    let token = app.user("expert", "cacheexpert", "510104").await;
    let r = app.client.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let r = app.client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let r = app.client.get(app.url("/static/style.css")).send().await.unwrap();
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    let r = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for (name, value) in [("x-frame-options", "DENY"), ("x-content-type-options", "nosniff")] {
        assert_eq!(r.headers()[name], value, "{name}");
    }
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    app.finish().await;
}

fn expert_body(username: &str, password: &str) -> serde_json::Value {
    json!({"username": username, "password": password, "role": "expert",
        "display_name": "测试专家", "region_code": "510104"})
}

async fn usernames_ignore_case_and_guessable_passwords_are_refused(app: &TestApp) {
    app.user("org", "org001", "510104").await;
    // `ORG001` beside `org001` would be a second account that reads as the first.
    let (status, body) = app.post("/api/v1/auth/register", None, expert_body("ORG001", "kjy-other-2026")).await;
    assert_error(status, &body, 409, "username_taken");
    assert_eq!(body["error"]["field"], "username", "{body}");
    // The one account answers to any case, and shares one lockout.
    app.login("Org001", "kjy-secret-2026").await;
    let (status, _) = app.get("/api/v1/me", Some(&app.login("ORG001", "kjy-secret-2026").await)).await;
    assert_eq!(status, StatusCode::OK);

    // Passwords a guesser tries first.
    for (password, why) in [
        ("Password123", "常见"),
        ("qwerty123456", "常见"),
        ("woaini1314520", "常见"),
        ("zhang-2026x", "用户名"),
        ("ZHANG2026abc", "用户名"),
        ("abc12345", "10-128"),
    ] {
        let (status, body) = app.post("/api/v1/auth/register", None, expert_body("zhang", password)).await;
        assert_error(status, &body, 422, "validation_failed");
        assert_eq!(body["error"]["field"], "password", "{password}: {body}");
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains(why), "{password}: {body}");
    }
    let (status, body) = app.post("/api/v1/auth/register", None, expert_body("zhang", "kjy-river-2026")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The same rule for accounts admins create, and for a new password.
    let admin = app.admin("pwadmin", "510000").await;
    let steward = json!({"username": "pwsteward", "password": "iloveyou1314", "role": "steward",
        "display_name": "专员甲", "region_code": "510104", "phone": "13900002222"});
    let (status, body) = app.post("/api/v1/admin/users", Some(&admin), steward).await;
    assert_error(status, &body, 422, "validation_failed");
    assert_eq!(body["error"]["field"], "password", "{body}");
    let change = json!({"old_password": "kjy-secret-2026", "new_password": "1qaz2wsx3edc"});
    let (status, body) = app.post("/api/v1/me/password", Some(&admin), change).await;
    assert_error(status, &body, 422, "validation_failed");
    assert_eq!(body["error"]["field"], "new_password", "{body}");
    // `kejiyun admin create` goes through the same check.
    let input = serde_json::from_value(json!({
        "username": "pwadmin2", "password": "pwadmin2-2026", "role": "admin",
        "display_name": "管理员乙", "region_code": "510000",
    }))
    .unwrap();
    let refused = kejiyun_server::features::accounts::actions::create_admin_unchecked(&app.state, input).await;
    assert_eq!(refused.err().and_then(|e| e.field), Some("password"));
}

/// The value of the session cookie a login response set.
fn session_cookie(r: &reqwest::Response, name: &str) -> String {
    let prefix = format!("{name}=");
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(prefix.as_str()).map(|rest| rest.split(';').next().unwrap_or("").to_string()))
        .unwrap_or_else(|| panic!("no {name} cookie set"))
}

/// Posts a form (全部标为已读) with an explicit cookie header and `_csrf` value (no cookie store).
async fn post_form(app: &TestApp, cookie: &str, csrf: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/notifications/read"))
        .header("cookie", cookie)
        .form(&[("_csrf", csrf)])
        .send()
        .await
        .unwrap()
}

/// An attacker who learnt one session's form token (or planted a CSRF cookie before the victim
/// signed in) cannot use it in another session.
async fn a_form_token_works_only_in_its_own_session(app: &TestApp) {
    app.user("org", "csrf_a", "510104").await;
    app.user("org", "csrf_b", "510104").await;
    let (web_a, token_a) = web_session(app, "csrf_a").await;
    let (_web_b, token_b) = web_session(app, "csrf_b").await;
    assert_ne!(token_a, token_b, "each session has its own token");
    // B's session cookie with A's token: refused.
    let login = |name: &'static str| async move {
        let web = browser();
        let csrf = csrf_of(&web.get(app.url("/login")).send().await.unwrap().text().await.unwrap());
        let r = web
            .post(app.url("/login"))
            .form(&[("_csrf", csrf.as_str()), ("username", name), ("password", "kjy-secret-2026")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        (session_cookie(&r, "kejiyun_session"), csrf)
    };
    let (session_b, _) = login("csrf_b").await;
    let r = post_form(app, &format!("kejiyun_session={session_b}"), &token_a).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("页面已过期"));
    // A CSRF cookie planted before sign-in, sent with the matching value: refused once signed in.
    let planted = "a".repeat(64);
    let r = post_form(app, &format!("kejiyun_csrf={planted}; kejiyun_session={session_b}"), &planted).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a planted token does not count in a session");
    // The login page's own token is void after the login it served.
    let (session_c, pre_login) = login("csrf_b").await;
    let r = post_form(app, &format!("kejiyun_session={session_c}"), &pre_login).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The session's own token works.
    let own = csrf_of(&web_a.get(app.url("/account")).send().await.unwrap().text().await.unwrap());
    assert_eq!(own, token_a, "a session keeps its token from page to page");
    let r = web_a.post(app.url("/notifications/read")).form(&[("_csrf", own.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post_form(app, &format!("kejiyun_session={session_c}"), &csrf_of(&web_a_page(app, &session_c).await)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a session's own token, sent with its cookie, works");
}

/// The account page as the session `session` sees it.
async fn web_a_page(app: &TestApp, session: &str) -> String {
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = plain.get(app.url("/account")).header("cookie", format!("kejiyun_session={session}")).send().await.unwrap();
    r.text().await.unwrap()
}

/// Ages every session of `username` by `minutes`.
async fn age_sessions(app: &TestApp, username: &str, minutes: i64) {
    app.raw_sql(&format!(
        "UPDATE sessions SET last_seen_at = last_seen_at - {} \
         WHERE user_id = (SELECT id FROM users WHERE username = '{username}')",
        minutes * 60_000
    ))
    .await
    .unwrap();
}

/// A session left open on a shared office computer ends by itself: after 30 idle minutes for
/// admins and stewards, 120 for others, for cookies and bearer tokens alike.
async fn idle_sessions_end_sooner_for_staff(app: &TestApp) {
    let admin = app.admin("idle_admin", "510104").await;
    let expert = app.user("expert", "idle_expert", "510104").await;
    let (admin_web, _) = web_session(app, "idle_admin").await;
    let (expert_web, _) = web_session(app, "idle_expert").await;
    let page_status = |web: reqwest::Client| async move { web.get(app.url("/account")).send().await.unwrap().status() };
    for name in ["idle_admin", "idle_expert"] {
        age_sessions(app, name, 29).await;
    }
    assert_eq!(app.get("/api/v1/me", Some(&admin)).await.0, StatusCode::OK, "29 minutes is not idle yet");
    assert_eq!(page_status(admin_web.clone()).await, StatusCode::OK);
    // A use counts: 29 minutes after it, the admin is still in.
    age_sessions(app, "idle_admin", 29).await;
    assert_eq!(app.get("/api/v1/me", Some(&admin)).await.0, StatusCode::OK, "used 29 minutes ago");
    assert_eq!(page_status(admin_web.clone()).await, StatusCode::OK);
    // 31 minutes: the admin's sessions end, the expert's do not.
    for name in ["idle_admin", "idle_expert"] {
        age_sessions(app, name, 31).await;
    }
    let (status, body) = app.get("/api/v1/me", Some(&admin)).await;
    assert_error(status, &body, 401, "unauthenticated");
    assert_eq!(page_status(admin_web.clone()).await, StatusCode::SEE_OTHER, "back to the login page");
    assert_eq!(app.get("/api/v1/me", Some(&expert)).await.0, StatusCode::OK);
    assert_eq!(page_status(expert_web.clone()).await, StatusCode::OK);
    // 121 minutes for anyone.
    age_sessions(app, "idle_expert", 121).await;
    assert_eq!(app.get("/api/v1/me", Some(&expert)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(page_status(expert_web).await, StatusCode::SEE_OTHER);
    assert_eq!(
        app.raw_scalar(
            "SELECT COUNT(*) FROM sessions WHERE user_id IN \
             (SELECT id FROM users WHERE username IN ('idle_admin', 'idle_expert'))"
        )
        .await,
        0,
        "ended sessions are deleted"
    );
    // Signing in again works.
    let again = app.login("idle_admin", "kjy-secret-2026").await;
    assert_eq!(app.get("/api/v1/me", Some(&again)).await.0, StatusCode::OK);
}

/// A GET never changes state: a link or an image tag cannot mark someone's notices read.
async fn reading_notifications_changes_nothing(app: &TestApp) {
    let admin = app.admin("notice_admin", "510104").await;
    let org = app.user("org", "notice_org", "510104").await;
    for word in ["丢糟", "酒糟"] {
        let (_, item) = app.post("/api/v1/needs?submit=true", Some(&org), item_body("needs", word)).await;
        let (status, _) = app
            .post(&format!("/api/v1/needs/{}/review", item["id"]), Some(&admin), json!({"decision": "approve"}))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    app.settle().await;
    let unread =
        |notices: &serde_json::Value| notices.as_array().unwrap().iter().filter(|n| n["read"] == false).count();
    let (_, notices) = app.get("/api/v1/me/notifications", Some(&org)).await;
    assert_eq!(unread(&notices), 2, "{notices}");
    let (web, token) = web_session(app, "notice_org").await;
    let html = web.get(app.url("/notifications")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("全部标为已读"), "{html}");
    web.get(app.url("/notifications")).send().await.unwrap();
    let (_, notices) = app.get("/api/v1/me/notifications", Some(&org)).await;
    assert_eq!(unread(&notices), 2, "reading the page marks nothing: {notices}");
    assert_eq!(web.get(app.url("/notifications/read")).send().await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
    let r = web.post(app.url("/notifications/read")).form(&[("_csrf", "0")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "the post needs the session's token");
    let r = web.post(app.url("/notifications/read")).form(&[("_csrf", token.as_str())]).send().await.unwrap();
    assert_eq!((r.status(), r.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/notifications"));
    let (_, notices) = app.get("/api/v1/me/notifications", Some(&org)).await;
    assert_eq!(unread(&notices), 0, "{notices}");
    let html = web.get(app.url("/notifications")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("全部标为已读"), "nothing left to mark");
    // The API has the same post.
    let (_, item) = app.post("/api/v1/needs?submit=true", Some(&org), item_body("needs", "窖泥")).await;
    app.post(&format!("/api/v1/needs/{}/review", item["id"]), Some(&admin), json!({"decision": "approve"})).await;
    app.settle().await;
    assert_eq!(unread(&app.get("/api/v1/me/notifications", Some(&org)).await.1), 1);
    let (status, _) = app.post("/api/v1/me/notifications/read", Some(&org), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(unread(&app.get("/api/v1/me/notifications", Some(&org)).await.1), 0);
}

/// Behind HTTPS the cookies carry the `__Host-` prefix and `Secure`, so neither plain HTTP nor a
/// sibling subdomain can set or overwrite them; a cookie without the prefix is not a session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_https_cookies_are_host_prefixed_and_secure() {
    let mut settings = Settings::default();
    settings.security.secure_cookies = true;
    let app = TestApp::sqlite_with(settings).await;
    app.user("org", "https_org", "510104").await;
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = plain.get(app.url("/login")).send().await.unwrap();
    let csrf_cookie = session_cookie(&page, "__Host-kejiyun_csrf");
    assert!(
        page.headers().get_all("set-cookie").iter().any(|c| {
            let c = c.to_str().unwrap();
            c.starts_with("__Host-kejiyun_csrf=")
                && c.contains("Secure")
                && c.contains("Path=/")
                && !c.contains("Domain")
        }),
        "{:?}",
        page.headers()
    );
    let csrf = csrf_of(&page.text().await.unwrap());
    let r = plain
        .post(app.url("/login"))
        .header("cookie", format!("__Host-kejiyun_csrf={csrf_cookie}"))
        .form(&[("_csrf", csrf.as_str()), ("username", "https_org"), ("password", "kjy-secret-2026")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set: Vec<String> = r.headers().get_all("set-cookie").iter().map(|c| c.to_str().unwrap().to_string()).collect();
    let session = set.iter().find(|c| c.starts_with("__Host-kejiyun_session=")).expect("prefixed session cookie");
    assert!(session.contains("Secure") && session.contains("HttpOnly") && session.contains("Path=/"), "{session}");
    assert!(!session.contains("Domain"), "{session}");
    let value = session_cookie(&r, "__Host-kejiyun_session");
    let account = |cookie: String| {
        let plain = plain.clone();
        let url = app.url("/account");
        async move { plain.get(url).header("cookie", cookie).send().await.unwrap().status() }
    };
    assert_eq!(account(format!("__Host-kejiyun_session={value}")).await, StatusCode::OK);
    assert_eq!(account(format!("kejiyun_session={value}")).await, StatusCode::SEE_OTHER, "unprefixed is ignored");
    app.finish().await;
}

/// An org of 自贡 cannot choose 成都's admins as its reviewers: not by editing its region, not by
/// naming 成都 on an item. A move is a request that 自贡's admin decides, on the record.
async fn moving_ones_own_region_does_not_change_the_reviewer(app: &TestApp) {
    let zigong = app.admin("juris_zg", "510300").await;
    let chengdu = app.admin("juris_cd", "510100").await;
    let org = app.user("org", "juris_org", "510321").await;
    let org_id = id_of(app, &org).await;

    // The region is not self-service.
    let (status, body) = app.patch("/api/v1/me", Some(&org), json!({"region_code": "510104"})).await;
    assert_error(status, &body, 422, "validation_failed");
    assert_eq!(body["error"]["field"], "region_code");
    let (status, me) =
        app.patch("/api/v1/me", Some(&org), json!({"region_code": "510321", "phone": "13800001111"})).await;
    assert_eq!((status, me["region_code"].as_str()), (StatusCode::OK, Some("510321")), "{me}");

    // Naming 成都 on an item does not make 成都's admins its reviewers.
    let mut need = item_body("needs", "丢糟");
    need["region_code"] = json!("510104");
    let (status, item) = app.post("/api/v1/needs?submit=true", Some(&org), need).await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let review = format!("/api/v1/needs/{}/review", item["id"]);
    let in_queue = |queue: &serde_json::Value| queue["items"].as_array().unwrap().iter().any(|i| i["id"] == item["id"]);
    let (_, queue) = app.get("/api/v1/admin/review-queue", Some(&chengdu)).await;
    assert!(!in_queue(&queue), "{queue}");
    let (_, queue) = app.get("/api/v1/admin/review-queue", Some(&zigong)).await;
    assert!(in_queue(&queue), "{queue}");
    let (status, body) = app.post(&review, Some(&chengdu), json!({"decision": "approve"})).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, _) = app.post(&review, Some(&zigong), json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::OK);

    // The request: one at a time, decided by 自贡 (not by 成都, not by the org itself).
    let ask = json!({"region_code": "510104", "reason": "单位已迁至成都市锦江区"});
    let (status, request) = app.post("/api/v1/me/region-requests", Some(&org), ask.clone()).await;
    assert_eq!((status, request["status"].as_str()), (StatusCode::CREATED, Some("pending")), "{request}");
    assert_eq!((request["from_region"].as_str(), request["to_region"].as_str()), (Some("510321"), Some("510104")));
    let (status, body) = app.post("/api/v1/me/region-requests", Some(&org), ask).await;
    assert_error(status, &body, 409, "illegal_transition");
    let decide = format!("/api/v1/admin/region-requests/{}/decide", request["id"]);
    let (status, body) = app.post(&decide, Some(&chengdu), json!({"approve": true})).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = app.post(&decide, Some(&org), json!({"approve": true})).await;
    assert_error(status, &body, 403, "forbidden");
    let (_, listed) = app.get("/api/v1/admin/region-requests", Some(&chengdu)).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed}");
    let (_, listed) = app.get("/api/v1/admin/region-requests", Some(&zigong)).await;
    assert_eq!(listed[0]["id"], request["id"], "{listed}");
    let (status, body) = app.post(&decide, Some(&zigong), json!({"approve": false})).await;
    assert_error(status, &body, 422, "validation_failed");
    assert_eq!(body["error"]["field"], "note");
    let (_, me) = app.get("/api/v1/me", Some(&org)).await;
    assert_eq!(me["region_code"], "510321", "nothing moves before approval");
    let (status, decided) = app.post(&decide, Some(&zigong), json!({"approve": true, "note": "材料齐全"})).await;
    assert_eq!((status, decided["status"].as_str()), (StatusCode::OK, Some("approved")), "{decided}");
    let (status, body) = app.post(&decide, Some(&zigong), json!({"approve": false, "note": "重复"})).await;
    assert_error(status, &body, 409, "illegal_transition");
    let (_, me) = app.get("/api/v1/me", Some(&org)).await;
    assert_eq!(me["region_code"], "510104");
    let zigong_id = id_of(app, &zigong).await;
    assert_eq!(
        app.raw_scalar(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'region_change' AND entity_id = {org_id} \
             AND actor_id = {zigong_id} AND from_status = '510321' AND to_status = '510104'"
        ))
        .await,
        1,
        "the move is on the record with the approving admin"
    );
    app.settle().await;
    let (_, notices) = app.get("/api/v1/me/notifications", Some(&org)).await;
    assert!(notices.to_string().contains("地区变更已批准"), "{notices}");
    let (_, mine) = app.get("/api/v1/me/region-requests", Some(&org)).await;
    assert_eq!(mine[0]["status"], "approved");

    // Now 成都 is in charge of the org's new work, and 自贡 no longer is.
    let (_, item) = app.post("/api/v1/needs?submit=true", Some(&org), item_body("needs", "酒糟")).await;
    let review = format!("/api/v1/needs/{}/review", item["id"]);
    let (status, body) = app.post(&review, Some(&zigong), json!({"decision": "approve"})).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, _) = app.post(&review, Some(&chengdu), json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::OK);

    // Staff regions and scopes are set by admins: a steward cannot ask, and a steward scoped to
    // another county is not assigned to this county's org.
    let other_org = app.user("org", "juris_org2", "510321").await;
    let other_org_id = id_of(app, &other_org).await;
    let keeper = steward(app, &zigong, "juris_keeper", "510322").await;
    let keeper_id = id_of(app, &keeper).await;
    let (status, body) =
        app.post("/api/v1/me/region-requests", Some(&keeper), json!({"region_code": "510321", "reason": "调岗"})).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = app.patch("/api/v1/me", Some(&keeper), json!({"region_code": "510321"})).await;
    assert_error(status, &body, 422, "validation_failed");
    let (status, body) = app
        .post(&format!("/api/v1/orgs/{other_org_id}/steward"), Some(&zigong), json!({"steward_id": keeper_id}))
        .await;
    assert_error(status, &body, 403, "forbidden");
    assert_eq!(body["error"]["field"], "steward_id");

    // The same through the pages: the org asks on 账号设置, 自贡's admin declines with a reason.
    let (org_web, org_csrf) = web_session(app, "juris_org2").await;
    let account = org_web.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(account.contains("提交变更申请"), "{account}");
    let r = org_web
        .post(app.url("/account/region-request"))
        .form(&[("_csrf", org_csrf.as_str()), ("region_code", "510104"), ("reason", "<b>迁址</b>到成都")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/account?done=region");
    let account = org_web.get(app.url("/account?done=region")).send().await.unwrap().text().await.unwrap();
    assert!(account.contains("待审批") && !account.contains("<b>迁址"), "{account}");
    let (admin_web, admin_csrf) = web_session(app, "juris_zg").await;
    let page = admin_web.get(app.url("/admin/region-requests")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("迁址") && !page.contains("<b>迁址"), "listed, escaped: {page}");
    let (_, pending) = app.get("/api/v1/admin/region-requests", Some(&zigong)).await;
    let id = pending[0]["id"].as_i64().unwrap();
    let decide = format!("/admin/region-requests/{id}/decide");
    let r = admin_web
        .post(app.url(&decide))
        .form(&[("_csrf", admin_csrf.as_str()), ("decision", "decline"), ("note", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("不批准时请填写理由"));
    let r = admin_web
        .post(app.url(&decide))
        .form(&[("_csrf", admin_csrf.as_str()), ("decision", "decline"), ("note", "缺少迁址证明")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/admin/region-requests?done=declined");
    let (_, me) = app.get("/api/v1/me", Some(&other_org)).await;
    assert_eq!(me["region_code"], "510321");
    let account = org_web.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(account.contains("未批准") && account.contains("缺少迁址证明") && account.contains("提交变更申请"));
}

/// Acknowledged writes survive power loss only with these settings on every connection: a
/// change that weakens them (synchronous NORMAL, rollback journal, foreign keys off) fails here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sqlite_connection_keeps_its_durability_settings() {
    let app = TestApp::sqlite().await;
    let settings = app.state.db.sqlite_durability().await.unwrap();
    assert!(settings.len() >= 2, "the writer and at least one reader: {settings:?}");
    for (synchronous, journal, foreign_keys) in &settings {
        assert_eq!((*synchronous, journal.as_str(), *foreign_keys), (2, "wal", 1), "FULL, WAL, foreign keys on");
    }
    app.finish().await;
}
