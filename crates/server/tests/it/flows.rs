//! The publishing flows of the foundation issue, through the HTTP API.

use chrono::Duration;
use kejiyun_domain::time::now;
use reqwest::StatusCode;
use serde_json::json;

use crate::{TestApp, assert_error, item_body, search_ids};

crate::on_both_backends!(
    need_flow,
    capability_flow,
    achievement_flow,
    reject_edit_and_resubmit,
    owners_only,
    illegal_transitions,
    editing_published_item_returns_it_to_review,
    closing_removes_from_search,
    housekeeping_expires_and_asks_to_confirm,
    regions_api,
    accounts_and_sessions,
    staff_accounts_stay_in_scope,
    matching_suggests_offers_with_reasons,
    synonym_groups_extend_matching_without_a_rebuild,
    near_duplicates_are_flagged_at_submission,
    owners_hear_of_new_matches_once,
);

/// register → publish → submit → wrong county admin 403 → city admin approves → searchable.
async fn publish_and_review(app: &TestApp, kind: &str, owner_role: &str, word: &str) {
    let owner = app.user(owner_role, &format!("{owner_role}_{kind}"), "510321").await;
    let other_county_admin = app.admin("admin_510322", "510322").await;
    let city_admin = app.admin("admin_510300", "510300").await;
    let other_city_admin = app.admin("admin_510100", "510100").await;

    let (status, item) = app.post(&format!("/api/v1/{kind}"), Some(&owner), item_body(kind, word)).await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    assert_eq!(item["status"], "draft");
    assert_eq!(item["region_code"], "510321", "defaults to the owner's region");
    let id = item["id"].as_i64().unwrap();
    let path = format!("/api/v1/{kind}/{id}");

    // A draft is invisible to the public and absent from search.
    assert_eq!(app.get(&path, None).await.0, StatusCode::NOT_FOUND);
    let (status, submitted) = app.post(&format!("{path}/submit"), Some(&owner), json!({})).await;
    assert_eq!((status, submitted["status"].as_str()), (StatusCode::OK, Some("pending")), "{submitted}");
    assert!(search_ids(app, kind, word).await.is_empty());

    // Queue: the city admin sees it, the other county's admin does not.
    let (_, queue) = app.get("/api/v1/admin/review-queue", Some(&city_admin)).await;
    assert!(queue["items"].as_array().unwrap().iter().any(|i| i["id"] == id), "{queue}");
    let (_, queue) = app.get("/api/v1/admin/review-queue", Some(&other_county_admin)).await;
    assert_eq!(queue["total"], 0);

    for admin in [&other_county_admin, &other_city_admin] {
        let (status, body) = app.post(&format!("{path}/review"), Some(admin), json!({"decision": "approve"})).await;
        assert_error(status, &body, 403, "forbidden");
    }
    let (status, body) = app.post(&format!("{path}/review"), Some(&owner), json!({"decision": "approve"})).await;
    assert_error(status, &body, 403, "forbidden");

    let (status, approved) =
        app.post(&format!("{path}/review"), Some(&city_admin), json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "published");
    assert!(approved["published_at"].is_string());

    assert_eq!(search_ids(app, kind, word).await, vec![id]);
    let (status, public) = app.get(&path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(public["title"], item["title"]);
    // Filters: its city includes it, another city does not.
    let (_, in_city) = app.get(&format!("/api/v1/{kind}?region=510300"), None).await;
    assert_eq!(in_city["total"], 1, "{in_city}");
    let (_, elsewhere) = app.get(&format!("/api/v1/{kind}?region=510100&q={}", crate::urlencode(word)), None).await;
    assert_eq!(elsewhere["total"], 0, "{elsewhere}");

    // Every change of state is in the audit trail, with who did it.
    let (status, history) = app.get(&format!("{path}/history"), Some(&owner)).await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["create", "submit", "approve"]);
    assert_eq!(history[2]["from_status"], "pending");
    assert_eq!(history[2]["actor_name"], "管理员admin_510300");
    assert_eq!(app.get(&format!("{path}/history"), None).await.0, StatusCode::UNAUTHORIZED);

    // The owner is told.
    app.settle().await;
    let (_, notices) = app.get("/api/v1/me/notifications", Some(&owner)).await;
    assert!(notices[0]["title"].as_str().unwrap().contains("审核通过"), "{notices}");
}

