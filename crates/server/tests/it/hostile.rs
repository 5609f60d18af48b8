//! Hostile input across the whole surface: SQL injection in every parameter kind, stored and
//! reflected XSS on the pages people read, path traversal on file routes, invalid UTF-8,
//! oversize bodies and URLs. Every case gets a clear 4xx (or, where the input is harmless
//! text, an ordinary answer), never a 5xx, and the database is left as it was.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{TestApp, browser, csrf_of, item_body, urlencode, web_session};

crate::on_both_backends!(
    injection_is_only_ever_text,
    stored_markup_is_escaped_on_every_page,
    reflected_input_is_escaped,
    file_routes_resist_traversal,
    invalid_utf8_and_oversize_input_are_refused,
    the_fingerprint_sees_a_changed_value,
);

const INJECTIONS: [&str; 8] = [
    "' OR '1'='1",
    "'; DROP TABLE items; --",
    "1; DELETE FROM users",
    "\" OR \"\"=\"",
    "%' OR 1=1 --",
    "') UNION SELECT password_hash, 1 FROM users --",
    "$1",
    "1' AND pg_sleep(1) --",
];

/// Rows and a hash of the content per table: a refused or read-only request must leave every
/// table as it was, not only as many rows. The platform's own bookkeeping is left out: periodic
/// jobs add task rows on their schedule, and abuse quotas count requests, refused ones included.
async fn fingerprint(app: &TestApp) -> Vec<(String, i64, u64)> {
    let mut tables = app.state.db.table_fingerprints().await.unwrap();
    tables.retain(|(table, _, _)| !matches!(table.as_str(), "tasks" | "throttle"));
    tables
}

/// The oracle has teeth: one value changed in place (same row counts) changes the fingerprint,
/// and a session's last use does not.
async fn the_fingerprint_sees_a_changed_value(app: &TestApp) {
    app.user("org", "print_org", "510321").await;
    let before = fingerprint(app).await;
    app.raw_sql("UPDATE sessions SET last_seen_at = last_seen_at + 1").await.unwrap();
    assert_eq!(fingerprint(app).await, before, "touching a session is not a change");
    app.raw_sql("UPDATE users SET display_name = '改了名' WHERE username = 'print_org'").await.unwrap();
    let after = fingerprint(app).await;
    let counts = |f: &[(String, i64, u64)]| f.iter().map(|(t, n, _)| (t.clone(), *n)).collect::<Vec<_>>();
    assert_eq!(counts(&after), counts(&before), "as many rows as before");
    let changed: Vec<&str> = before.iter().zip(&after).filter(|(a, b)| a.2 != b.2).map(|(a, _)| a.0.as_str()).collect();
    assert_eq!(changed, ["users"]);
}

async fn assert_page_clean(web: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = web.get(app.url(path)).send().await.unwrap();
    let status = r.status();
    let html = r.text().await.unwrap();
    assert!(status.as_u16() < 500, "{path}: {status}");
    for raw in ["<script>alert", "<img src=x", "<svg onload", "<b>粗", "<b>张", "javascript:alert"] {
        assert!(!html.contains(raw), "{path} shows raw {raw}");
    }
    (status, html)
}

