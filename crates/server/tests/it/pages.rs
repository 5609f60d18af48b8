//! The web pages over plain HTTP: CSRF on forms, sessions by cookie, escaping of user content.

use reqwest::StatusCode;
use serde_json::json;

use crate::{TestApp, browser, csrf_of, item_body, web_session};

crate::on_both_backends!(forms_need_csrf_and_sessions_work, user_content_is_escaped, pages_render);

async fn forms_need_csrf_and_sessions_work(app: &TestApp) {
    app.user("expert", "web_user", "510104").await;
    let web = browser();
    let page = web.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let token = csrf_of(&page.text().await.unwrap());

    // Without the token, or with another, the form is refused and nobody is logged in.
    for bad in ["", "0000000000000000000000000000000000000000000000000000000000000000"] {
        let r = web
            .post(app.url("/login"))
            .form(&[("_csrf", bad), ("username", "web_user"), ("password", "kjy-secret-2026")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.text().await.unwrap().contains("页面已过期"));
    }
    // A different browser (no cookie) cannot reuse this page's token.
    let stranger = browser();
    let r = stranger
        .post(app.url("/login"))
        .form(&[("_csrf", token.as_str()), ("username", "web_user"), ("password", "kjy-secret-2026")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let r = web
        .post(app.url("/login"))
        .form(&[("_csrf", token.as_str()), ("username", "web_user"), ("password", "wrong-pass1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("用户名或密码错误"));

    let r = web
        .post(app.url("/login"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "web_user"),
            ("password", "kjy-secret-2026"),
            ("next", "//evil.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/my", "no open redirect: an expert lands on 我的发布");
    let cookie = r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>();
    assert!(
        cookie
            .iter()
            .any(|c| c.starts_with("kejiyun_session=") && c.contains("HttpOnly") && c.contains("SameSite=Lax"))
    );

    let account = web.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(account.contains("web_user"), "signed in");
    // Signed in, the token from before (which a planted cookie could have chosen) is void: the
    // forms carry the session's own.
    let r = web.post(app.url("/logout")).form(&[("_csrf", token.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "the pre-login token no longer counts");
    let session_token = csrf_of(&account);
    assert_ne!(session_token, token);
    let r = web.post(app.url("/logout")).form(&[("_csrf", session_token.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = web.get(app.url("/account")).send().await.unwrap();
    assert_eq!((r.status(), r.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/login"));
}

async fn user_content_is_escaped(app: &TestApp) {
    let org = app.user("org", "org_xss", "510321").await;
    let admin = app.admin("admin_xss", "510000").await;
    let mut body = item_body("needs", "x");
    body["title"] = json!("<script>alert('标题')</script>");
    body["description"] = json!("描述<img src=x onerror=alert(1)>需要处理的问题");
    let (_, item) = app.post("/api/v1/needs?submit=true", Some(&org), body).await;
    app.post(&format!("/api/v1/needs/{}/review", item["id"]), Some(&admin), json!({"decision": "approve"})).await;
    for path in
        [format!("/needs/{}", item["id"]), "/needs".to_string(), "/".to_string(), "/search?q=%3Cscript%3E".to_string()]
    {
        let r = browser().get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(r.headers()["x-frame-options"], "DENY");
        let html = r.text().await.unwrap();
        assert!(!html.contains("<script>alert"), "{path} reflects raw script");
        assert!(!html.contains("<img src=x"), "{path} reflects raw tag");
    }
    let html = app.page(&format!("/needs/{}", item["id"])).await;
    assert!(html.contains("&#60;script&#62;alert(") || html.contains("&lt;script&gt;alert("), "escaped title shown");
}

async fn pages_render(app: &TestApp) {
    let web = browser();
    for path in [
        "/",
        "/needs",
        "/capabilities",
        "/achievements",
        "/search?q=酒糟",
        "/login",
        "/register?role=org",
        "/static/style.css",
        "/api/docs/",
        "/api/openapi.json",
    ] {
        let r = web.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    let r = web.get(app.url("/needs/999")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("内容不存在"));
    let r = web.get(app.url("/no-such-page/1")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = web.get(app.url("/needs/1/approve")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.text().await.unwrap().contains("不支持"));
    let r = web.get(app.url("/needs?region=999999")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("行政区划代码无效"));
    let r = web.get(app.url("/my")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed-out users go to the login page");
    let spec: serde_json::Value = web.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/{kind}",
        "/api/v1/{kind}/{id}",
        "/api/v1/{kind}/{id}/submit",
        "/api/v1/{kind}/{id}/review",
        "/api/v1/regions",
        "/healthz",
    ] {
        assert!(spec["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }
}

/// Every form-handling route refuses a post without the page's CSRF token (or with another
/// browser's), from a signed-in browser, and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_needs_the_csrf_token() {
    let app = TestApp::sqlite().await;
    let org = app.user("org", "csrf_org", "510321").await;
    let (_, need) = app.post("/api/v1/needs", Some(&org), item_body("needs", "跨站")).await;
    let need_id = need["id"].as_i64().unwrap();
    let body =
        json!({"order_type": "政策咨询", "title": "咨询政策问题", "description": "想了解科技型中小企业评价政策。"});
    let (_, order) = app.post("/api/v1/orders", Some(&org), body).await;
    let order_id = order["order"]["id"].as_i64().unwrap();
    let (_, me) = app.get("/api/v1/me", Some(&org)).await;
    let org_id = me["id"].as_i64().unwrap();

    // A signed-in browser: it holds both the session and its own CSRF cookie.
    let (web, _) = web_session(&app, "csrf_org").await;

    let forms = [
        "/login".to_string(),
        "/register".to_string(),
        "/logout".to_string(),
        "/account/profile".to_string(),
        "/account/password".to_string(),
        "/my/new/needs".to_string(),
        format!("/my/needs/{need_id}/edit"),
        format!("/needs/{need_id}/submit"),
        format!("/needs/{need_id}/close"),
        "/orders/new".to_string(),
        format!("/orders/{order_id}/close"),
        format!("/orders/{order_id}/rate"),
        format!("/desk/orgs/{org_id}/contact"),
        "/contracts/1/verify".to_string(),
        "/contracts/1/confirm".to_string(),
        "/notifications/read".to_string(),
        "/account/region-request".to_string(),
        "/admin/region-requests/1/decide".to_string(),
        "/polls/1/vote".to_string(),
        "/admin/polls/new".to_string(),
        "/admin/tasks/1/retry".to_string(),
    ];
    let fields = [
        ("title", "跨站伪造的标题"),
        ("description", "跨站伪造的描述内容足够长"),
        ("reason", "伪造"),
        ("display_name", "伪造"),
        ("order_type", "other"),
        ("region_code", "510104"),
        ("decision", "approve"),
        ("accept", "1"),
    ];
    for path in &forms {
        for forged in [None, Some("f".repeat(64))] {
            let mut form: Vec<(&str, &str)> = fields.to_vec();
            if let Some(f) = &forged {
                form.push(("_csrf", f));
            }
            let r = web.post(app.url(path)).form(&form).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} without the right token");
            assert!(r.text().await.unwrap().contains("页面已过期"), "{path}");
        }
    }
    // Nothing changed: the need is still the draft it was, the order open, the session alive.
    let (_, still) = app.get(&format!("/api/v1/needs/{need_id}"), Some(&org)).await;
    assert_eq!((still["status"].as_str(), still["title"].as_str()), (Some("draft"), need["title"].as_str()));
    let (_, mine) = app.get("/api/v1/me/items", Some(&org)).await;
    assert_eq!(mine["total"], 1);
    let (_, order) = app.get(&format!("/api/v1/orders/{order_id}"), Some(&org)).await;
    assert_eq!(order["order"]["status"], "accepted");
    let (_, requests) = app.get("/api/v1/me/region-requests", Some(&org)).await;
    assert_eq!(requests.as_array().map(Vec::len), Some(0), "no forged region request: {requests}");
    let account = web.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(account.contains("csrf_org"), "still signed in after the forged logout");
    app.finish().await;
}
