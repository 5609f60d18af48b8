//! Bad input gets a clear 4xx with an error code and a Chinese message, never a 500, and
//! changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{TestApp, assert_error, item_body};

crate::on_both_backends!(
    bad_json_bodies,
    bad_fields,
    bad_queries_and_paths,
    bad_registrations,
    control_characters_are_refused_everywhere,
);

async fn count_items(app: &TestApp) -> i64 {
    let mut total = 0;
    for status in ["draft", "pending", "published", "rejected", "closed"] {
        let s = kejiyun_domain::ItemStatus::parse(status).unwrap();
        total += app.state.db.count_items(None, s).await.unwrap();
    }
    total
}

async fn raw(app: &TestApp, path: &str, token: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn bad_json_bodies(app: &TestApp) {
    let org = app.user("org", "org_bad", "510321").await;
    let before = count_items(app).await;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("application/json", b"{not json".to_vec(), 400, "invalid_body"),
        ("application/json", b"".to_vec(), 400, "invalid_body"),
        ("application/json", b"[1,2,3]".to_vec(), 400, "invalid_body"),
        ("application/json", b"{\"title\": \"\xff\xfe\xfd\", \"description\": \"x\"}".to_vec(), 400, "invalid_body"),
        ("application/json", b"{\"title\":".to_vec(), 400, "invalid_body"),
        ("application/json", format!("{}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(), 400, "invalid_body"),
        ("application/json", vec![b' '; 300 * 1024], 413, "payload_too_large"),
        ("text/plain", b"{}".to_vec(), 415, "unsupported_media_type"),
        ("application/x-www-form-urlencoded", b"title=x".to_vec(), 415, "unsupported_media_type"),
    ];
    for (content_type, body, status, code) in cases {
        let (got, reply) = raw(app, "/api/v1/needs", &org, content_type, body).await;
        assert_error(got, &reply, status, code);
    }
    assert_eq!(count_items(app).await, before, "nothing was written");
}

async fn bad_fields(app: &TestApp) {
    let org = app.user("org", "org_fields", "510321").await;
    let before = count_items(app).await;
    let with = |patch: Value| {
        let mut body = item_body("needs", "x");
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let cases = [
        (with(json!({"colour": "红"})), 400, "invalid_body"),
        (with(json!({"title": null})), 422, "validation_failed"),
        (with(json!({"title": 42})), 400, "invalid_body"),
        (with(json!({"title": "短"})), 422, "validation_failed"),
        (with(json!({"title": "标".repeat(101)})), 422, "validation_failed"),
        (with(json!({"description": "含有控制字符\u{0007}的描述内容"})), 422, "validation_failed"),
        (with(json!({"region_code": "110101"})), 422, "invalid_region"),
        (with(json!({"region_code": "5103'; DROP TABLE items; --"})), 422, "invalid_region"),
        (with(json!({"budget_min_wan": "-1"})), 400, "invalid_body"),
        (with(json!({"budget_min_wan": "1.000001"})), 400, "invalid_body"),
        (with(json!({"budget_min_wan": 1e300})), 400, "invalid_body"),
        (with(json!({"budget_min_wan": 50, "budget_max_wan": 10})), 422, "validation_failed"),
        (with(json!({"deadline": "2020-01-01"})), 422, "validation_failed"),
        (with(json!({"deadline": "明天"})), 400, "invalid_body"),
        (with(json!({"cooperation_modes": ["作价入股"]})), 422, "validation_failed"),
        (with(json!({"cooperation_modes": ["飞行"]})), 400, "invalid_body"),
        (with(json!({"maturity": "pilot"})), 422, "validation_failed"),
        (with(json!({"keywords": vec!["词"; 11]})), 200, ""),
        (
            with(json!({"keywords": (0..11).map(|i| format!("关键词{i}")).collect::<Vec<_>>()})),
            422,
            "validation_failed",
        ),
    ];
    for (body, status, code) in cases {
        let (got, reply) = app.post("/api/v1/needs", Some(&org), body.clone()).await;
        if status == 200 {
            assert_eq!(got, StatusCode::CREATED, "{body} → {reply}");
            assert_eq!(reply["keywords"].as_array().unwrap().len(), 1, "duplicates collapse");
            continue;
        }
        assert_error(got, &reply, status, code);
    }
    assert_eq!(count_items(app).await, before + 1);
    // Review body: unknown decision and unknown fields.
    let admin = app.admin("admin_bad", "510000").await;
    let (status, body) = app.post("/api/v1/needs/1/review", Some(&admin), json!({"decision": "maybe"})).await;
    assert_error(status, &body, 400, "invalid_body");
    let (status, body) = app.post("/api/v1/needs/1/review", Some(&admin), json!({"decision": "approve", "x": 1})).await;
    assert_error(status, &body, 400, "invalid_body");
    let (status, body) = app.post("/api/v1/needs/1/close", Some(&admin), json!({"why": "x"})).await;
    assert_error(status, &body, 400, "invalid_body");
}

async fn bad_queries_and_paths(app: &TestApp) {
    let cases = [
        ("/api/v1/needs?page=0", 400, "invalid_query"),
        ("/api/v1/needs?page=99999999999", 400, "invalid_query"),
        ("/api/v1/needs?page=abc", 400, "invalid_query"),
        ("/api/v1/needs?per_page=100000", 400, "invalid_query"),
        ("/api/v1/needs?per_page=-1", 400, "invalid_query"),
        ("/api/v1/needs?region=999999", 422, "invalid_region"),
        ("/api/v1/needs?mode=teleport", 422, "validation_failed"),
        ("/api/v1/achievements?type=%E9%AD%94%E6%B3%95", 422, "validation_failed"),
        ("/api/v1/needs?sort=hot", 400, "invalid_query"),
        ("/api/v1/needs/abc", 404, "not_found"),
        ("/api/v1/needs/99999999999999999999", 404, "not_found"),
        ("/api/v1/needs/424242", 404, "not_found"),
        ("/api/v1/widgets", 404, "not_found"),
        ("/api/v1/widgets/1", 404, "not_found"),
        ("/api/v1/nothing/here/at/all", 404, "not_found"),
    ];
    let (got, body) = app.call(reqwest::Method::DELETE, "/api/v1/needs/1", None, None).await;
    assert_error(got, &body, 405, "method_not_allowed");
    for (path, status, code) in cases {
        let (got, body) = app.get(path, None).await;
        assert_error(got, &body, status, code);
    }
    let long_query = format!("/api/v1/needs?q={}", crate::urlencode(&"酒".repeat(101)));
    let (got, body) = app.get(&long_query, None).await;
    assert_error(got, &body, 422, "validation_failed");
    for q in ["' OR 1=1 --", "\"; DROP TABLE items;", "%_%", "<script>alert(1)</script>", "AND OR NOT ( ) [ ] : ^"] {
        let (got, body) = app.get(&format!("/api/v1/needs?q={}", crate::urlencode(q)), None).await;
        assert_eq!(got, StatusCode::OK, "{q}: {body}");
    }
    let (got, body) = app.get("/api/v1/needs?industry=%25", None).await;
    assert_eq!((got, body["total"].as_i64()), (StatusCode::OK, Some(0)));
}

async fn bad_registrations(app: &TestApp) {
    let base = json!({"username": "org_reg", "password": "kjy-secret-2026", "role": "org", "display_name": "测试单位",
        "region_code": "510321", "org_type": "enterprise", "credit_code": crate::credit_code("org_reg")});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        if v.is_null() {
            b.as_object_mut().unwrap().remove(k);
        } else {
            b[k] = v;
        }
        b
    };
    let cases = [
        (with("credit_code", json!("91510300MA00000000")), 422, "invalid_credit_code"),
        (with("credit_code", Value::Null), 422, "validation_failed"),
        (with("role", json!("superuser")), 400, "invalid_body"),
        (with("role", json!("steward")), 403, "forbidden"),
        (with("password", json!("short")), 422, "validation_failed"),
        (with("username", json!("有 空格")), 422, "validation_failed"),
        (with("region_code", json!("")), 422, "invalid_region"),
        (with("email", json!("not-an-email")), 422, "validation_failed"),
        (with("username", Value::Null), 400, "invalid_body"),
        (with("is_admin", json!(true)), 400, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let (got, reply) = app.post("/api/v1/auth/register", None, body.clone()).await;
        assert_error(got, &reply, status, code);
    }
    assert_eq!(app.state.db.count_users().await.unwrap(), 0, "nothing registered");
    let (got, _) = app.post("/api/v1/auth/register", None, base.clone()).await;
    assert_eq!(got, StatusCode::CREATED);
    let (got, reply) = app.post("/api/v1/auth/register", None, with("username", json!("org_reg2"))).await;
    assert_error(got, &reply, 409, "credit_code_taken");
}

/// NUL, other control characters and bidirectional overrides in any JSON string, query string or
/// form field get a clear 4xx naming the field, on both backends (PostgreSQL cannot store NUL:
/// before this check a NUL in a login name answered 500 there), and nothing is written.
async fn control_characters_are_refused_everywhere(app: &TestApp) {
    let org = app.user("org", "org_ctl", "510321").await;
    let admin = app.admin("admin_ctl", "510000").await;
    let before = count_items(app).await;
    let users_before = app.state.db.count_users().await.unwrap();

    let (status, body) = app.post("/api/v1/auth/login", None, json!({"username": "a\u{0}b", "password": "x"})).await;
    assert_error(status, &body, 422, "validation_failed");
    assert!(body["error"]["message"].as_str().unwrap().contains("“username”含有不允许的控制字符（U+0000）"), "{body}");

    let mut register = json!({"username": "ctl_reader", "password": "kjy-secret-2026", "role": "public",
        "display_name": "\u{202E}读者", "region_code": "510104"});
    let (status, body) = app.post("/api/v1/auth/register", None, register.clone()).await;
    assert_error(status, &body, 422, "validation_failed");
    assert!(body["error"]["message"].as_str().unwrap().contains("display_name"), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("文字方向控制符（U+202E）"), "{body}");
    register["display_name"] = json!("读者");
    register["username"] = json!("ctl\u{7}reader");
    let (status, body) = app.post("/api/v1/auth/register", None, register).await;
    assert_error(status, &body, 422, "validation_failed");
    assert_eq!(app.state.db.count_users().await.unwrap(), users_before, "no account was made");

    for (field, value) in
        [("title", "白酒丢糟\u{0}处理"), ("description", "希望\u{1b}[31m寻求技术"), ("industry", "白酒\u{85}")]
    {
        let mut need = item_body("needs", "丢糟");
        need[field] = json!(value);
        let (status, body) = app.post("/api/v1/needs", Some(&org), need).await;
        assert_error(status, &body, 422, "validation_failed");
        assert!(body["error"]["message"].as_str().unwrap().contains(&format!("“{field}”")), "{body}");
    }
    let mut keywords = item_body("needs", "丢糟");
    keywords["keywords"] = json!(["丢糟", "饲料\u{0}"]);
    let (status, body) = app.post("/api/v1/needs", Some(&org), keywords).await;
    assert_error(status, &body, 422, "validation_failed");
    assert!(body["error"]["message"].as_str().unwrap().contains("“keywords[1]”"), "{body}");
    assert_eq!(count_items(app).await, before, "nothing was stored");

    // Line breaks and tabs are text, not control: a multi-line description is accepted.
    let mut lines = item_body("needs", "丢糟");
    lines["description"] = json!("我公司每年产生大量白酒丢糟。\n希望寻求饲料化利用技术。\t可上门交流。");
    let (status, created) = app.post("/api/v1/needs", Some(&org), lines).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, body) =
        app.post(&format!("/api/v1/needs/{}/close", created["id"]), Some(&org), json!({"reason": "已解决\u{0}"})).await;
    assert_error(status, &body, 422, "validation_failed");
    assert_eq!(app.get(&format!("/api/v1/needs/{}", created["id"]), Some(&org)).await.1["status"], "draft");

    let poll = json!({"title": "最美科技工作者", "region_code": "510000", "starts_on": "2030-01-01", "ends_on": "2030-01-10",
        "votes_per_day": 1, "candidates": [{"name": "张三"}, {"name": "李\u{0}四"}]});
    let (status, body) = app.post("/api/v1/admin/polls", Some(&admin), poll).await;
    assert_error(status, &body, 422, "validation_failed");
    assert!(body["error"]["message"].as_str().unwrap().contains("“candidates[1].name”"), "{body}");

    for path in ["/api/v1/needs?q=%00", "/api/v1/needs?q=%E2%80%AE", "/api/v1/needs?industry=%07", "/search?q=a%00b"] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{path}");
    }
    let (status, body) = app.get("/api/v1/needs?q=%00", None).await;
    assert_error(status, &body, 400, "invalid_query");

    // A page form: the login form with a NUL in the name.
    let web = crate::browser();
    let token = crate::csrf_of(&web.get(app.url("/login")).send().await.unwrap().text().await.unwrap());
    let resp = web
        .post(app.url("/login"))
        .form(&[("_csrf", token.as_str()), ("username", "org\u{0}_ctl"), ("password", "kjy-secret-2026")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("含有不允许的控制字符"));
}