/// A read: path, token, and the exact answer (status, error code if refused).
type Read<'a> = (String, Option<&'a str>, (u16, Option<&'static str>));

async fn injection_is_only_ever_text(app: &TestApp) {
    let org = app.user("org", "sqli_org", "510321").await;
    let admin = app.admin("sqli_admin", "510000").await;
    let before = fingerprint(app).await;

    for p in INJECTIONS {
        let v = urlencode(p);
        // Each read with its exact answer: free text finds nothing, a bad filter value or page is
        // refused with its code, an id that is no number is no such object.
        let ok = (200, None);
        let (region, invalid, query, missing) = (
            (422, Some("invalid_region")),
            (422, Some("validation_failed")),
            (400, Some("invalid_query")),
            (404, Some("not_found")),
        );
        let reads: Vec<Read> = vec![
            (format!("/api/v1/needs?q={v}"), None, ok),
            (format!("/api/v1/needs?industry={v}"), None, ok),
            (format!("/api/v1/needs?region={v}"), None, region),
            (format!("/api/v1/needs?mode={v}"), None, invalid),
            (format!("/api/v1/achievements?type={v}"), None, invalid),
            (format!("/api/v1/needs?page={v}&per_page={v}"), None, query),
            (format!("/api/v1/needs/{v}"), None, missing),
            (format!("/api/v1/needs/{v}/matches"), None, missing),
            (format!("/api/v1/polls?region={v}&page={v}"), None, query),
            (format!("/api/v1/polls/{v}"), Some(&org), missing),
            (format!("/api/v1/me/items?status={v}"), Some(&org), query),
            (format!("/api/v1/orders?status={v}"), Some(&org), query),
            (format!("/api/v1/orders?overdue={v}"), Some(&admin), query),
            (format!("/api/v1/stats/services?region={v}"), Some(&admin), region),
            (format!("/api/v1/stats/services?from={v}&to={v}"), Some(&admin), query),
            (format!("/api/v1/contracts?status={v}"), Some(&admin), query),
            (format!("/needs?industry={v}"), None, ok),
            (format!("/search?q={v}"), None, ok),
        ];
        for (path, token, (want, code)) in reads {
            let (status, body) = app.call(Method::GET, &path, token, None).await;
            assert_eq!(status.as_u16(), want, "{path}: {body}");
            match code {
                Some(code) => assert_eq!(body["error"]["code"], code, "{path}: {body}"),
                None if path.starts_with("/api/") => assert_eq!(body["total"], 0, "{path} found something: {body}"),
                None => {}
            }
        }
        // As a login name or password: refused, no session made.
        let (status, _) = app.post("/api/v1/auth/login", None, json!({"username": p, "password": p})).await;
        assert!(status.is_client_error(), "login with {p}: {status}");
        // As a review decision or an order filter body: refused as a body error.
        let (status, _) = app.post("/api/v1/needs/1/review", Some(&admin), json!({"decision": p})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    // Only the audit log grew: one failed-login record per attempt.
    let after = fingerprint(app).await;
    for ((table, was, old), (_, now, new)) in before.iter().zip(&after) {
        let want = if table == "audit_log" { *was + INJECTIONS.len() as i64 } else { *was };
        assert_eq!(*now, want, "reads and refusals changed {table}");
        assert!(table == "audit_log" || old == new, "reads and refusals changed the content of {table}");
    }

    // Stored as text: an item whose every text field is an injection string round-trips exactly.
    let mut body = item_body("needs", INJECTIONS[1]);
    body["title"] = json!(format!("需求{}", INJECTIONS[5]));
    body["keywords"] = json!([INJECTIONS[0], INJECTIONS[2]]);
    let (status, item) = app.post("/api/v1/needs", Some(&org), body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let (_, stored) = app.get(&format!("/api/v1/needs/{}", item["id"]), Some(&org)).await;
    assert_eq!(stored["title"], body["title"]);
    assert_eq!(stored["keywords"], body["keywords"]);
    assert!(stored["description"].as_str().unwrap().contains(INJECTIONS[1]));
    let before = after;
    let after = fingerprint(app).await;
    for ((table, was, old), (_, now, new)) in before.iter().zip(&after) {
        let grew = now - was;
        match table.as_str() {
            "items" | "item_changes" | "audit_log" => assert_eq!(grew, 1, "{table}: one row for the one item"),
            _ => assert!(grew == 0 && old == new, "{table} changed"),
        }
    }
    // Every account still signs in.
    app.login("sqli_org", "kjy-secret-2026").await;
    app.login("sqli_admin", "kjy-secret-2026").await;
}

async fn stored_markup_is_escaped_on_every_page(app: &TestApp) {
    let org = app.user("org", "xss_org", "510321").await;
    let expert = app.user("expert", "xss_expert", "510321").await;
    let admin = app.admin("xss_admin", "510000").await;
    let (status, body) = app
        .patch(
            "/api/v1/me",
            Some(&expert),
            json!({"display_name": "专家<script>alert('名')</script>", "title": "<b>粗</b>研究员"}),
        )
        .await;
    assert!(status == StatusCode::OK || status.is_client_error(), "{body}");

    let mut need = item_body("needs", "<svg onload=alert(3)>");
    need["title"] = json!("酒糟需求<script>alert(1)</script><img src=x onerror=alert(2)>");
    need["keywords"] = json!(["<b>粗</b>", "丢糟"]);
    let (_, need) = app.post("/api/v1/needs?submit=true", Some(&org), need).await;
    let need_id = need["id"].as_i64().unwrap();
    let mut offer = item_body("capabilities", "丢糟 饲料");
    offer["title"] = json!("丢糟饲料化<script>alert(4)</script>服务");
    let (_, offer) = app.post("/api/v1/capabilities?submit=true", Some(&expert), offer).await;
    let offer_id = offer["id"].as_i64().unwrap();

    // Pending: the admin's review queue shows both.
    let admin_web = web_session(app, "xss_admin").await.0;
    let (_, html) = assert_page_clean(&admin_web, app, "/admin/review").await;
    assert!(html.contains("酒糟需求"), "queue lists the need");
    for (kind, id) in [("needs", need_id), ("capabilities", offer_id)] {
        let (status, _) =
            app.post(&format!("/api/v1/{kind}/{id}/review"), Some(&admin), json!({"decision": "approve"})).await;
        assert_eq!(status, StatusCode::OK);
    }
    // A service order whose text carries markup; the steward-less order shows on the org's pages.
    let (status, order) = app
        .post(
            "/api/v1/orders",
            Some(&org),
            json!({"order_type": "技术咨询", "title": "咨询<script>alert(5)</script>",
                   "description": "<img src=x onerror=alert(6)>锅炉节能改造怎么做"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let order_id = order["order"]["id"].as_i64().unwrap();

    // A poll whose title, description and candidates carry markup.
    let today = kejiyun_domain::time::today_in_china(kejiyun_domain::time::now());
    let (status, poll) = app
        .post(
            "/api/v1/admin/polls",
            Some(&admin),
            json!({"title": "最美<script>alert(7)</script>", "description": "<img src=x onerror=alert(8)>",
                   "region_code": "510000", "starts_on": today, "ends_on": today, "votes_per_day": 1,
                   "candidates": [{"name": "<b>张</b>", "summary": "<svg onload=alert(9)>"}, {"name": "李四"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{poll}");
    let poll_id = poll["poll"]["id"].as_i64().unwrap();

    let public = browser();
    for path in [
        format!("/polls/{poll_id}"),
        "/polls".into(),
        format!("/needs/{need_id}"),
        format!("/capabilities/{offer_id}"),
        "/needs".into(),
        "/capabilities".into(),
        "/".into(),
        format!("/search?q={}", urlencode("酒糟需求")),
        format!("/search?q={}&kind=capabilities", urlencode("丢糟")),
    ] {
        let (status, _) = assert_page_clean(&public, app, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let (_, html) = assert_page_clean(&public, app, &format!("/needs/{need_id}")).await;
    assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"), "the title is shown escaped");
    let org_web = web_session(app, "xss_org").await.0;
    for path in
        ["/my", "/orders", &format!("/orders/{order_id}"), "/notifications", "/account", &format!("/polls/{poll_id}")]
    {
        let (status, _) = assert_page_clean(&org_web, app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let expert_web = web_session(app, "xss_expert").await.0;
    for path in ["/my", "/invitations", "/account", &format!("/needs/{need_id}")] {
        let (status, _) = assert_page_clean(&expert_web, app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    for path in ["/orders", &format!("/orders/{order_id}"), "/contracts"] {
        let (status, _) = assert_page_clean(&admin_web, app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    // The API returns the text as data, never as HTML.
    let r = public.get(app.url(&format!("/api/v1/needs/{need_id}"))).send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
}

async fn reflected_input_is_escaped(app: &TestApp) {
    let before = fingerprint(app).await;
    let web = browser();
    let attack = urlencode("\"><script>alert(1)</script><img src=x onerror=alert(2)>");
    for path in [
        format!("/search?q={attack}"),
        format!("/search?q={attack}&kind={attack}&region={attack}"),
        format!("/needs?industry={attack}&region={attack}&page={attack}"),
        format!("/needs/{attack}"),
        format!("/{attack}"),
        format!("/login?next={attack}"),
        format!("/register?role={attack}"),
        format!("/orders?status={attack}"),
    ] {
        let (status, _) = assert_page_clean(&web, app, &path).await;
        assert!(status.as_u16() < 500, "{path}");
    }
    // An off-site or script "next" is not followed after login.
    app.user("expert", "next_user", "510104").await;
    for next in ["javascript:alert(1)", "//evil.example/", "https://evil.example/", "/\\evil.example"] {
        let web = browser();
        let token = csrf_of(&web.get(app.url("/login")).send().await.unwrap().text().await.unwrap());
        let r = web
            .post(app.url("/login"))
            .form(&[
                ("_csrf", token.as_str()),
                ("username", "next_user"),
                ("password", "kjy-secret-2026"),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            (r.status(), r.headers()["location"].to_str().unwrap()),
            (StatusCode::SEE_OTHER, "/my"),
            "an expert lands on 我的发布"
        );
    }
    let sessions_made = 4;
    let after = fingerprint(app).await;
    for ((table, was, old), (_, now, new)) in before.iter().zip(&after) {
        match table.as_str() {
            "users" => assert_eq!(now - was, 1, "the one registration"),
            "sessions" => assert_eq!(now - was, sessions_made + 1, "one login per attempt, plus the registration's"),
            "audit_log" => assert_eq!(now - was, sessions_made + 2, "the registration and one record per login"),
            _ => assert!(now == was && old == new, "{table} changed"),
        }
    }
}

async fn file_routes_resist_traversal(app: &TestApp) {
    let admin = app.admin("path_admin", "510000").await;
    let before = fingerprint(app).await;
    for path in [
        "/static/../Cargo.toml",
        "/static/..%2f..%2fCargo.toml",
        "/static/%2e%2e/%2e%2e/Cargo.toml",
        "/static/style.css/../../../../etc/passwd",
        "/static/..%5c..%5cCargo.toml",
        "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/api/v1/contracts/..%2f..%2fetc%2fpasswd/attachment",
        "/api/v1/contracts/1%2f..%2f2/attachment",
        "/api/v1/contracts/%2e%2e/attachment",
        "/api/v1/contracts/1/attachment/../../../etc/passwd",
        "/api/v1/contracts/424242/attachment",
        "/api/docs/../../Cargo.toml",
        "/api/docs/%2e%2e/%2e%2e/etc/passwd",
    ] {
        let r = app.client.get(app.url(path)).bearer_auth(&admin).send().await.unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(status.is_client_error() || status.is_redirection(), "{path}: {status}");
        assert!(!body.contains("root:x:0") && !body.contains("[workspace]"), "{path} leaked a file");
    }
    // The one static file is served as itself.
    let r = app.client.get(app.url("/static/style.css")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(fingerprint(app).await, before);
}

async fn invalid_utf8_and_oversize_input_are_refused(app: &TestApp) {
    let org = app.user("org", "utf8_org", "510321").await;
    let before = fingerprint(app).await;
    for (path, want) in [
        ("/api/v1/needs?q=%FF%FE", 400),
        ("/api/v1/needs?industry=%C0%AF", 400),
        ("/api/v1/needs/%FF", 404),
        ("/api/v1/%FF%FF/1", 404),
    ] {
        let (status, body) = app.get(path, None).await;
        assert_eq!(status.as_u16(), want, "{path}: {body}");
        assert!(body["error"]["code"].is_string(), "{path}: {body}");
    }
    for path in ["/search?q=%FF%FE", "/needs/%FF", "/needs?industry=%C0%AF"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert!(r.status().is_client_error(), "{path}: {}", r.status());
    }
    // A bearer token that is not text, a cookie that is not text.
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = browser()
        .get(app.url("/my"))
        .header("cookie", reqwest::header::HeaderValue::from_bytes(b"kejiyun_session=\xff\xfe").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!((r.status(), r.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/login"));

    // Forms with invalid UTF-8 and forms over the body limit.
    let web = browser();
    let token = csrf_of(&web.get(app.url("/login")).send().await.unwrap().text().await.unwrap());
    for (body, want) in [
        (format!("_csrf={token}&username=%FF%FE&password=x").into_bytes(), 400),
        ([format!("_csrf={token}&username=").into_bytes(), vec![0xff, 0xfe], b"&password=x".to_vec()].concat(), 400),
        (format!("_csrf={token}&username={}&password=x", "a".repeat(300 * 1024)).into_bytes(), 413),
    ] {
        let r = web
            .post(app.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), want);
    }
    // An oversize JSON body and a huge URL.
    let mut huge = item_body("needs", "x");
    huge["description"] = json!("酒".repeat(200 * 1024));
    let (status, body) = app.post("/api/v1/needs", Some(&org), huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let r = app.client.get(app.url(&format!("/api/v1/needs?q={}", "a".repeat(60_000)))).send().await.unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(fingerprint(app).await, before, "nothing was written");
}

/// A login always starts a new session and ends the one the browser had (no session fixation).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_rotates_the_session() {
    let app = TestApp::sqlite().await;
    app.user("expert", "rotate_user", "510104").await;
    let session_of = |r: &reqwest::Response| {
        r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
            c.strip_prefix("kejiyun_session=").map(|v| v.split(';').next().unwrap_or_default().to_string())
        })
    };
    let web = browser();
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let token = csrf_of(&web.get(app.url("/login")).send().await.unwrap().text().await.unwrap());
        let r = web
            .post(app.url("/login"))
            .form(&[("_csrf", token.as_str()), ("username", "rotate_user"), ("password", "kjy-secret-2026")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        sessions.push(session_of(&r).expect("a session cookie"));
    }
    assert_ne!(sessions[0], sessions[1], "the second login got a new session");
    for (session, signed_in) in [(&sessions[0], false), (&sessions[1], true)] {
        let r = browser()
            .get(app.url("/account"))
            .header("cookie", format!("kejiyun_session={session}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status() == StatusCode::OK, signed_in, "{session}: {}", r.status());
    }
    app.finish().await;
}

/// A request that takes longer than the configured timeout (here a body trickling in) is
/// answered 503 and stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_requests_time_out() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let settings = kejiyun_server::Settings {
        server: kejiyun_server::platform::config::ServerSettings {
            request_timeout: std::time::Duration::from_secs(1),
            ..Default::default()
        },
        ..Default::default()
    };
    let app = TestApp::sqlite_with(settings).await;
    let org = app.user("org", "slow_org", "510321").await;
    let before = fingerprint(&app).await;
    let body = item_body("needs", "x").to_string();
    let address = app.url("").trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/needs HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {org}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&body.as_bytes()[..20]).await.unwrap();
    let mut reply = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), conn.read(&mut reply)).await.unwrap().unwrap();
    let reply = String::from_utf8_lossy(&reply[..n]).to_string();
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    let _ = conn.write_all(&body.as_bytes()[20..]).await;
    assert_eq!(fingerprint(&app).await, before, "nothing stored");
    app.finish().await;
}
