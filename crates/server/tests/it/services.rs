//! 科服保姆 work through the HTTP API: stewards, 一企一策, service orders, proposals and consent,
//! contracts, projects and the counters.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{TestApp, assert_error, id_of, item_body, steward, web_session};

crate::on_both_backends!(
    need_to_counted_deal,
    orders_reject_illegal_moves_and_outsiders,
    service_plans_belong_to_the_lead_steward,
    contract_scans_and_corrections,
    contract_scans_with_scripts_are_refused,
    service_pages_walk_an_order,
);

/// Publishes an item of `kind` as `owner` and has `admin` approve it; returns its id.
async fn published(app: &TestApp, owner: &str, admin: &str, kind: &str, body: Value) -> i64 {
    let (status, item) = app.post(&format!("/api/v1/{kind}?submit=true"), Some(owner), body).await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let id = item["id"].as_i64().unwrap();
    let (status, item) =
        app.post(&format!("/api/v1/{kind}/{id}/review"), Some(admin), json!({"decision": "approve"})).await;
    assert_eq!((status, item["status"].as_str()), (StatusCode::OK, Some("published")), "{item}");
    id
}

async fn expert_with_capability(
    app: &TestApp,
    admin: &str,
    username: &str,
    region: &str,
    title: &str,
) -> (String, i64) {
    let body = json!({"username": username, "password": "kjy-secret-2026", "role": "expert",
        "display_name": format!("专家{username}"), "region_code": region, "title": "研究员",
        "employer": "四川轻化工大学", "phone": "13700003333", "email": format!("{username}@example.cn")});
    let (status, reply) = app.post("/api/v1/auth/register", None, body).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let token = app.login(username, "kjy-secret-2026").await;
    let mut capability = item_body("capabilities", "丢糟饲料化");
    capability["title"] = json!(title);
    published(app, &token, admin, "capabilities", capability).await;
    let id = id_of(app, &token).await;
    (token, id)
}

fn proposal_of(order: &Value, provider: i64) -> &Value {
    order["proposals"].as_array().unwrap().iter().find(|p| p["provider_id"] == provider).expect("proposal present")
}

