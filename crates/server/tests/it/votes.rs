//! 投票: organising polls, the per-voter daily rules under concurrency, the per-address vote
//! rate, and voting through the pages.

use chrono::{Days, NaiveDate};
use kejiyun_domain::time::{now, today_in_china};
use kejiyun_server::Settings;
use kejiyun_server::platform::limits::{Rate, RateRules};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{TestApp, web_session};

crate::on_both_backends!(
    polls_take_votes_under_the_daily_rules,
    concurrent_votes_never_pass_the_daily_limit,
    voting_through_the_pages
);

fn today() -> NaiveDate {
    today_in_china(now())
}

fn poll_body(title: &str, region: &str, starts_on: NaiveDate, votes_per_day: u32, candidates: usize) -> Value {
    let candidates: Vec<Value> =
        (0..candidates).map(|i| json!({"name": format!("候选人{i}"), "summary": format!("事迹{i}")})).collect();
    json!({"title": title, "description": "评选扎根基层的科技工作者", "region_code": region,
           "starts_on": starts_on, "ends_on": today() + Days::new(10), "votes_per_day": votes_per_day,
           "candidates": candidates})
}

/// Creates a poll as `admin`; returns (poll id, candidate ids).
async fn create_poll(app: &TestApp, admin: &str, body: Value) -> (i64, Vec<i64>) {
    let (status, detail) = app.post("/api/v1/admin/polls", Some(admin), body).await;
    assert_eq!(status, StatusCode::CREATED, "{detail}");
    let ids = detail["candidates"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    (detail["poll"]["id"].as_i64().unwrap(), ids)
}

async fn vote(app: &TestApp, poll: i64, token: Option<&str>, candidate: i64) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/polls/{poll}/votes"), token, json!({"candidate_id": candidate})).await
}