async fn need_flow(app: &TestApp) {
    publish_and_review(app, "needs", "org", "蛋白饲料").await;
    let (_, list) = app.get("/api/v1/needs?mode=transfer", None).await;
    assert_eq!(list["total"], 1, "modes are stored by code whatever language they were sent in");
    let (_, item) = app.get(&format!("/api/v1/needs/{}", list["items"][0]["id"]), None).await;
    assert_eq!(item["amount_max_wan"], "20.5");
    assert!(item.get("phone").is_none());
}

async fn capability_flow(app: &TestApp) {
    publish_and_review(app, "capabilities", "expert", "菌种选育").await;
}

async fn achievement_flow(app: &TestApp) {
    publish_and_review(app, "achievements", "org", "低温烘干").await;
    let (_, list) = app.get("/api/v1/achievements?type=invention_patent", None).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["registration_no"], "ZL202310123456.7");
}

async fn reject_edit_and_resubmit(app: &TestApp) {
    let owner = app.user("org", "org_reject", "510321").await;
    let admin = app.admin("admin_city", "510300").await;
    let (_, item) = app.post("/api/v1/needs?submit=true", Some(&owner), item_body("needs", "压榨")).await;
    assert_eq!(item["status"], "pending");
    let path = format!("/api/v1/needs/{}", item["id"]);
    let (status, body) = app.post(&format!("{path}/review"), Some(&admin), json!({"decision": "reject"})).await;
    assert_error(status, &body, 422, "validation_failed");
    let (status, rejected) =
        app.post(&format!("{path}/review"), Some(&admin), json!({"decision": "reject", "reason": "预算不明确"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (rejected["status"].as_str(), rejected["reject_reason"].as_str()),
        (Some("rejected"), Some("预算不明确"))
    );
    app.settle().await;
    let (_, notices) = app.get("/api/v1/me/notifications", Some(&owner)).await;
    assert!(notices[0]["body"].as_str().unwrap().contains("预算不明确"));

    let (status, edited) = app.patch(&path, Some(&owner), json!({"budget_min_wan": 8})).await;
    assert_eq!((status, edited["status"].as_str()), (StatusCode::OK, Some("rejected")), "{edited}");
    assert_eq!(edited["amount_min_wan"], "8");
    assert_eq!(edited["title"], item["title"], "absent fields stay");
    let (status, again) = app.post(&format!("{path}/submit"), Some(&owner), json!({})).await;
    assert_eq!((status, again["status"].as_str()), (StatusCode::OK, Some("pending")));
    assert!(again["reject_reason"].is_null());
}

async fn owners_only(app: &TestApp) {
    let a = app.user("org", "org_a", "510321").await;
    let b = app.user("org", "org_b", "510321").await;
    let expert = app.user("expert", "expert_x", "510321").await;
    let public = app.user("public", "reader_x", "510321").await;
    let admin = app.admin("admin_p", "510000").await;
    let (_, draft) = app.post("/api/v1/needs", Some(&a), item_body("needs", "烘干")).await;
    let draft_path = format!("/api/v1/needs/{}", draft["id"]);
    let (_, published) = app.post("/api/v1/needs?submit=true", Some(&a), item_body("needs", "烘干")).await;
    let pub_path = format!("/api/v1/needs/{}", published["id"]);
    app.post(&format!("{pub_path}/review"), Some(&admin), json!({"decision": "approve"})).await;

    let (status, body) = app.patch(&pub_path, Some(&b), json!({"title": "被他人篡改的标题"})).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = app.patch(&draft_path, Some(&b), json!({"title": "被他人篡改的标题"})).await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = app.post(&format!("{draft_path}/submit"), Some(&b), json!({})).await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = app.post(&format!("{pub_path}/close"), Some(&b), json!({})).await;
    assert_error(status, &body, 403, "forbidden");
    let (_, unchanged) = app.get(&pub_path, None).await;
    assert_eq!(unchanged["title"], published["title"]);

    let (status, body) = app.post("/api/v1/needs", Some(&expert), item_body("needs", "x")).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = app.post("/api/v1/capabilities", Some(&public), item_body("capabilities", "x")).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = app.post("/api/v1/needs", None, item_body("needs", "x")).await;
    assert_error(status, &body, 401, "unauthenticated");
    let (status, body) = app.post("/api/v1/needs", Some(&"0".repeat(64)), item_body("needs", "x")).await;
    assert_error(status, &body, 401, "unauthenticated");
    // The admin of the region sees the draft; the owner's own list has both.
    assert_eq!(app.get(&draft_path, Some(&admin)).await.0, StatusCode::OK);
    let (_, mine) = app.get("/api/v1/me/items", Some(&a)).await;
    assert_eq!(mine["total"], 2);
    let (_, theirs) = app.get("/api/v1/me/items", Some(&b)).await;
    assert_eq!(theirs["total"], 0);
}

async fn illegal_transitions(app: &TestApp) {
    let owner = app.user("org", "org_t", "510321").await;
    let admin = app.admin("admin_t", "510321").await;
    let (_, draft) = app.post("/api/v1/needs", Some(&owner), item_body("needs", "x")).await;
    let path = format!("/api/v1/needs/{}", draft["id"]);
    let (status, body) = app.post(&format!("{path}/review"), Some(&admin), json!({"decision": "approve"})).await;
    assert_error(status, &body, 409, "illegal_transition");
    app.post(&format!("{path}/submit"), Some(&owner), json!({})).await;
    let (status, body) = app.post(&format!("{path}/submit"), Some(&owner), json!({})).await;
    assert_error(status, &body, 409, "illegal_transition");
    app.post(&format!("{path}/review"), Some(&admin), json!({"decision": "approve"})).await;
    let (status, body) =
        app.post(&format!("{path}/review"), Some(&admin), json!({"decision": "reject", "reason": "重复审核"})).await;
    assert_error(status, &body, 409, "illegal_transition");
    let (status, closed) = app.post(&format!("{path}/close"), Some(&owner), json!({"reason": "已解决"})).await;
    assert_eq!((status, closed["status"].as_str()), (StatusCode::OK, Some("closed")));
    for (suffix, body) in [("close", json!({})), ("submit", json!({})), ("confirm", json!({}))] {
        let (status, reply) = app.post(&format!("{path}/{suffix}"), Some(&owner), body).await;
        assert_error(status, &reply, 409, "illegal_transition");
    }
    let (status, body) = app.patch(&path, Some(&owner), json!({"title": "关闭后再修改标题"})).await;
    assert_error(status, &body, 409, "illegal_transition");
}

async fn editing_published_item_returns_it_to_review(app: &TestApp) {
    let owner = app.user("expert", "expert_e", "510321").await;
    let admin = app.admin("admin_e", "510300").await;
    let (_, item) = app.post("/api/v1/capabilities?submit=true", Some(&owner), item_body("capabilities", "蒸馏")).await;
    let path = format!("/api/v1/capabilities/{}", item["id"]);
    app.post(&format!("{path}/review"), Some(&admin), json!({"decision": "approve"})).await;
    assert_eq!(search_ids(app, "capabilities", "蒸馏").await.len(), 1);
    let (status, edited) =
        app.patch(&path, Some(&owner), json!({"description": "现在改为提供白酒勾调与品评技术服务。"})).await;
    assert_eq!((status, edited["status"].as_str()), (StatusCode::OK, Some("pending")), "{edited}");
    assert!(search_ids(app, "capabilities", "蒸馏").await.is_empty(), "unreviewed text must not be public");
    assert_eq!(app.get(&path, None).await.0, StatusCode::NOT_FOUND);
    app.post(&format!("{path}/review"), Some(&admin), json!({"decision": "approve"})).await;
    assert_eq!(search_ids(app, "capabilities", "勾调").await.len(), 1);
    assert!(search_ids(app, "capabilities", "蒸馏").await.is_empty());
}

async fn closing_removes_from_search(app: &TestApp) {
    let owner = app.user("org", "org_c", "510321").await;
    let admin = app.admin("admin_c", "510000").await;
    let (_, item) =
        app.post("/api/v1/achievements?submit=true", Some(&owner), item_body("achievements", "微波杀菌")).await;
    let path = format!("/api/v1/achievements/{}", item["id"]);
    app.post(&format!("{path}/review"), Some(&admin), json!({"decision": "approve"})).await;
    assert_eq!(search_ids(app, "achievements", "微波杀菌").await.len(), 1);
    // An admin of the region may close it too; the owner is told.
    let (status, closed) = app.call(reqwest::Method::POST, &format!("{path}/close"), Some(&admin), None).await;
    assert_eq!((status, closed["status"].as_str()), (StatusCode::OK, Some("closed")), "{closed}");
    assert!(search_ids(app, "achievements", "微波杀菌").await.is_empty());
    let (_, list) = app.get("/api/v1/achievements", None).await;
    assert_eq!(list["total"], 0);
    app.settle().await;
    let (_, notices) = app.get("/api/v1/me/notifications", Some(&owner)).await;
    assert!(notices.as_array().unwrap().iter().any(|n| n["title"] == "发布内容已关闭"));
}

async fn housekeeping_expires_and_asks_to_confirm(app: &TestApp) {
    let owner = app.user("org", "org_h", "510321").await;
    let admin = app.admin("admin_h", "510000").await;
    let mut body = item_body("needs", "脱硫");
    body["deadline"] = json!((kejiyun_domain::time::today_in_china(now()) + Duration::days(10)).to_string());
    let (_, need) = app.post("/api/v1/needs?submit=true", Some(&owner), body).await;
    let (_, offer) = app
        .post(
            "/api/v1/capabilities?submit=true",
            Some(&app.user("expert", "expert_h", "510321").await),
            item_body("capabilities", "脱硝"),
        )
        .await;
    let (_, kept) = app.post("/api/v1/achievements?submit=true", Some(&owner), item_body("achievements", "除尘")).await;
    for (kind, item) in [("needs", &need), ("capabilities", &offer), ("achievements", &kept)] {
        let (status, _) = app
            .post(&format!("/api/v1/{kind}/{}/review", item["id"]), Some(&admin), json!({"decision": "approve"}))
            .await;
        assert_eq!(status, StatusCode::OK);
    }

    // Nothing happens today.
    assert!(kejiyun_server::features::items::tasks::housekeeping(&app.state, now()).await.unwrap().is_empty());

    // Day 11: the need has expired and is closed; the others are untouched.
    let closed =
        kejiyun_server::features::items::tasks::housekeeping(&app.state, now() + Duration::days(11)).await.unwrap();
    assert_eq!(closed, vec![need["id"].as_i64().unwrap()]);
    let (_, expired) = app.get(&format!("/api/v1/needs/{}", need["id"]), Some(&owner)).await;
    assert_eq!(expired["status"], "closed");
    assert!(search_ids(app, "needs", "脱硫").await.is_empty());

    // Day 181: both remaining owners are asked once to confirm; nothing is closed yet.
    let day181 = now() + Duration::days(181);
    assert!(kejiyun_server::features::items::tasks::housekeeping(&app.state, day181).await.unwrap().is_empty());
    assert!(kejiyun_server::features::items::tasks::housekeeping(&app.state, day181).await.unwrap().is_empty());
    app.settle().await;
    let (_, notices) = app.get("/api/v1/me/notifications", Some(&owner)).await;
    let asks = notices.as_array().unwrap().iter().filter(|n| n["kind"] == "confirm_request").count();
    assert_eq!(asks, 1, "{notices}");
    // The org confirms its achievement; the expert does not answer.
    let (status, _) = app.post(&format!("/api/v1/achievements/{}/confirm", kept["id"]), Some(&owner), json!({})).await;
    assert_eq!(status, StatusCode::OK);

    // Day 212: the unanswered capability is closed; the confirmed achievement stays.
    let closed =
        kejiyun_server::features::items::tasks::housekeeping(&app.state, now() + Duration::days(212)).await.unwrap();
    assert_eq!(closed, vec![offer["id"].as_i64().unwrap()]);
    assert_eq!(search_ids(app, "achievements", "除尘").await.len(), 1);
    assert!(search_ids(app, "capabilities", "脱硝").await.is_empty());
}

async fn regions_api(app: &TestApp) {
    let (status, top) = app.get("/api/v1/regions", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(top[0]["code"], "510000");
    let (_, cities) = app.get("/api/v1/regions?parent=510000", None).await;
    assert_eq!(cities.as_array().unwrap().len(), 21);
    let (_, counties) = app.get("/api/v1/regions?parent=510300", None).await;
    assert!(counties.as_array().unwrap().iter().any(|c| c["name"] == "荣县"));
    let (status, body) = app.get("/api/v1/regions?parent=999999", None).await;
    assert_error(status, &body, 422, "invalid_region");
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, Some("ok")));
    assert_eq!(app.get("/readyz", None).await.0, StatusCode::OK);
}

async fn accounts_and_sessions(app: &TestApp) {
    let first = app.user("expert", "expert_s", "510104").await;
    let second = app.login("expert_s", "kjy-secret-2026").await;
    let (status, me) = app.get("/api/v1/me", Some(&first)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((me["username"].as_str(), me["role"].as_str()), (Some("expert_s"), Some("expert")));
    assert!(me.get("password_hash").is_none());

    let (status, updated) =
        app.patch("/api/v1/me", Some(&first), json!({"title": "研究员", "phone": "028-85412345"})).await;
    assert_eq!((status, updated["title"].as_str()), (StatusCode::OK, Some("研究员")), "{updated}");

    let (status, body) =
        app.post("/api/v1/auth/login", None, json!({"username": "expert_s", "password": "wrong1234"})).await;
    assert_error(status, &body, 401, "invalid_credentials");
    let (status, body) =
        app.post("/api/v1/auth/login", None, json!({"username": "nobody", "password": "wrong1234"})).await;
    assert_error(status, &body, 401, "invalid_credentials");

    let (status, body) = app
        .post("/api/v1/me/password", Some(&first), json!({"old_password": "bad", "new_password": "kjy-newpass-77"}))
        .await;
    assert_error(status, &body, 422, "validation_failed");
    let (status, _) = app
        .post(
            "/api/v1/me/password",
            Some(&first),
            json!({"old_password": "kjy-secret-2026", "new_password": "kjy-newpass-77"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", Some(&first)).await.0, StatusCode::OK, "the current session stays");
    assert_eq!(app.get("/api/v1/me", Some(&second)).await.0, StatusCode::UNAUTHORIZED, "other sessions end");
    let third = app.login("expert_s", "kjy-newpass-77").await;

    let (status, _) = app.post("/api/v1/auth/logout", Some(&third), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", Some(&third)).await.0, StatusCode::UNAUTHORIZED);

    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "expert_s", "password": "kjy-secret-2026", "role": "expert",
            "display_name": "重名", "region_code": "510104"}),
        )
        .await;
    assert_error(status, &body, 409, "username_taken");
}

async fn staff_accounts_stay_in_scope(app: &TestApp) {
    let city = app.admin("admin_zg", "510300").await;
    let org = app.user("org", "org_s", "510321").await;
    let staff = |username: &str, role: &str, region: &str| json!({"username": username, "password": "kjy-secret-2026", "role": role, "display_name": "新账号", "region_code": region});
    let (status, created) =
        app.post("/api/v1/admin/users", Some(&city), staff("steward_rx", "steward", "510321")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["scope_region_code"], "510321");
    let (status, _) = app.post("/api/v1/admin/users", Some(&city), staff("admin_rx", "admin", "510321")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app.post("/api/v1/admin/users", Some(&city), staff("admin_cd", "admin", "510104")).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = app.post("/api/v1/admin/users", Some(&city), staff("admin_sc", "admin", "510000")).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = app.post("/api/v1/admin/users", Some(&org), staff("admin_x", "admin", "510321")).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = app.post("/api/v1/auth/register", None, staff("self_admin", "admin", "510321")).await;
    assert_error(status, &body, 403, "forbidden");
    // The new county admin can log in and its queue is its county.
    let county = app.login("admin_rx", "kjy-secret-2026").await;
    assert_eq!(app.get("/api/v1/admin/review-queue", Some(&county)).await.0, StatusCode::OK);
    let (status, body) = app.get("/api/v1/admin/review-queue", Some(&org)).await;
    assert_error(status, &body, 403, "forbidden");
}

async fn matching_suggests_offers_with_reasons(app: &TestApp) {
    let org = app.user("org", "org_m", "510321").await;
    let near = app.user("expert", "expert_zg", "510302").await;
    let far = app.user("expert", "expert_cd", "510104").await;
    let admin = app.admin("admin_m", "510000").await;
    let publish = |kind: &'static str, token: String, body: serde_json::Value| {
        let (app, admin) = (app, admin.clone());
        async move {
            let (status, item) = app.post(&format!("/api/v1/{kind}?submit=true"), Some(&token), body).await;
            assert_eq!(status, StatusCode::CREATED, "{item}");
            let path = format!("/api/v1/{kind}/{}/review", item["id"]);
            let (status, _) = app.post(&path, Some(&admin), json!({"decision": "approve"})).await;
            assert_eq!(status, StatusCode::OK);
            item["id"].as_i64().unwrap()
        }
    };
    let need = publish(
        "needs",
        org.clone(),
        json!({
            "title": "酒糟堆在厂里发臭怎么处理", "industry": "白酒", "keywords": ["酒糟", "饲料"],
            "description": "我们酒厂每天出几十吨酒糟，堆着发臭，想做成饲料卖掉。", "cooperation_modes": ["development"]
        }),
    )
    .await;
    let (_, near_me) = app.get("/api/v1/me", Some(&near)).await;
    let relevant = publish(
        "capabilities",
        near,
        json!({
            "title": "白酒糟固态发酵饲料化技术", "industry": "白酒", "keywords": ["固态发酵", "酒糟"],
            "description": "利用白酒丢糟固态发酵生产蛋白饲料，已在多家酒厂应用。", "service_modes": ["development"]
        }),
    )
    .await;
    let distractor = publish(
        "capabilities",
        far,
        json!({
            "title": "饲料厂粉尘与臭气治理", "industry": "环境保护", "keywords": ["饲料厂", "臭气"],
            "description": "饲料加工车间粉尘收集和臭气处理工程。"
        }),
    )
    .await;

    let (status, found) = app.get(&format!("/api/v1/needs/{need}/matches"), None).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let ids: Vec<i64> = found.as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.first(), Some(&relevant), "{found}");
    assert!(ids.contains(&distractor), "the distractor shares words but ranks lower: {found}");
    let reasons: Vec<&str> = found[0]["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(reasons.contains(&"同属白酒行业") && reasons.contains(&"同在自贡市"), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("关键词：") && r.contains("酒糟")), "{reasons:?}");
    assert!(found[0]["score"].as_f64().unwrap() > found[1]["score"].as_f64().unwrap());
    assert_eq!(found[0]["kind"], "capability");

    let (_, experts) = app.get(&format!("/api/v1/needs/{need}/matches?kind=expert"), None).await;
    assert_eq!((&experts[0]["kind"], &experts[0]["id"]), (&json!("expert"), &near_me["id"]), "{experts}");
    assert_eq!(experts[0]["link"], format!("/capabilities/{relevant}"));
    let expert_reasons = experts[0]["reasons"].as_array().unwrap();
    assert!(expert_reasons.contains(&json!("科技所能：白酒糟固态发酵饲料化技术")), "{experts}");
    assert!(experts.as_array().unwrap().iter().all(|e| e["kind"] == "expert"));
    let (status, body) = app.get(&format!("/api/v1/capabilities/{relevant}/matches?kind=expert"), None).await;
    assert_error(status, &body, 422, "validation_failed");

    let (_, back) = app.get(&format!("/api/v1/capabilities/{relevant}/matches"), None).await;
    assert_eq!(back[0]["id"], need, "{back}");
    let (_, none) = app.get(&format!("/api/v1/needs/{need}/matches?kind=achievement"), None).await;
    assert_eq!(none, json!([]));
    let (status, body) = app.get(&format!("/api/v1/needs/{need}/matches?kind=widget"), None).await;
    assert_error(status, &body, 400, "invalid_query");
    let (status, body) = app.get(&format!("/api/v1/needs/{need}/matches?limit=0"), None).await;
    assert_error(status, &body, 400, "invalid_query");
    let (status, body) = app.get("/api/v1/needs/999999/matches", None).await;
    assert_error(status, &body, 404, "not_found");

    // A need asking for someone to come on site prefers the same city among equal offers.
    let twin = |region: &str| {
        json!({
            "title": "蒸馏设备故障诊断服务", "industry": "白酒", "keywords": ["蒸馏"], "region_code": region,
            "description": "为酿酒企业提供蒸馏设备故障诊断与维修指导。"
        })
    };
    let far_twin = publish("capabilities", app.user("expert", "expert_far", "510104").await, twin("510104")).await;
    let near_twin = publish("capabilities", app.user("expert", "expert_near", "510304").await, twin("510304")).await;
    let onsite = publish(
        "needs",
        org.clone(),
        json!({
            "title": "蒸馏设备老出故障", "industry": "白酒", "keywords": ["蒸馏"],
            "description": "酒厂蒸馏设备经常故障，希望有专家能上门诊断维修。"
        }),
    )
    .await;
    let (_, found) = app.get(&format!("/api/v1/needs/{onsite}/matches?kind=capability&limit=3"), None).await;
    let ids: Vec<i64> = found.as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(ids[..2], [near_twin, far_twin], "{found}");
    // The item's own kind: similar items (the twin offers are similar to each other).
    let (_, similar) = app.get(&format!("/api/v1/capabilities/{near_twin}/matches?kind=capability"), None).await;
    assert_eq!(similar[0]["id"], far_twin, "{similar}");
    assert!(similar.as_array().unwrap().iter().all(|m| m["id"] != near_twin), "never itself");

    let html = app.page(&format!("/needs/{need}")).await;
    assert!(
        html.contains("推荐专家、科技所能与成果") && html.contains("匹配理由：同属白酒行业"),
        "detail page lists matches"
    );
}

async fn synonym_groups_extend_matching_without_a_rebuild(app: &TestApp) {
    let org = app.user("org", "org_syn", "510321").await;
    let expert = app.user("expert", "expert_syn", "510104").await;
    let province = app.admin("admin_syn", "510000").await;
    let county = app.admin("admin_syn_c", "510321").await;
    let mut ids = Vec::new();
    for (kind, token, body) in [
        ("needs", &org, json!({"title": "寻求甲乙丙丁方面的帮助", "description": "我们需要甲乙丙丁相关支持。"})),
        ("capabilities", &expert, json!({"title": "戊己庚辛技术服务", "description": "提供戊己庚辛的成熟方案。"})),
    ] {
        let (_, item) = app.post(&format!("/api/v1/{kind}?submit=true"), Some(token), body).await;
        let path = format!("/api/v1/{kind}/{}/review", item["id"]);
        app.post(&path, Some(&province), json!({"decision": "approve"})).await;
        ids.push(item["id"].as_i64().unwrap());
    }
    let matches = format!("/api/v1/needs/{}/matches", ids[0]);
    assert_eq!(app.get(&matches, None).await.1, json!([]), "no shared words, no match");

    let (status, body) =
        app.post("/api/v1/admin/synonyms", Some(&county), json!({"terms": ["甲乙丙丁", "戊己庚辛"]})).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = app.post("/api/v1/admin/synonyms", Some(&province), json!({"terms": ["甲乙丙丁"]})).await;
    assert_error(status, &body, 422, "validation_failed");
    let (status, body) =
        app.post("/api/v1/admin/synonyms", Some(&org), json!({"terms": ["甲乙丙丁", "戊己庚辛"]})).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, group) =
        app.post("/api/v1/admin/synonyms", Some(&province), json!({"terms": ["甲乙丙丁", "戊己庚辛"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{group}");

    let (_, found) = app.get(&matches, None).await;
    assert_eq!(found[0]["id"], ids[1], "the new group is used at once: {found}");
    let (_, groups) = app.get("/api/v1/admin/synonyms", Some(&county)).await;
    let groups = groups.as_array().unwrap();
    assert!(groups.iter().any(|g| g["id"].is_null() && g["terms"][0] == "酒糟"), "shipped list included");
    assert!(groups.iter().any(|g| g["id"] == group["id"]));
    assert_eq!(app.get("/api/v1/admin/synonyms", Some(&org)).await.0, StatusCode::FORBIDDEN);
}

async fn near_duplicates_are_flagged_at_submission(app: &TestApp) {
    let org = app.user("org", "org_dup", "510321").await;
    let neighbour = app.user("org", "org_dup_nb", "510302").await;
    let far = app.user("org", "org_dup_far", "510104").await;
    let admin = app.admin("admin_dup", "510300").await;
    let body = item_body("needs", "蛋白饲料");
    let (_, first) = app.post("/api/v1/needs?submit=true", Some(&org), body.clone()).await;
    assert!(first["duplicate_of"].is_null());
    app.post(&format!("/api/v1/needs/{}/review", first["id"]), Some(&admin), json!({"decision": "approve"})).await;

    let mut copy = body.clone();
    copy["description"] = json!("我公司每年产生大量白酒丢糟，堆放发臭，希望寻求蛋白饲料方面的成熟技术！");
    let (_, again) = app.post("/api/v1/needs?submit=true", Some(&org), copy.clone()).await;
    assert_eq!(again["duplicate_of"], first["id"], "same owner: {again}");
    let (_, nb) = app.post("/api/v1/needs?submit=true", Some(&neighbour), copy.clone()).await;
    assert_eq!(nb["duplicate_of"], first["id"], "same city");
    let (_, elsewhere) = app.post("/api/v1/needs?submit=true", Some(&far), copy.clone()).await;
    assert!(elsewhere["duplicate_of"].is_null(), "another city's similar need is its own: {elsewhere}");
    let (_, draft) = app.post("/api/v1/needs", Some(&org), copy).await;
    assert!(draft["duplicate_of"].is_null(), "drafts are checked when submitted");
    let mut other = item_body("needs", "锂电");
    other["title"] = json!("锂电池正极材料烧结工艺改进");
    other["description"] = json!("正极材料烧结窑炉温度均匀性差，希望改进工艺。");
    let (_, unrelated) = app.post("/api/v1/needs?submit=true", Some(&org), other).await;
    assert!(unrelated["duplicate_of"].is_null());

    // The reviewing admin sees the flag (the item page renders the warning from it).
    let (_, seen) = app.get(&format!("/api/v1/needs/{}", again["id"]), Some(&admin)).await;
    assert_eq!(seen["duplicate_of"], first["id"]);

    // Published anyway, the flag stays a review note: the owner and covering admins see it, nobody else.
    let path = format!("/api/v1/needs/{}", again["id"]);
    let (status, _) = app.post(&format!("{path}/review"), Some(&admin), json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.get(&path, Some(&org)).await.1["duplicate_of"], first["id"], "owner");
    for (who, token) in
        [("anonymous", None), ("another org", Some(far.as_str())), ("neighbour", Some(neighbour.as_str()))]
    {
        let (status, item) = app.get(&path, token).await;
        assert_eq!(status, StatusCode::OK);
        assert!(item.get("duplicate_of").is_none(), "{who} sees no flag: {item}");
    }
    let (_, list) = app.get("/api/v1/needs?per_page=100", Some(&far)).await;
    let items = list["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["id"] == again["id"]));
    assert!(items.iter().all(|i| i.get("duplicate_of").is_none()), "lists carry no flag: {list}");
    let page = format!("/needs/{}", again["id"]);
    let public = app.client.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
    assert!(public.contains("蛋白饲料") && !public.contains("可能与已发布的"), "anonymous page");
    let (owner_web, _) = crate::web_session(app, "org_dup").await;
    let own = owner_web.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
    assert!(own.contains("可能与已发布的"), "the owner's page warns");
}

async fn owners_hear_of_new_matches_once(app: &TestApp) {
    let expert = app.user("expert", "expert_n", "510302").await;
    let org = app.user("org", "org_n", "510321").await;
    let admin = app.admin("admin_n", "510000").await;
    let (_, offer) =
        app.post("/api/v1/capabilities?submit=true", Some(&expert), item_body("capabilities", "饲料")).await;
    app.post(&format!("/api/v1/capabilities/{}/review", offer["id"]), Some(&admin), json!({"decision": "approve"}))
        .await;
    app.settle().await;
    let (_, before) = app.get("/api/v1/me/notifications", Some(&expert)).await;
    let matches_of =
        |list: &serde_json::Value| list.as_array().unwrap().iter().filter(|n| n["kind"] == "match").count();
    assert_eq!(matches_of(&before), 0);

    let (_, need) = app.post("/api/v1/needs?submit=true", Some(&org), item_body("needs", "饲料")).await;
    let review = format!("/api/v1/needs/{}/review", need["id"]);
    app.post(&review, Some(&admin), json!({"decision": "approve"})).await;
    app.settle().await;
    let (_, after) = app.get("/api/v1/me/notifications", Some(&expert)).await;
    assert_eq!(matches_of(&after), 1, "{after}");
    let notice = after.as_array().unwrap().iter().find(|n| n["kind"] == "match").unwrap();
    assert!(notice["body"].as_str().unwrap().contains("同属白酒行业"), "{notice}");
    assert_eq!(notice["link"], format!("/needs/{}", need["id"]));
    app.settle().await;
    let (_, own) = app.get("/api/v1/me/notifications", Some(&org)).await;
    assert_eq!(matches_of(&own), 0, "no notice about one's own item");

    // Edited and approved again: the same pair is not announced twice.
    app.patch(&format!("/api/v1/needs/{}", need["id"]), Some(&org), json!({"budget_min_wan": 6})).await;
    app.post(&review, Some(&admin), json!({"decision": "approve"})).await;
    app.settle().await;
    let (_, later) = app.get("/api/v1/me/notifications", Some(&expert)).await;
    assert_eq!(matches_of(&later), 1);
}