async fn stats(app: &TestApp, admin: &str, region: &str) -> Value {
    let (status, body) = app.get(&format!("/api/v1/stats/services?region={region}"), Some(admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn pdf() -> Vec<u8> {
    crate::scan_pdf()
}

/// The scan with a script that runs on opening, packed in a Flate-compressed object stream (so
/// the file's bytes never spell `JavaScript`).
fn scripted_pdf() -> Vec<u8> {
    use lopdf::{Object, SaveOptions, dictionary};
    let mut doc = crate::scan_document();
    let action = doc.add_object(dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)") });
    let catalog = doc.trailer.get(b"Root").and_then(Object::as_reference).unwrap();
    doc.get_dictionary_mut(catalog).unwrap().set("OpenAction", action);
    let options = SaveOptions::builder()
        .use_object_streams(true)
        .use_xref_streams(true)
        .max_objects_per_stream(100)
        .compression_level(6)
        .build();
    let mut out = Vec::new();
    doc.save_with_options(&mut out, options).unwrap();
    assert!(!out.windows(10).any(|w| w == b"JavaScript"), "the script is compressed");
    out
}

async fn put_bytes(app: &TestApp, path: &str, token: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let resp = app
        .client
        .put(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/pdf")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The whole path: need → order → two proposals, one declined, one agreed → contacts to
/// both sides only → contract registered and verified → project with milestones → completed and
/// rated → counted in county, city and province; an unverified contract does not count.
async fn need_to_counted_deal(app: &TestApp) {
    let province = app.admin("admin_sc", "510000").await;
    let city = app.admin("admin_zg", "510300").await;
    let county = app.admin("admin_rx", "510321").await;
    let other_county = app.admin("admin_fs", "510322").await;
    let org = app.user("org", "jiuye", "510321").await;
    let org_id = id_of(app, &org).await;
    let keeper = steward(app, &county, "keeper", "510321").await;
    let keeper_id = id_of(app, &keeper).await;

    // The county admin assigns the steward; the other county's admin may not.
    let (status, body) = app
        .post(&format!("/api/v1/orgs/{org_id}/steward"), Some(&other_county), json!({"steward_id": keeper_id}))
        .await;
    assert_error(status, &body, 403, "forbidden");
    let (status, history) =
        app.post(&format!("/api/v1/orgs/{org_id}/steward"), Some(&county), json!({"steward_id": keeper_id})).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history[0]["steward_id"], keeper_id);

    let need_id = published(app, &org, &county, "needs", item_body("needs", "丢糟饲料化")).await;
    let (wang, wang_id) = expert_with_capability(app, &city, "wangwu", "510302", "白酒丢糟固态发酵饲料化技术").await;
    let (li, li_id) = expert_with_capability(app, &city, "lijun", "510303", "酒糟蛋白饲料发酵工艺咨询").await;
    let outsider = app.user("expert", "outsider", "510100").await;

    // The org opens an order from its need; the steward sees it on the desk with an SLA due date.
    let (status, opened) =
        app.post("/api/v1/orders", Some(&org), json!({"order_type": "需求对接", "need_id": need_id})).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let order_id = opened["order"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/orders/{order_id}");
    assert_eq!(opened["order"]["status"], "accepted");
    assert_eq!(opened["order"]["steward_id"], keeper_id);
    assert_eq!(opened["order"]["overdue"], false);
    assert!(opened["order"]["first_response_due"].as_str().unwrap() > opened["order"]["opened_at"].as_str().unwrap());
    let (_, desk) = app.get("/api/v1/orders", Some(&keeper)).await;
    assert_eq!(desk["items"][0]["id"], order_id, "{desk}");
    let (_, served) = app.get("/api/v1/steward/orgs", Some(&keeper)).await;
    assert_eq!((served[0]["org_id"].as_i64(), served[0]["open_needs"].as_i64()), (Some(org_id), Some(1)), "{served}");
    assert_eq!(served[0]["open_orders"], 1);

    // The match list suggests both experts; the steward proposes the two of them.
    let (status, suggested) = app.get(&format!("{path}/suggestions?kind=expert"), Some(&keeper)).await;
    assert_eq!(status, StatusCode::OK, "{suggested}");
    let suggested: Vec<i64> = suggested.as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert!(suggested.contains(&wang_id) && suggested.contains(&li_id), "{suggested:?}");
    for expert in [wang_id, li_id] {
        let (status, body) =
            app.post(&format!("{path}/proposals"), Some(&keeper), json!({"provider_id": expert})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (_, order) = app.get(&path, Some(&keeper)).await;
    assert_eq!(order["order"]["status"], "matching");
    assert!(order["order"]["first_response_at"].is_string(), "proposing is the first response");
    // Proposed experts are no longer suggested; re-proposing is a conflict.
    let (_, again) = app.get(&format!("{path}/suggestions?kind=expert"), Some(&keeper)).await;
    assert!(again.as_array().unwrap().iter().all(|s| s["id"] != wang_id && s["id"] != li_id), "{again}");
    let (status, body) = app.post(&format!("{path}/proposals"), Some(&keeper), json!({"provider_id": li_id})).await;
    assert_error(status, &body, 409, "illegal_transition");

    // Each expert has it in 待处理; Li declines with a reason, Wang accepts.
    let (_, pending) = app.get("/api/v1/me/invitations", Some(&li)).await;
    assert_eq!(pending[0]["proposal"]["order_id"], order_id, "{pending}");
    assert!(pending[0]["proposal"]["contact"].is_null());
    let li_proposal = proposal_of(&order, li_id)["id"].as_i64().unwrap();
    let wang_proposal = proposal_of(&order, wang_id)["id"].as_i64().unwrap();
    let (status, body) =
        app.post(&format!("{path}/proposals/{li_proposal}/respond"), Some(&li), json!({"accept": false})).await;
    assert_eq!(body["error"]["field"], "reason", "a decline needs a reason: {body}");
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = app
        .post(
            &format!("{path}/proposals/{li_proposal}/respond"),
            Some(&li),
            json!({"accept": false, "reason": "时间冲突"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["proposals"].as_array().unwrap().len(), 1, "a provider sees only their own proposal");
    let (status, body) =
        app.post(&format!("{path}/proposals/{li_proposal}/respond"), Some(&li), json!({"accept": true})).await;
    assert_error(status, &body, 409, "illegal_transition");
    // The declined pair stays out: not suggested again, and proposing again is a conflict.
    let (_, again) = app.get(&format!("{path}/suggestions?kind=expert"), Some(&keeper)).await;
    assert!(again.as_array().unwrap().iter().all(|s| s["id"] != li_id), "{again}");
    let (status, body) = app.post(&format!("{path}/proposals"), Some(&keeper), json!({"provider_id": li_id})).await;
    assert_error(status, &body, 409, "illegal_transition");
    let (status, body) =
        app.post(&format!("{path}/proposals/{wang_proposal}/respond"), Some(&wang), json!({"accept": true})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(proposal_of(&body, wang_id)["contact"].is_null(), "no contacts before the org agrees");
    let (_, order) = app.get(&path, Some(&org)).await;
    assert!(proposal_of(&order, wang_id)["contact"].is_null());
    assert_eq!(order["order"]["status"], "matching");

    // The org accepts Wang: the order is 已对接 and the two see each other's contacts.
    let (status, order) =
        app.post(&format!("{path}/proposals/{wang_proposal}/respond"), Some(&org), json!({"accept": true})).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(order["order"]["status"], "introduced");
    assert_eq!(proposal_of(&order, wang_id)["contact"]["phone"], "13700003333");
    assert_eq!(proposal_of(&order, wang_id)["contact"]["email"], "wangwu@example.cn");
    assert!(proposal_of(&order, li_id)["contact"].is_null(), "a declined expert's contact stays hidden");
    let (_, seen_by_wang) = app.get(&path, Some(&wang)).await;
    assert_eq!(proposal_of(&seen_by_wang, wang_id)["contact"]["phone"], "13800001111", "{seen_by_wang}");
    // …and only to them: the steward, the declined expert, a stranger and the public API do not.
    let (_, seen_by_keeper) = app.get(&path, Some(&keeper)).await;
    assert!(seen_by_keeper["proposals"].as_array().unwrap().iter().all(|p| p["contact"].is_null()));
    let (_, seen_by_li) = app.get(&path, Some(&li)).await;
    assert!(!seen_by_li.to_string().contains("13800001111") && !seen_by_li.to_string().contains("13700003333"));
    assert_eq!(app.get(&path, Some(&outsider)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path, None).await.0, StatusCode::UNAUTHORIZED);
    let (_, public_need) = app.get(&format!("/api/v1/needs/{need_id}"), None).await;
    assert!(!public_need.to_string().contains("13800001111"));
    let (_, public_matches) = app.get(&format!("/api/v1/needs/{need_id}/matches?kind=expert"), None).await;
    assert!(!public_matches.to_string().contains("13700003333"), "{public_matches}");

    // A contract for the order needs both parties. The steward, the declined expert and a
    // stranger cannot register it, and the order does not move.
    let contract = json!({
        "contract_type": "技术开发", "title": "白酒丢糟饲料化技术开发合同",
        "buyer": {"user_id": org_id}, "seller": {"user_id": wang_id},
        "amount_wan": "35.5", "signed_on": "2026-11-20", "need_id": need_id, "order_id": order_id
    });
    let mut by_li = contract.clone();
    by_li["seller"] = json!({"user_id": li_id});
    for (who, body) in [(&keeper, &contract), (&li, &by_li), (&outsider, &contract)] {
        let (status, reply) = app.post("/api/v1/contracts", Some(who), body.clone()).await;
        assert!(matches!(status.as_u16(), 403 | 404), "{reply}");
    }
    let (status, reply) = app.post("/api/v1/contracts", Some(&org), by_li).await;
    assert_eq!(
        (status.as_u16(), reply["error"]["field"].as_str()),
        (422, Some("seller")),
        "the other party is Wang: {reply}"
    );
    let (_, order) = app.get(&path, Some(&org)).await;
    assert_eq!(order["order"]["status"], "introduced", "a refused contract moves nothing");
    // The org registers it: 待确认 until Wang confirms, seen by nobody else meanwhile.
    let (status, registered) = app.post("/api/v1/contracts", Some(&org), contract.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    assert_eq!(
        (registered["status"].as_str(), registered["region_code"].as_str(), registered["confirm_by"].as_i64()),
        (Some("pending"), Some("510321"), Some(wang_id))
    );
    assert_eq!(registered["amount_wan"], "35.5");
    let contract_id = registered["id"].as_i64().unwrap();
    let cpath = format!("/api/v1/contracts/{contract_id}");
    let (_, order) = app.get(&path, Some(&org)).await;
    assert_eq!(order["order"]["status"], "introduced", "not signed before both agree");
    assert_eq!(app.get(&cpath, Some(&county)).await.0, StatusCode::FORBIDDEN, "admins do not see it yet");
    assert_eq!(app.get(&cpath, Some(&keeper)).await.0, StatusCode::FORBIDDEN);
    let (_, listed) = app.get("/api/v1/contracts", Some(&county)).await;
    assert!(listed["items"].as_array().unwrap().iter().all(|c| c["id"] != contract_id), "{listed}");
    let (status, body) = app.post(&format!("{cpath}/verify"), Some(&county), json!({"approve": true})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app.post(&format!("{cpath}/confirm"), Some(&org), json!({"accept": true})).await;
    assert_error(status, &body, 403, "forbidden");
    let (_, wang_list) = app.get("/api/v1/contracts", Some(&wang)).await;
    assert_eq!(wang_list["items"][0]["status"], "pending", "Wang sees it as a request to confirm");
    app.settle().await;
    let (_, notices) = app.get("/api/v1/me/notifications", Some(&wang)).await;
    assert!(notices.to_string().contains("请确认技术合同"), "{notices}");
    let (status, body) = app.post(&format!("{cpath}/confirm"), Some(&wang), json!({"accept": false})).await;
    assert_eq!((status.as_u16(), body["error"]["field"].as_str()), (422, Some("reason")));
    let (status, confirmed) = app.post(&format!("{cpath}/confirm"), Some(&wang), json!({"accept": true})).await;
    assert_eq!((status, confirmed["status"].as_str()), (StatusCode::OK, Some("registered")), "{confirmed}");
    let (status, body) = app.post(&format!("{cpath}/confirm"), Some(&wang), json!({"accept": true})).await;
    assert_error(status, &body, 409, "illegal_transition");
    let (_, order) = app.get(&path, Some(&org)).await;
    assert_eq!(order["order"]["status"], "signed");

    // A second contract, registered by the org alone, stays unverified and must not count.
    let mut unverified = contract.clone();
    unverified["order_id"] = Value::Null;
    unverified["title"] = json!("丢糟检测技术服务合同");
    unverified["contract_type"] = json!("service");
    unverified["amount_wan"] = json!(100);
    let (status, body) = app.post("/api/v1/contracts", Some(&org), unverified).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Verification: the other county's admin may not; the county admin verifies.
    let (status, body) = app
        .post(&format!("/api/v1/contracts/{contract_id}/verify"), Some(&other_county), json!({"approve": true}))
        .await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) =
        app.post(&format!("/api/v1/contracts/{contract_id}/verify"), Some(&county), json!({"approve": true})).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("verified")), "{body}");

    // A project with two milestones; the buyer accepts one.
    let (status, project) = app.post(&format!("/api/v1/contracts/{contract_id}/project"), Some(&wang), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    let project_id = project["id"].as_i64().unwrap();
    let ppath = format!("/api/v1/projects/{project_id}");
    for (name, due, pay) in [("小试", "2026-10-01", "10"), ("中试", "2099-06-30", "25.5")] {
        let body = json!({"name": name, "due_on": due, "deliverable": format!("{name}报告"), "payment_wan": pay});
        let (status, reply) = app.post(&format!("{ppath}/milestones"), Some(&wang), body).await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
    }
    let (_, project) =
        app.post(&format!("{ppath}/progress"), Some(&wang), json!({"text": "小试完成，正在整理报告"})).await;
    assert_eq!(project["progress"][0]["text"], "小试完成，正在整理报告");
    assert_eq!(project["overdue"], true, "the first milestone is past due: {project}");
    let (_, overdue) = app.get("/api/v1/admin/overdue-projects", Some(&city)).await;
    assert_eq!(overdue[0]["id"], project_id, "{overdue}");
    let first = project["milestones"][0]["id"].as_i64().unwrap();
    let (status, body) = app.post(&format!("{ppath}/milestones/{first}/accept"), Some(&wang), json!({})).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, project) =
        app.post(&format!("{ppath}/milestones/{first}/accept"), Some(&org), json!({"opinion": "通过"})).await;
    assert_eq!(status, StatusCode::OK, "{project}");
    assert_eq!(project["milestones"][0]["status"], "accepted");
    assert_eq!((project["status"].as_str(), project["overdue"].as_bool()), (Some("ongoing"), Some(false)));
    let (status, body) = app.post(&format!("{ppath}/milestones/{first}/accept"), Some(&org), json!({})).await;
    assert_error(status, &body, 409, "illegal_transition");

    // Completed and rated once.
    let (status, body) = app.post(&format!("{path}/complete"), Some(&keeper), json!({})).await;
    assert_eq!((status, body["order"]["status"].as_str()), (StatusCode::OK, Some("completed")), "{body}");
    let (status, body) =
        app.post(&format!("{path}/rating"), Some(&org), json!({"score": 5, "comment": "专员很负责"})).await;
    assert_eq!((status, body["order"]["rating"].as_i64()), (StatusCode::OK, Some(5)), "{body}");
    let (status, body) = app.post(&format!("{path}/rating"), Some(&org), json!({"score": 4})).await;
    assert_error(status, &body, 409, "illegal_transition");

    // Wang's record now shows in the expert matches; Li (who declined) has none.
    let (_, experts) = app.get(&format!("/api/v1/needs/{need_id}/matches?kind=expert"), None).await;
    let wang_match = experts
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == wang_id)
        .unwrap_or_else(|| panic!("wang suggested: {experts}"));
    assert!(wang_match["reasons"].to_string().contains("已完成科服对接1单"), "{wang_match}");
    let li_match = experts
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == li_id)
        .unwrap_or_else(|| panic!("li suggested: {experts}"));
    assert!(!li_match["reasons"].to_string().contains("已完成科服对接"), "{li_match}");

    // The counters: county, its city and the province show it; another county does not.
    for (admin, region) in [(&county, "510321"), (&city, "510300"), (&province, "510000")] {
        let s = stats(app, admin, region).await;
        assert_eq!(s["orders_opened"], 1, "{region}: {s}");
        assert_eq!(s["orders_completed"], 1, "{s}");
        assert_eq!(s["orgs_served"], 1, "{s}");
        assert_eq!(s["solutions"], 1, "{s}");
        assert_eq!(s["contracts"], 1, "only the verified contract counts: {s}");
        assert_eq!(s["transaction_wan"], "35.5", "{s}");
        assert_eq!(s["projects"], 1, "{s}");
        assert_eq!(s["satisfaction"], 5.0, "{s}");
        assert!(s["avg_first_response_hours"].as_f64().unwrap() >= 0.0);
        assert_eq!(s["decline_reasons"][0]["reason"], "schedule", "{s}");
        assert_eq!(s["stewards"][0]["steward_id"], keeper_id, "{s}");
        assert_eq!(s["stewards"][0]["declines"], 1, "{s}");
    }
    let elsewhere = stats(app, &province, "510100").await;
    assert_eq!((elsewhere["orders_opened"].as_i64(), elsewhere["contracts"].as_i64()), (Some(0), Some(0)));
    let (status, body) = app.get("/api/v1/stats/services?region=510300", Some(&county)).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) =
        app.get("/api/v1/stats/services?region=510300&from=2026-12-01&to=2026-01-01", Some(&city)).await;
    assert_error(status, &body, 400, "invalid_query");
    let past = app.get("/api/v1/stats/services?region=510300&from=2020-01-01&to=2020-12-31", Some(&city)).await.1;
    assert_eq!((past["orders_opened"].as_i64(), past["contracts"].as_i64()), (Some(0), Some(0)), "{past}");
}

/// Illegal transitions (409), a steward acting on an org not assigned to them (403), a foreign org
/// reading the order (404), a rating before completion or by someone else.
async fn orders_reject_illegal_moves_and_outsiders(app: &TestApp) {
    let county = app.admin("admin_rx", "510321").await;
    let org = app.user("org", "chang", "510321").await;
    let org_id = id_of(app, &org).await;
    let foreign = app.user("org", "foreign", "510321").await;
    let keeper = steward(app, &county, "keeper2", "510321").await;
    let keeper_id = id_of(app, &keeper).await;
    let stranger_steward = steward(app, &county, "stranger", "510321").await;
    app.post(&format!("/api/v1/orgs/{org_id}/steward"), Some(&county), json!({"steward_id": keeper_id})).await;

    let body = json!({"order_type": "technical_nonsense", "title": "咨询锅炉节能改造", "description": "锅炉能耗高，想了解节能改造的技术路线。"});
    let (status, reply) = app.post("/api/v1/orders", Some(&org), body).await;
    assert_error(status, &reply, 400, "invalid_body");
    let body = json!({"order_type": "技术咨询", "title": "咨询锅炉节能改造", "description": "锅炉能耗高，想了解节能改造的技术路线。"});
    let (status, opened) = app.post("/api/v1/orders", Some(&org), body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let path = format!("/api/v1/orders/{}", opened["order"]["id"]);

    // Someone else's org, another steward, an expert cannot open orders for this org.
    let mut for_org = body.clone();
    for_org["org_id"] = json!(org_id);
    let (status, reply) = app.post("/api/v1/orders", Some(&stranger_steward), for_org.clone()).await;
    assert_error(status, &reply, 403, "forbidden");
    let (status, reply) = app.post("/api/v1/orders", Some(&foreign), for_org).await;
    assert_error(status, &reply, 403, "forbidden");

    // Illegal moves: complete or rate an order that was never matched.
    let (status, reply) = app.post(&format!("{path}/complete"), Some(&keeper), json!({})).await;
    assert_error(status, &reply, 409, "illegal_transition");
    let (status, reply) = app.post(&format!("{path}/rating"), Some(&org), json!({"score": 5})).await;
    assert_error(status, &reply, 409, "illegal_transition");
    // A steward not assigned to this org: 403 on reading and acting; a foreign org: 404.
    let (status, reply) = app.post(&format!("{path}/start"), Some(&stranger_steward), json!({})).await;
    assert_error(status, &reply, 403, "forbidden");
    let (status, reply) = app.get(&path, Some(&stranger_steward)).await;
    assert_error(status, &reply, 403, "forbidden");
    let (status, reply) = app.get(&path, Some(&foreign)).await;
    assert_error(status, &reply, 404, "not_found");
    let (status, reply) = app.post(&format!("{path}/close"), Some(&foreign), json!({"reason": "不需要了"})).await;
    assert_error(status, &reply, 404, "not_found");
    // The org itself cannot do the steward's work.
    let (status, reply) = app.post(&format!("{path}/start"), Some(&org), json!({})).await;
    assert_error(status, &reply, 403, "forbidden");

    let (status, started) = app.post(&format!("{path}/start"), Some(&keeper), json!({})).await;
    assert_eq!((status, started["order"]["status"].as_str()), (StatusCode::OK, Some("matching")), "{started}");
    let (status, reply) = app.post(&format!("{path}/start"), Some(&keeper), json!({})).await;
    assert_error(status, &reply, 409, "illegal_transition");
    // No contract for an order before both sides agreed to talk (not even by the org itself), and
    // never by the steward; nothing is registered.
    let contract = json!({"contract_type": "技术咨询", "title": "锅炉节能改造咨询合同", "buyer": {"user_id": org_id},
        "seller": {"name": "某节能技术公司"}, "amount_wan": 3, "signed_on": "2026-11-20",
        "order_id": opened["order"]["id"]});
    for who in [&keeper, &org] {
        let (status, reply) = app.post("/api/v1/contracts", Some(who), contract.clone()).await;
        assert_error(status, &reply, 403, "forbidden");
    }
    let (_, contracts) = app.get("/api/v1/contracts", Some(&county)).await;
    assert_eq!(contracts["total"], 0, "{contracts}");
    // Proposing a non-expert or nobody is refused.
    let (status, reply) = app.post(&format!("{path}/proposals"), Some(&keeper), json!({"provider_id": org_id})).await;
    assert_error(status, &reply, 422, "validation_failed");
    let (status, reply) = app.post(&format!("{path}/proposals"), Some(&keeper), json!({})).await;
    assert_error(status, &reply, 422, "validation_failed");
    // A technical question cannot complete before an introduction; closing needs a reason.
    let (status, reply) = app.post(&format!("{path}/complete"), Some(&keeper), json!({})).await;
    assert_error(status, &reply, 409, "illegal_transition");
    let (status, reply) = app.post(&format!("{path}/close"), Some(&org), json!({"reason": ""})).await;
    assert_error(status, &reply, 422, "validation_failed");
    let (status, closed) = app.post(&format!("{path}/close"), Some(&org), json!({"reason": "已自行解决"})).await;
    assert_eq!((status, closed["order"]["status"].as_str()), (StatusCode::OK, Some("closed")), "{closed}");
    assert_eq!(closed["order"]["close_reason"], "已自行解决");
    let (status, reply) = app.post(&format!("{path}/close"), Some(&org), json!({"reason": "再关一次"})).await;
    assert_error(status, &reply, 409, "illegal_transition");

    // A policy question completes without an expert.
    let body = json!({"order_type": "政策咨询", "title": "高新技术企业认定政策", "description": "想了解高新技术企业认定的条件和申报时间。"});
    let (_, policy) = app.post("/api/v1/orders", Some(&org), body).await;
    let ppath = format!("/api/v1/orders/{}", policy["order"]["id"]);
    app.post(&format!("{ppath}/start"), Some(&keeper), json!({})).await;
    let (status, done) = app.post(&format!("{ppath}/complete"), Some(&keeper), json!({})).await;
    assert_eq!((status, done["order"]["status"].as_str()), (StatusCode::OK, Some("completed")), "{done}");
    let (status, reply) = app.post(&format!("{ppath}/rating"), Some(&keeper), json!({"score": 5})).await;
    assert_error(status, &reply, 403, "forbidden");
    let (status, reply) = app.post(&format!("{ppath}/rating"), Some(&org), json!({"score": 9})).await;
    assert_error(status, &reply, 422, "validation_failed");

    // Lists: the org sees its two orders, the admin filters by state, experts are pointed elsewhere.
    let (_, mine) = app.get("/api/v1/orders", Some(&org)).await;
    assert_eq!(mine["total"], 2, "{mine}");
    let (_, closed_list) = app.get("/api/v1/orders?status=已关闭", Some(&county)).await;
    assert_eq!(closed_list["total"], 1, "{closed_list}");
    let (_, overdue) = app.get("/api/v1/orders?overdue=true", Some(&county)).await;
    assert_eq!(overdue["total"], 0);
    // An order nobody answered past its deadline is flagged, listed first and counted.
    let body = json!({"order_type": "人才引进", "title": "引进发酵工程人才", "description": "需要一名发酵工程方向的技术骨干。"});
    let (_, late) = app.post("/api/v1/orders", Some(&org), body).await;
    let late_id = late["order"]["id"].as_i64().unwrap();
    let past = kejiyun_domain::time::to_millis(kejiyun_domain::time::now()) - 60_000;
    sqlx::query("UPDATE service_orders SET first_response_due = $1 WHERE id = $2")
        .bind(past)
        .bind(late_id)
        .execute(app.state.db.writer())
        .await
        .unwrap();
    let (_, overdue) = app.get("/api/v1/orders?overdue=true", Some(&county)).await;
    assert_eq!((overdue["total"].as_i64(), overdue["items"][0]["id"].as_i64()), (Some(1), Some(late_id)), "{overdue}");
    assert_eq!(overdue["items"][0]["overdue"], true);
    let (_, desk) = app.get("/api/v1/orders", Some(&keeper)).await;
    assert_eq!(desk["items"][0]["id"], late_id, "overdue orders come first: {desk}");
    let (_, stats) = app.get("/api/v1/stats/services?region=510321", Some(&county)).await;
    assert_eq!(stats["overdue_orders"], 1, "{stats}");
    let (_, answered) = app.post(&format!("/api/v1/orders/{late_id}/start"), Some(&keeper), json!({})).await;
    assert_eq!(answered["order"]["overdue"], false, "a response clears the flag: {answered}");
    let expert = app.user("expert", "zhang", "510321").await;
    let (status, reply) = app.get("/api/v1/orders", Some(&expert)).await;
    assert_error(status, &reply, 403, "forbidden");
    let (status, reply) = app.call(Method::GET, "/api/v1/orders?page=0", Some(&org), None).await;
    assert_eq!(status.as_u16() / 100, 4, "{reply}");
}

/// 一企一策: the lead steward writes; the org and admins above read; reassignment keeps history.
async fn service_plans_belong_to_the_lead_steward(app: &TestApp) {
    let county = app.admin("admin_rx", "510321").await;
    let city = app.admin("admin_zg", "510300").await;
    let other_county = app.admin("admin_fs", "510322").await;
    let org = app.user("org", "planned", "510321").await;
    let org_id = id_of(app, &org).await;
    let first = steward(app, &county, "first", "510321").await;
    let first_id = id_of(app, &first).await;
    let second = steward(app, &county, "second", "510321").await;
    let second_id = id_of(app, &second).await;
    let plan = format!("/api/v1/orgs/{org_id}/plan");

    let (status, reply) =
        app.call(Method::PUT, &plan, Some(&first), Some(json!({"situation": "x", "goals": "y"}))).await;
    assert_error(status, &reply, 403, "forbidden");
    app.post(&format!("/api/v1/orgs/{org_id}/steward"), Some(&county), json!({"steward_id": first_id})).await;
    let body = json!({"situation": "年产白酒5000吨，丢糟处理成本高", "goals": "一年内实现丢糟饲料化利用"});
    let (status, saved) = app.call(Method::PUT, &plan, Some(&first), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, saved) = app
        .post(&format!("{plan}/actions"), Some(&first), json!({"title": "对接饲料化专家", "due_on": "2020-01-31"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["actions"][0]["overdue"], true);
    let action_id = saved["actions"][0]["id"].as_i64().unwrap();
    let (status, done) = app.post(&format!("{plan}/actions/{action_id}/done"), Some(&first), json!({})).await;
    assert_eq!((status, done["actions"][0]["overdue"].as_bool()), (StatusCode::OK, Some(false)), "{done}");
    let visit = json!({"contact_on": "2026-11-20", "channel": "上门", "summary": "走访企业，了解丢糟处理现状", "follow_up": "下周推荐专家"});
    let (status, saved) = app.post(&format!("/api/v1/orgs/{org_id}/contacts"), Some(&first), visit).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let future = json!({"contact_on": "2099-01-01", "channel": "phone", "summary": "未来的电话"});
    let (status, reply) = app.post(&format!("/api/v1/orgs/{org_id}/contacts"), Some(&first), future).await;
    assert_error(status, &reply, 422, "validation_failed");

    // Readers: the org, the city admin; not another county's admin, not another org.
    for reader in [&org, &city] {
        let (status, read) = app.get(&plan, Some(reader)).await;
        assert_eq!(status, StatusCode::OK, "{read}");
        assert_eq!(read["goals"], "一年内实现丢糟饲料化利用");
        assert_eq!(read["contacts"][0]["channel"], "onsite");
    }
    let (status, reply) = app.get(&plan, Some(&other_county)).await;
    assert_error(status, &reply, 403, "forbidden");
    let stranger = app.user("org", "stranger_org", "510321").await;
    assert_eq!(app.get(&plan, Some(&stranger)).await.0, StatusCode::NOT_FOUND);
    // The org reads but does not write its plan.
    let (status, reply) = app.call(Method::PUT, &plan, Some(&org), Some(json!({"situation": "a", "goals": "b"}))).await;
    assert_error(status, &reply, 403, "forbidden");
    let (_, served) = app.get("/api/v1/steward/orgs", Some(&first)).await;
    assert_eq!(served[0]["last_contact_on"], "2026-11-20", "{served}");

    // Reassignment: the new steward writes, the old one no longer; history keeps both.
    let body = json!({"order_type": "other", "title": "平台账号问题", "description": "登录后看不到本单位发布的需求。"});
    let (_, order) = app.post("/api/v1/orders", Some(&org), body).await;
    assert_eq!(order["order"]["steward_id"], first_id);
    app.post(&format!("/api/v1/orgs/{org_id}/steward"), Some(&county), json!({"steward_id": second_id})).await;
    let (_, history) = app.get(&format!("/api/v1/orgs/{org_id}/stewards"), Some(&org)).await;
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
    assert_eq!((history[0]["steward_id"].as_i64(), history[0]["ended_at"].is_null()), (Some(second_id), true));
    assert!(history[1]["ended_at"].is_string());
    let (status, _) =
        app.call(Method::PUT, &plan, Some(&second), Some(json!({"situation": "新", "goals": "新"}))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.call(Method::PUT, &plan, Some(&first), Some(json!({"situation": "旧", "goals": "旧"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, moved) = app.get(&format!("/api/v1/orders/{}", order["order"]["id"]), Some(&second)).await;
    assert_eq!(moved["order"]["steward_id"], second_id, "open orders follow the new steward: {moved}");
    app.settle().await;
    let (_, notices) = app.get("/api/v1/me/notifications", Some(&second)).await;
    assert!(notices.to_string().contains("新的服务企业"), "{notices}");
}

/// Scans are PDFs within limits, read only by those involved; returned contracts are corrected.
async fn contract_scans_and_corrections(app: &TestApp) {
    let county = app.admin("admin_rx", "510321").await;
    let org = app.user("org", "buyer", "510321").await;
    let org_id = id_of(app, &org).await;
    let stranger = app.user("org", "peeker", "510321").await;
    let body = json!({
        "contract_type": "技术服务", "title": "发酵车间检测服务合同",
        "buyer": {"user_id": org_id}, "seller": {"name": "成都某某检测有限公司"},
        "amount_wan": 12.25, "signed_on": "2026-11-01"
    });
    // Only a party registers a contract.
    let stranger_id = id_of(app, &stranger).await;
    let (status, reply) = app.post("/api/v1/contracts", Some(&stranger), body.clone()).await;
    assert_error(status, &reply, 403, "forbidden");
    // A seller naming this org as buyer (no relation between them) learns nothing: the answer
    // is the one for an id that is no account.
    let mut as_seller = body.clone();
    as_seller["seller"] = json!({"user_id": stranger_id});
    let (status, reply) = app.post("/api/v1/contracts", Some(&stranger), as_seller.clone()).await;
    assert_error(status, &reply, 422, "validation_failed");
    assert_eq!(reply["error"]["field"], "buyer");
    as_seller["buyer"] = json!({"user_id": 987_654});
    let (_, unknown) = app.post("/api/v1/contracts", Some(&stranger), as_seller).await;
    assert_eq!(unknown, reply, "no such account and not yours to name look the same");
    let mut bad = body.clone();
    bad["amount_wan"] = json!("12.123456");
    let (status, reply) = app.post("/api/v1/contracts", Some(&org), bad).await;
    assert_eq!(status.as_u16(), 400, "{reply}");
    let (status, created) = app.post("/api/v1/contracts", Some(&org), body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let cpath = format!("/api/v1/contracts/{id}");

    let (status, reply) = put_bytes(app, &format!("{cpath}/attachment"), &org, b"MZ\x90\x00not a pdf".to_vec()).await;
    assert_error(status, &reply, 415, "unsupported_media_type");
    let big = [b"%PDF-1.4\n".as_slice(), &vec![b'0'; 10 * 1024 * 1024 + 10]].concat();
    let (status, reply) = put_bytes(app, &format!("{cpath}/attachment"), &org, big).await;
    assert_error(status, &reply, 413, "payload_too_large");
    let (status, reply) = put_bytes(app, &format!("{cpath}/attachment"), &stranger, pdf()).await;
    assert_error(status, &reply, 404, "not_found");
    let (status, reply) = put_bytes(app, &format!("{cpath}/attachment"), &org, pdf()).await;
    assert_eq!((status, reply["attachment_size"].as_i64()), (StatusCode::OK, Some(pdf().len() as i64)), "{reply}");
    let resp = app.client.get(app.url(&format!("{cpath}/attachment"))).bearer_auth(&county).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert_eq!(resp.bytes().await.unwrap().to_vec(), pdf());
    let resp = app.client.get(app.url(&format!("{cpath}/attachment"))).bearer_auth(&stranger).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // Only 技术开发 contracts become projects; returned ones are corrected and registered again.
    let (status, reply) = app.post(&format!("{cpath}/project"), Some(&org), json!({})).await;
    assert_error(status, &reply, 422, "validation_failed");
    let (status, reply) = app.call(Method::PUT, &cpath, Some(&org), Some(body.clone())).await;
    assert_error(status, &reply, 409, "illegal_transition");
    let (status, reply) = app.post(&format!("{cpath}/verify"), Some(&county), json!({"approve": false})).await;
    assert_error(status, &reply, 422, "validation_failed");
    let (status, returned) = app
        .post(&format!("{cpath}/verify"), Some(&county), json!({"approve": false, "reason": "金额与扫描件不符"}))
        .await;
    assert_eq!((status, returned["status"].as_str()), (StatusCode::OK, Some("returned")), "{returned}");
    let mut fixed = body.clone();
    fixed["amount_wan"] = json!("12.5");
    let (status, corrected) = app.call(Method::PUT, &cpath, Some(&org), Some(fixed)).await;
    assert_eq!(status, StatusCode::OK, "{corrected}");
    assert_eq!((corrected["status"].as_str(), corrected["amount_wan"].as_str()), (Some("registered"), Some("12.5")));
    let (_, queue) = app.get("/api/v1/contracts?status=registered", Some(&county)).await;
    assert_eq!(queue["items"][0]["id"], id, "{queue}");

    // Verified, the contract and its scan are immutable: replacing the scan makes a new version
    // that goes back to 待核验, and the verified one stays on record with both hashes.
    let (status, verified) = app.post(&format!("{cpath}/verify"), Some(&county), json!({"approve": true})).await;
    assert_eq!((status, verified["status"].as_str()), (StatusCode::OK, Some("verified")), "{verified}");
    let (_, versions) = app.get(&format!("{cpath}/versions"), Some(&org)).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(0));
    let (status, replaced) = put_bytes(app, &format!("{cpath}/attachment"), &org, pdf()).await;
    assert_eq!((status, replaced["status"].as_str()), (StatusCode::OK, Some("registered")), "{replaced}");
    assert!(replaced["verified_at"].is_null());
    let (status, versions) = app.get(&format!("{cpath}/versions"), Some(&county)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(versions[0]["snapshot"]["status"], "verified", "{versions}");
    assert_eq!(versions[0]["snapshot"]["amount_wan"], "12.5");
    assert_eq!(versions[0]["reason"], "attach");
    let old_scan = versions[0]["attachment_sha256"].as_str().unwrap().to_string();
    let record = versions[0]["snapshot_sha256"].as_str().unwrap().to_string();
    assert_eq!((old_scan.len(), record.len()), (64, 64));
    assert_eq!(app.get(&format!("{cpath}/versions"), Some(&stranger)).await.0, StatusCode::NOT_FOUND);
    let (_, trail) =
        app.get(&format!("/api/v1/admin/audit?entity=contract&entity_id={id}&action=new_version"), Some(&county)).await;
    let detail = trail["items"][0]["detail"].as_str().unwrap_or_default().to_string();
    assert!(detail.contains(&record) && detail.contains(&old_scan), "both hashes on the record: {trail}");
    // A correction of a verified contract is a new version too; the verified amount stays on record.
    app.post(&format!("{cpath}/verify"), Some(&county), json!({"approve": true})).await;
    let mut again = body.clone();
    again["amount_wan"] = json!("99");
    let (status, corrected) = app.call(Method::PUT, &cpath, Some(&org), Some(again)).await;
    assert_eq!((status, corrected["status"].as_str()), (StatusCode::OK, Some("registered")), "{corrected}");
    let (_, versions) = app.get(&format!("{cpath}/versions"), Some(&org)).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(2), "{versions}");
    assert_eq!(
        (versions[1]["reason"].as_str(), versions[1]["snapshot"]["amount_wan"].as_str()),
        (Some("correct"), Some("12.5"))
    );
    let (_, mine) = app.get("/api/v1/contracts", Some(&stranger)).await;
    assert_eq!(mine["total"], 0);
    app.settle().await;
    let (_, notices) = app.get("/api/v1/me/notifications", Some(&org)).await;
    assert!(notices.to_string().contains("技术合同被退回"), "{notices}");
}

/// A scan that hides a script in a compressed object stream is refused, and nothing is stored.
async fn contract_scans_with_scripts_are_refused(app: &TestApp) {
    let org = app.user("org", "buyer", "510321").await;
    let org_id = id_of(app, &org).await;
    let body = json!({
        "contract_type": "技术服务", "title": "发酵车间检测服务合同",
        "buyer": {"user_id": org_id}, "seller": {"name": "成都某某检测有限公司"},
        "amount_wan": 12.25, "signed_on": "2026-11-01"
    });
    let (status, created) = app.post("/api/v1/contracts", Some(&org), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let cpath = format!("/api/v1/contracts/{}", created["id"].as_i64().unwrap());
    let (status, reply) = put_bytes(app, &format!("{cpath}/attachment"), &org, scripted_pdf()).await;
    assert_error(status, &reply, 415, "unsupported_media_type");
    assert!(reply.to_string().contains("脚本"), "{reply}");
    let (status, contract) = app.get(&cpath, Some(&org)).await;
    assert_eq!((status, contract["attachment_size"].as_i64()), (StatusCode::OK, None), "{contract}");
}

async fn html(web: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let r = web.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

async fn submit(web: &reqwest::Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let r = web.post(app.url(path)).form(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    r
}

/// The org opens an order in the browser, the steward proposes from the desk's match list, the
/// expert accepts in 待处理邀请, the org accepts and both pages show the contact.
async fn service_pages_walk_an_order(app: &TestApp) {
    let county = app.admin("admin_rx", "510321").await;
    let city = app.admin("admin_zg", "510300").await;
    let org = app.user("org", "webjiu", "510321").await;
    let org_id = id_of(app, &org).await;
    let keeper = steward(app, &county, "webkeeper", "510321").await;
    let keeper_id = id_of(app, &keeper).await;
    app.post(&format!("/api/v1/orgs/{org_id}/steward"), Some(&county), json!({"steward_id": keeper_id})).await;
    expert_with_capability(app, &city, "webexpert", "510302", "白酒丢糟固态发酵饲料化技术").await;

    let (org_web, org_csrf) = web_session(app, "webjiu").await;
    assert!(html(&org_web, app, "/orders/new").await.contains("需求对接"));
    let r = submit(
        &org_web,
        app,
        "/orders/new",
        &[
            ("_csrf", org_csrf.as_str()),
            ("order_type", "need_matching"),
            ("title", "丢糟处理<script>alert(1)</script>"),
            ("description", "每年产生大量白酒丢糟，堆放发臭，希望找到饲料化利用的技术。"),
        ],
    )
    .await;
    let order_path = r.headers()["location"].to_str().unwrap().to_string();
    let list = html(&org_web, app, "/orders").await;
    assert!(list.contains("丢糟处理&#60;script&#62;") && !list.contains("<script>alert"), "escaped title");

    let (keeper_web, keeper_csrf) = web_session(app, "webkeeper").await;
    let desk = html(&keeper_web, app, "/desk").await;
    assert!(desk.contains("webjiu科技有限公司") && desk.contains("丢糟处理"), "desk lists org and order");
    let page = html(&keeper_web, app, &order_path).await;
    assert!(page.contains("智能匹配推荐专家") && page.contains("专家webexpert"), "suggestions shown");
    let at = page.find("name=\"provider_id\" value=\"").unwrap() + 26;
    let provider: String = page[at..].chars().take_while(char::is_ascii_digit).collect();
    submit(
        &keeper_web,
        app,
        &format!("{order_path}/propose"),
        &[("_csrf", keeper_csrf.as_str()), ("provider_id", &provider)],
    )
    .await;

    let (expert_web, expert_csrf) = web_session(app, "webexpert").await;
    let invitations = html(&expert_web, app, "/invitations").await;
    assert!(invitations.contains("丢糟处理&#60;script&#62;"), "the invitation is listed");
    let at = invitations.find("name=\"proposal_id\" value=\"").unwrap() + 26;
    let proposal: String = invitations[at..].chars().take_while(char::is_ascii_digit).collect();
    let form = [("_csrf", expert_csrf.as_str()), ("proposal_id", proposal.as_str()), ("accept", "1")];
    submit(&expert_web, app, &format!("{order_path}/respond"), &form).await;
    assert!(!html(&org_web, app, &order_path).await.contains("13700003333"), "no contact before the org agrees");
    let form = [("_csrf", org_csrf.as_str()), ("proposal_id", proposal.as_str()), ("accept", "1")];
    submit(&org_web, app, &format!("{order_path}/respond"), &form).await;
    let seen = html(&org_web, app, &order_path).await;
    assert!(seen.contains("已对接") && seen.contains("13700003333"), "the org sees the expert's phone");
    assert!(html(&expert_web, app, &order_path).await.contains("13800001111"), "the expert sees the org's phone");
    assert!(!html(&keeper_web, app, &order_path).await.contains("13700003333"), "the steward does not");

    // 一企一策 from the desk; a form without the CSRF token is refused.
    let plan = format!("/desk/orgs/{org_id}");
    let form = [
        ("_csrf", keeper_csrf.as_str()),
        ("contact_on", "2026-11-20"),
        ("channel", "onsite"),
        ("summary", "上门了解丢糟堆放情况"),
    ];
    submit(&keeper_web, app, &format!("{plan}/contact"), &form).await;
    assert!(html(&org_web, app, &plan).await.contains("上门了解丢糟堆放情况"), "the org reads its plan");
    let r = keeper_web.post(app.url(&format!("{plan}/contact"))).form(&form[1..]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let (admin_web, _) = web_session(app, "admin_rx").await;
    assert!(html(&admin_web, app, "/orders").await.contains("丢糟处理&#60;script&#62;"));
    assert!(html(&admin_web, app, "/contracts").await.contains("待核验技术合同"));
}

/// The first-response deadline follows `--sla-days` (working days; weekends do not count).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_response_deadline_follows_the_configured_working_days() {
    let settings = kejiyun_server::Settings {
        server: kejiyun_server::platform::config::ServerSettings { sla_working_days: 5, ..Default::default() },
        ..Default::default()
    };
    let app = TestApp::sqlite_with(settings).await;
    let org = app.user("org", "sla_org", "510321").await;
    let body = json!({"order_type": "技术咨询", "title": "咨询污水处理工艺", "description": "酿酒废水处理达标困难，想咨询工艺。"});
    let (status, opened) = app.post("/api/v1/orders", Some(&org), body).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let at = |field: &str| chrono::DateTime::parse_from_rfc3339(opened["order"][field].as_str().unwrap()).unwrap();
    let days = (at("first_response_due") - at("opened_at")).num_hours() as f64 / 24.0;
    // Five working days span five to eight calendar days after the opening day, to its end.
    assert!((5.0..=8.0).contains(&days), "{days} days: {opened}");
    app.finish().await;
}