/// The candidates' counters agree with the vote rows.
async fn assert_counts_consistent(app: &TestApp, poll: i64) -> i64 {
    let (_, detail) = app.get(&format!("/api/v1/polls/{poll}"), None).await;
    let counters: Vec<(i64, i64)> = detail["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_i64().unwrap(), c["vote_count"].as_i64().unwrap()))
        .filter(|(_, n)| *n > 0)
        .collect();
    let rows = app.state.db.counted_votes(poll).await.unwrap();
    assert_eq!(counters, rows, "counters and vote rows disagree");
    let total: i64 = rows.iter().map(|(_, n)| n).sum();
    assert_eq!(detail["poll"]["total_votes"], total);
    total
}

async fn polls_take_votes_under_the_daily_rules(app: &TestApp) {
    let province = app.admin("v_province", "510000").await;
    let county = app.admin("v_county", "510321").await;
    let expert = app.user("expert", "v_expert", "510104").await;
    let voter = app.user("public", "v_voter", "510321").await;

    // Who may organise: admins covering the region.
    let body = poll_body("2026年度最美科技工作者", "510300", today(), 2, 3);
    let (status, e) = app.post("/api/v1/admin/polls", None, body.clone()).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    let (status, e) = app.post("/api/v1/admin/polls", Some(&expert), body.clone()).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (status, _) = app.post("/api/v1/admin/polls", Some(&county), body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a county admin cannot organise for its city");
    let mut one = body.clone();
    one["candidates"] = json!([{"name": "独苗"}]);
    let (status, e) = app.post("/api/v1/admin/polls", Some(&province), one).await;
    assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("candidates")), "{e}");
    let (poll, c) = create_poll(app, &province, body).await;
    let (other_poll, other) = create_poll(app, &county, poll_body("县级投票", "510321", today(), 1, 2)).await;

    // The rules: one vote a candidate a day, two votes a day in this poll.
    let (status, e) = vote(app, poll, None, c[0]).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    let (status, receipt) = vote(app, poll, Some(&voter), c[0]).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    assert_eq!((receipt["vote_count"].as_i64(), receipt["remaining_today"].as_i64()), (Some(1), Some(1)));
    assert_eq!(receipt["voted_on"], json!(today()));
    let (status, e) = vote(app, poll, Some(&voter), c[0]).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_voted")), "{e}");
    let (status, e) = vote(app, poll, Some(&voter), other[0]).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("candidate_id")),
        "a candidate of another poll: {e}"
    );
    let (status, receipt) = vote(app, poll, Some(&voter), c[1]).await;
    assert_eq!((status, receipt["remaining_today"].as_i64()), (StatusCode::CREATED, Some(0)));
    let (status, e) = vote(app, poll, Some(&voter), c[2]).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("daily_vote_limit")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("每人每天最多投2票"));
    // Other voters and other polls have their own counts.
    let (status, receipt) = vote(app, poll, Some(&expert), c[0]).await;
    assert_eq!((status, receipt["vote_count"].as_i64()), (StatusCode::CREATED, Some(2)));
    let (status, _) = vote(app, other_poll, Some(&voter), other[1]).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = vote(app, 999_999, Some(&voter), c[0]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // What the voter and the public see.
    let (_, mine) = app.get(&format!("/api/v1/polls/{poll}"), Some(&voter)).await;
    let voted: Vec<i64> =
        mine["my_votes"].as_array().unwrap().iter().map(|v| v["candidate_id"].as_i64().unwrap()).collect();
    assert_eq!(voted, vec![c[1], c[0]], "newest first");
    assert_eq!(mine["remaining_today"], 0);
    let counts: Vec<i64> =
        mine["candidates"].as_array().unwrap().iter().map(|c| c["vote_count"].as_i64().unwrap()).collect();
    assert_eq!(counts, vec![2, 1, 0]);
    let (_, public) = app.get(&format!("/api/v1/polls/{poll}"), None).await;
    assert_eq!((public["my_votes"].as_array().unwrap().len(), &public["remaining_today"]), (0, &Value::Null));
    assert_eq!(assert_counts_consistent(app, poll).await, 3);

    // A poll that has not started takes no votes yet.
    let (later, l) =
        create_poll(app, &province, poll_body("明日开始的投票", "510000", today() + Days::new(1), 1, 2)).await;
    let (status, e) = vote(app, later, Some(&voter), l[0]).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("poll_not_open")), "{e}");

    // Lists: all polls, or a region's subtree.
    let (_, all) = app.get("/api/v1/polls", None).await;
    assert_eq!(all["total"], 3);
    let (_, county_polls) = app.get("/api/v1/polls?region=510321", None).await;
    let ids: Vec<i64> = county_polls["items"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![other_poll]);
    let listed = all["items"].as_array().unwrap().iter().find(|p| p["id"] == poll).unwrap();
    assert_eq!((listed["total_votes"].as_i64(), listed["phase"].as_str()), (Some(3), Some("open")));
    let (status, _) = app.get("/api/v1/polls?region=999999", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn concurrent_votes_never_pass_the_daily_limit(app: &TestApp) {
    let admin = app.admin("vc_admin", "510000").await;
    let (poll, c) = create_poll(app, &admin, poll_body("并发投票", "510000", today(), 3, 10)).await;
    let voters = [app.user("public", "vc_a", "510321").await, app.user("public", "vc_b", "510104").await];
    let mut calls = tokio::task::JoinSet::new();
    let url = app.url(&format!("/api/v1/polls/{poll}/votes"));
    for voter in &voters {
        // Every candidate once, and the first candidate five times more, all at once.
        for candidate in c.iter().chain(std::iter::repeat_n(&c[0], 5)) {
            let request = app.client.post(&url).bearer_auth(voter).json(&json!({"candidate_id": candidate}));
            calls.spawn(async move { request.send().await.unwrap().status() });
        }
    }
    let statuses = calls.join_all().await;
    let accepted = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    assert_eq!((accepted, refused), (6, statuses.len() - 6), "{statuses:?}");
    assert_eq!(assert_counts_consistent(app, poll).await, 6);
    for voter in &voters {
        let (_, mine) = app.get(&format!("/api/v1/polls/{poll}"), Some(voter)).await;
        let mut voted: Vec<i64> =
            mine["my_votes"].as_array().unwrap().iter().map(|v| v["candidate_id"].as_i64().unwrap()).collect();
        voted.sort_unstable();
        voted.dedup();
        assert_eq!(voted.len(), 3, "three different candidates each: {mine}");
        assert_eq!(mine["remaining_today"], 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_are_rate_limited_per_address() {
    let rules = RateRules { voting: Rate::per(2, std::time::Duration::from_secs(60)), ..Default::default() };
    let app = TestApp::sqlite_with(Settings { limits: rules, ..Default::default() }).await;
    let admin = app.admin("vr_admin", "510000").await;
    let (poll, c) = create_poll(&app, &admin, poll_body("限速投票", "510000", today(), 5, 5)).await;
    let voter = app.user("public", "vr_voter", "510321").await;
    let other = app.user("public", "vr_other", "510321").await;
    assert_eq!(vote(&app, poll, Some(&voter), c[0]).await.0, StatusCode::CREATED);
    assert_eq!(vote(&app, poll, Some(&other), c[0]).await.0, StatusCode::CREATED);
    // A third vote from this address within the minute, whoever casts it, waits.
    let r = app
        .client
        .post(app.url(&format!("/api/v1/polls/{poll}/votes")))
        .bearer_auth(&voter)
        .json(&json!({"candidate_id": c[1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(assert_counts_consistent(&app, poll).await, 2, "the refused vote was not counted");
    app.finish().await;
}

async fn voting_through_the_pages(app: &TestApp) {
    app.admin("vp_admin", "510300").await;
    app.user("public", "vp_voter", "510321").await;

    // The admin organises a poll through the form; its region must be in the admin's scope.
    let (admin_web, token) = web_session(app, "vp_admin").await;
    let form = admin_web.get(app.url("/admin/polls/new")).send().await.unwrap().text().await.unwrap();
    assert!(form.contains("发起投票") && form.contains("value=\"510300\""), "the form offers the admin's city");
    assert!(!form.contains("value=\"510100\""), "and not other cities");
    let ends = (today() + Days::new(7)).to_string();
    let today = today().to_string();
    let fields = |region: &'static str, candidates: &'static str| {
        vec![
            ("_csrf", token.clone()),
            ("title", "自贡市最美科技工作者".to_string()),
            ("description", "请为您心目中的最美科技工作者投票".to_string()),
            ("region_code", region.to_string()),
            ("starts_on", today.clone()),
            ("ends_on", ends.clone()),
            ("votes_per_day", "1".to_string()),
            ("candidates", candidates.to_string()),
        ]
    };
    let r = admin_web.post(app.url("/admin/polls/new")).form(&fields("510300", "只有一位")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("候选应有2到") && html.contains("自贡市最美科技工作者"), "the form comes back filled in");
    let r = admin_web
        .post(app.url("/admin/polls/new"))
        .form(&fields("510100", "张三｜盐化工专家\n李四"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "another city");
    let r = admin_web
        .post(app.url("/admin/polls/new"))
        .form(&fields("510321", "张三｜盐化工专家\n李四｜果树栽培"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let at = r.headers()["location"].to_str().unwrap().to_string();
    let poll: i64 = at.trim_start_matches("/polls/").parse().unwrap();

    // The public sees it; a voter votes with the button and sees the result.
    let list = app.page("/polls").await;
    assert!(list.contains("自贡市最美科技工作者") && list.contains("投票中"));
    let anonymous = app.page(&at).await;
    assert!(
        anonymous.contains("盐化工专家") && anonymous.contains("登录</a>后即可投票") && !anonymous.contains("投一票")
    );
    let (web, token) = web_session(app, "vp_voter").await;
    let (_, detail) = app.get(&format!("/api/v1/polls/{poll}"), None).await;
    let first = detail["candidates"][0]["id"].as_i64().unwrap().to_string();
    let second = detail["candidates"][1]["id"].as_i64().unwrap().to_string();
    let page = web.get(app.url(&at)).send().await.unwrap().text().await.unwrap();
    assert_eq!(page.matches("投一票").count(), 2);
    assert!(page.contains("今天还可投 <strong>1</strong> 票"));
    let action = format!("/polls/{poll}/vote");
    let r =
        web.post(app.url(&action)).form(&[("_csrf", token.as_str()), ("candidate_id", &first)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("/polls/{poll}?voted=1").as_str());
    let page = web.get(app.url(&format!("/polls/{poll}?voted=1"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("投票成功") && page.contains("今天已投") && page.contains("1 票"));
    assert!(!page.contains("投一票"), "no votes left today, so no buttons");
    // Past the daily rule the page says why, with a conflict status.
    let r =
        web.post(app.url(&action)).form(&[("_csrf", token.as_str()), ("candidate_id", &second)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("每人每天最多投1票"));
    let r = web.post(app.url(&action)).form(&[("_csrf", token.as_str()), ("candidate_id", "x")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, detail) = app.get(&format!("/api/v1/polls/{poll}"), None).await;
    assert_eq!(detail["poll"]["total_votes"], 1);

    // Non-admins cannot open the organiser's form.
    let r = web.get(app.url("/admin/polls/new")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
