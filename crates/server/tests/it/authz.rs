//! The authorization matrix: every route of the OpenAPI document, called as every role, with the
//! exact outcome expected of each. A route the table does not name fails the test, so a new
//! route cannot be forgotten.
//!
//! Outcomes: `A` allowed (the permission gate let the call through: 2xx, or a 409/422 about the
//! state or the body), `U` 401, `F` 403, `N` 404. Roles, in column order: anonymous, public
//! reader, expert, the organisation that owns the resources, its steward, the admin of its
//! county, the admin of another county, the admin of its city, the province admin, and — same
//! kind and county as the related ones, but with no relation to anything — an organisation, an
//! expert and a steward assigned to no one. A row with another number of cells fails.

use std::collections::BTreeMap;

use kejiyun_server::Settings;
use kejiyun_server::platform::limits::{Rate, RateRules};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{TestApp, id_of, item_body, steward};

pub(crate) const ROLES: [&str; 12] = [
    "anonymous",
    "public",
    "expert",
    "org",
    "steward",
    "county",
    "other_county",
    "city",
    "province",
    "stranger_org",
    "stranger_expert",
    "idle_steward",
];

/// (method, path) → expected outcome per role.
pub(crate) const EXPECTED: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", "AAAAAAAAAAAA"),
    ("GET", "/readyz", "AAAAAAAAAAAA"),
    ("GET", "/api/v1/regions", "AAAAAAAAAAAA"),
    ("POST", "/api/v1/auth/register", "AAAAAAAAAAAA"),
    ("POST", "/api/v1/auth/login", "AAAAAAAAAAAA"),
    ("POST", "/api/v1/auth/logout", "UAAAAAAAAAAA"),
    ("GET", "/api/v1/me", "UAAAAAAAAAAA"),
    ("PATCH", "/api/v1/me", "UAAAAAAAAAAA"),
    ("POST", "/api/v1/me/password", "UAAAAAAAAAAA"),
    ("GET", "/api/v1/me/items", "UAAAAAAAAAAA"),
    ("GET", "/api/v1/me/notifications", "UAAAAAAAAAAA"),
    ("POST", "/api/v1/me/notifications/read", "UAAAAAAAAAAA"),
    ("GET", "/api/v1/me/region-requests", "UAAAAAAAAAAA"),
    ("POST", "/api/v1/me/region-requests", "UAAAFFFFFAAF"),
    ("GET", "/api/v1/admin/region-requests", "UFFFFAAAAFFF"),
    ("POST", "/api/v1/admin/region-requests/{id}/decide", "UFFFFAFAAFFF"),
    ("GET", "/api/v1/me/invitations", "UAAAAAAAAAAA"),
    ("POST", "/api/v1/admin/users", "UFFFFAFAAFFF"),
    ("GET", "/api/v1/admin/synonyms", "UFFFFAAAAFFF"),
    ("POST", "/api/v1/admin/synonyms", "UFFFFFFFAFFF"),
    ("GET", "/api/v1/admin/review-queue", "UFFFFAAAAFFF"),
    ("GET", "/api/v1/admin/overdue-projects", "UFFFFAAAAFFF"),
    ("GET", "/api/v1/{kind}", "AAAAAAAAAAAA"),
    ("POST", "/api/v1/{kind}", "UFFAFFFFFAFF"),
    ("GET", "/api/v1/{kind}/{id}", "AAAAAAAAAAAA"),
    ("PATCH", "/api/v1/{kind}/{id}", "UFFANFFFFNNN"),
    ("POST", "/api/v1/{kind}/{id}/submit", "UFFAFFFFFFFF"),
    ("POST", "/api/v1/{kind}/{id}/review", "UNNFNAFAAFFF"),
    ("POST", "/api/v1/{kind}/{id}/close", "UFFANAFAANNN"),
    ("POST", "/api/v1/{kind}/{id}/confirm", "UNNANFFFFNNN"),
    ("GET", "/api/v1/{kind}/{id}/history", "UNNANAFAANNN"),
    ("GET", "/api/v1/{kind}/{id}/matches", "AAAAAAAAAAAA"),
    ("POST", "/api/v1/orgs/{id}/steward", "UFFFFAFAAFFF"),
    ("GET", "/api/v1/orgs/{id}/stewards", "UNNAAAFAANNF"),
    ("GET", "/api/v1/steward/orgs", "UFFFAFFFFFFA"),
    ("GET", "/api/v1/orgs/{id}/plan", "UNNAAAFAANNF"),
    ("PUT", "/api/v1/orgs/{id}/plan", "UNNFAFFFFNNF"),
    ("POST", "/api/v1/orgs/{id}/plan/actions", "UNNFAFFFFNNF"),
    ("POST", "/api/v1/orgs/{id}/plan/actions/{action_id}/done", "UNNFAFFFFNNF"),
    ("POST", "/api/v1/orgs/{id}/contacts", "UNNFAFFFFNNF"),
    ("GET", "/api/v1/orders", "UFFAAAAAAAFA"),
    ("POST", "/api/v1/orders", "UFFAAAFAAFFF"),
    ("GET", "/api/v1/orders/{id}", "UNAAAAFAANNF"),
    ("POST", "/api/v1/orders/{id}/start", "UNFFAAFAANNF"),
    ("POST", "/api/v1/orders/{id}/proposals", "UNFFAAFAANNF"),
    ("POST", "/api/v1/orders/{id}/proposals/{proposal_id}/respond", "UNAAFFFFFNNF"),
    ("POST", "/api/v1/orders/{id}/complete", "UNFFAAFAANNF"),
    ("POST", "/api/v1/orders/{id}/close", "UNFAAAFAANNF"),
    ("POST", "/api/v1/orders/{id}/rating", "UNFAFFFFFNNF"),
    ("GET", "/api/v1/orders/{id}/suggestions", "UNFFAAFAANNF"),
    ("GET", "/api/v1/stats/services", "UFFFFAAAAFFF"),
    ("GET", "/api/v1/contracts", "UAAAAAAAAAAA"),
    ("POST", "/api/v1/contracts", "UFAAFFFFFFFF"),
    ("GET", "/api/v1/contracts/{id}", "UNAAFAFAANNF"),
    ("PUT", "/api/v1/contracts/{id}", "UNAAFFFFFNNF"),
    ("POST", "/api/v1/contracts/{id}/verify", "UNFFFAFAANNF"),
    ("POST", "/api/v1/contracts/{id}/confirm", "UNAFFFFFFNNF"),
    ("GET", "/api/v1/contracts/{id}/versions", "UNAAFAFAANNF"),
    ("PUT", "/api/v1/contracts/{id}/attachment", "UNAAFFFFFNNF"),
    ("GET", "/api/v1/contracts/{id}/attachment", "UNAAFAFAANNF"),
    ("POST", "/api/v1/contracts/{id}/project", "UNAAFFFFFNNF"),
    ("GET", "/api/v1/projects/{id}", "UNAAFAFAANNF"),
    ("POST", "/api/v1/projects/{id}/milestones", "UNAAFFFFFNNF"),
    ("POST", "/api/v1/projects/{id}/milestones/{milestone_id}/accept", "UNFAFFFFFNNF"),
    ("POST", "/api/v1/projects/{id}/progress", "UNAAFFFFFNNF"),
    ("GET", "/api/v1/polls", "AAAAAAAAAAAA"),
    ("POST", "/api/v1/admin/polls", "UFFFFAFAAFFF"),
    ("GET", "/api/v1/polls/{id}", "AAAAAAAAAAAA"),
    ("POST", "/api/v1/polls/{id}/votes", "UAAAAAAAAAAA"),
    ("GET", "/api/v1/admin/tasks", "UFFFFFFFAFFF"),
    ("POST", "/api/v1/admin/tasks/{id}/retry", "UFFFFFFFAFFF"),
    ("GET", "/api/v1/admin/audit", "UFFFFAAAAFFF"),
    ("GET", "/api/v1/admin/audit/export", "UFFFFAAAAFFF"),
];

/// Rows that differ by item kind: (method, template, kind, outcomes). Experts publish
/// capabilities and achievements, not needs.
const KIND_ROWS: &[(&str, &str, &str, &str)] = &[
    ("POST", "/api/v1/{kind}", "capabilities", "UFAAFFFFFAAF"),
    ("POST", "/api/v1/{kind}", "achievements", "UFAAFFFFFAAF"),
];

/// What the calls need: the ids of the organisation's resources and everyone's sign-in.
pub(crate) struct Fixture {
    pub(crate) tokens: BTreeMap<&'static str, String>,
    pub(crate) usernames: BTreeMap<&'static str, String>,
    pub(crate) org_id: i64,
    pub(crate) steward_id: i64,
    /// Published needs changed by the routes: edited, submitted and reviewed; closed and confirmed.
    pub(crate) expert_id: i64,
    pub(crate) need_id: i64,
    pub(crate) order_id: i64,
    pub(crate) proposal_id: i64,
    pub(crate) action_id: i64,
    pub(crate) contract_id: i64,
    pub(crate) project_id: i64,
    pub(crate) milestone_id: i64,
    pub(crate) poll_id: i64,
    pub(crate) candidate_id: i64,
    pub(crate) region_request_id: i64,
    /// Per item kind: (slug, [matched, edited, closed item]).
    pub(crate) kinds: Vec<(&'static str, [i64; 3])>,
}

async fn ok(app: &TestApp, method: Method, path: &str, token: &str, body: Value) -> Value {
    let (status, reply) = app.call(method, path, Some(token), Some(body)).await;
    assert!(status.is_success(), "{path}: {reply}");
    reply
}

pub(crate) async fn fixture(app: &TestApp) -> Fixture {
    let mut tokens = BTreeMap::new();
    let mut usernames = BTreeMap::new();
    for (role, username, region) in
        [("public", "m_public", "510321"), ("expert", "m_expert", "510104"), ("org", "m_org", "510321")]
    {
        tokens.insert(role, app.user(role, username, region).await);
        usernames.insert(role, username.to_string());
    }
    for (role, username, region) in [
        ("county", "m_county", "510321"),
        ("other_county", "m_other", "510322"),
        ("city", "m_city", "510300"),
        ("province", "m_province", "510000"),
    ] {
        tokens.insert(role, app.admin(username, region).await);
        usernames.insert(role, username.to_string());
    }
    tokens.insert("steward", steward(app, &tokens["county"], "m_steward", "510321").await);
    usernames.insert("steward", "m_steward".to_string());
    // Beside each related role, one of the same kind and region with no relation to anything.
    for (role, username) in [("stranger_org", "m_stranger_org"), ("stranger_expert", "m_stranger_expert")] {
        let kind = if role == "stranger_org" { "org" } else { "expert" };
        tokens.insert(role, app.user(kind, username, "510321").await);
        usernames.insert(role, username.to_string());
    }
    tokens.insert("idle_steward", steward(app, &tokens["county"], "m_idle_steward", "510321").await);
    usernames.insert("idle_steward", "m_idle_steward".to_string());

    let (org, steward, expert) = (&tokens["org"], &tokens["steward"], &tokens["expert"]);
    let (org_id, steward_id, expert_id) = (id_of(app, org).await, id_of(app, steward).await, id_of(app, expert).await);
    let county = &tokens["county"];
    ok(app, Method::POST, &format!("/api/v1/orgs/{org_id}/steward"), county, json!({"steward_id": steward_id})).await;
    let need = ok(app, Method::POST, "/api/v1/needs?submit=true", org, item_body("needs", "矩阵")).await;
    let need_id = need["id"].as_i64().unwrap();
    ok(app, Method::POST, &format!("/api/v1/needs/{need_id}/review"), county, json!({"decision": "approve"})).await;
    let mut more = Vec::new();
    for _ in 0..2 {
        let need = ok(app, Method::POST, "/api/v1/needs?submit=true", org, item_body("needs", "矩阵")).await;
        let id = need["id"].as_i64().unwrap();
        ok(app, Method::POST, &format!("/api/v1/needs/{id}/review"), county, json!({"decision": "approve"})).await;
        more.push(id);
    }
    // The same three items (matched, edited, closed) of the other kinds, also the org's (an
    // institute publishes capabilities and achievements too).
    let mut kinds = vec![("needs", [need_id, more[0], more[1]])];
    for kind in ["capabilities", "achievements"] {
        let mut ids = [0; 3];
        for id in &mut ids {
            let item =
                ok(app, Method::POST, &format!("/api/v1/{kind}?submit=true"), org, item_body(kind, "矩阵")).await;
            *id = item["id"].as_i64().unwrap();
            ok(app, Method::POST, &format!("/api/v1/{kind}/{id}/review"), county, json!({"decision": "approve"})).await;
        }
        kinds.push((kind, ids));
    }
    let order =
        ok(app, Method::POST, "/api/v1/orders", org, json!({"order_type": "需求对接", "need_id": need_id})).await;
    let order_id = order["order"]["id"].as_i64().unwrap();
    let proposed = ok(
        app,
        Method::POST,
        &format!("/api/v1/orders/{order_id}/proposals"),
        steward,
        json!({"provider_id": expert_id}),
    )
    .await;
    let proposal_id = proposed["proposals"][0]["id"].as_i64().unwrap();
    let plan = ok(
        app,
        Method::POST,
        &format!("/api/v1/orgs/{org_id}/plan/actions"),
        steward,
        json!({"title": "走访企业", "due_on": "2027-01-01"}),
    )
    .await;
    let action_id = plan["actions"][0]["id"].as_i64().unwrap();
    let contract = ok(app, Method::POST, "/api/v1/contracts", org, contract_body(org_id, expert_id)).await;
    let contract_id = contract["id"].as_i64().unwrap();
    // The other party confirms it (it was 待确认).
    ok(app, Method::POST, &format!("/api/v1/contracts/{contract_id}/confirm"), expert, json!({"accept": true})).await;
    let scan = app
        .client
        .put(app.url(&format!("/api/v1/contracts/{contract_id}/attachment")))
        .bearer_auth(org)
        .body(crate::scan_pdf())
        .send()
        .await
        .unwrap();
    assert!(scan.status().is_success());
    let project = ok(app, Method::POST, &format!("/api/v1/contracts/{contract_id}/project"), expert, json!({})).await;
    let project_id = project["id"].as_i64().unwrap();
    let milestone = json!({"name": "小试", "due_on": "2027-06-30", "deliverable": "小试报告", "payment_wan": "5"});
    let project = ok(app, Method::POST, &format!("/api/v1/projects/{project_id}/milestones"), expert, milestone).await;
    let milestone_id = project["milestones"][0]["id"].as_i64().unwrap();
    let poll = ok(app, Method::POST, "/api/v1/admin/polls", &tokens["province"], poll_body()).await;
    let poll_id = poll["poll"]["id"].as_i64().unwrap();
    let candidate_id = poll["candidates"][0]["id"].as_i64().unwrap();
    let asked = json!({"region_code": "510104", "reason": "矩阵测试搬迁"});
    let request = ok(app, Method::POST, "/api/v1/me/region-requests", &tokens["public"], asked).await;
    let region_request_id = request["id"].as_i64().unwrap();
    Fixture {
        tokens,
        usernames,
        org_id,
        steward_id,
        expert_id,
        need_id,
        order_id,
        proposal_id,
        action_id,
        contract_id,
        project_id,
        milestone_id,
        poll_id,
        candidate_id,
        region_request_id,
        kinds,
    }
}

/// A poll of the organisation's county, open today, that everyone may vote in several times.
fn poll_body() -> Value {
    let today = kejiyun_domain::time::today_in_china(kejiyun_domain::time::now());
    json!({"title": "矩阵投票", "region_code": "510321", "starts_on": today, "ends_on": today, "votes_per_day": 50,
        "candidates": [{"name": "甲"}, {"name": "乙"}]})
}

fn contract_body(org_id: i64, expert_id: i64) -> Value {
    json!({"contract_type": "技术开发", "title": "矩阵测试技术开发合同", "buyer": {"user_id": org_id},
        "seller": {"user_id": expert_id}, "amount_wan": "20", "signed_on": "2026-11-01"})
}

/// The concrete path of a route template for this fixture (item routes on needs).
pub(crate) fn concrete(method: &str, template: &str, f: &Fixture) -> String {
    concrete_for(method, template, f, 0)
}

/// The concrete path of a route template, item routes on the fixture's `kind`-th item kind.
pub(crate) fn concrete_for(method: &str, template: &str, f: &Fixture, kind: usize) -> String {
    let (slug, [matched, edited, closed]) = f.kinds[kind];
    let id = if template.ends_with("/submit") || template.ends_with("/review") || method == "PATCH" {
        edited
    } else if template.starts_with("/api/v1/{kind}") && (template.ends_with("/close") || template.ends_with("/confirm"))
    {
        closed
    } else if template.starts_with("/api/v1/{kind}") {
        matched
    } else if template.starts_with("/api/v1/orders") {
        f.order_id
    } else if template.starts_with("/api/v1/orgs") {
        f.org_id
    } else if template.starts_with("/api/v1/contracts") {
        f.contract_id
    } else if template.starts_with("/api/v1/polls") {
        f.poll_id
    } else if template.starts_with("/api/v1/admin/region-requests") {
        f.region_request_id
    } else if template.starts_with("/api/v1/admin/tasks") {
        // The fixture's first notice; it is not dead, so a retry is refused with 409.
        1
    } else {
        f.project_id
    };
    template
        .replace("{kind}", slug)
        .replace("{id}", &id.to_string())
        .replace("{proposal_id}", &f.proposal_id.to_string())
        .replace("{action_id}", &f.action_id.to_string())
        .replace("{milestone_id}", &f.milestone_id.to_string())
}

/// The item kind a call's body is for (see [`body_for`]): item routes are called per kind with
/// `call` a multiple of 3 plus the kind (0 needs, 1 capabilities, 2 achievements); other routes
/// have no item body.
fn kind_of(call: usize) -> &'static str {
    ["needs", "capabilities", "achievements"][call % 3]
}

/// A valid body for the route, so that a refusal can only come from the permission gate.
pub(crate) fn body_for(method: &str, template: &str, f: &Fixture, call: usize) -> Option<Value> {
    let body = match (method, template) {
        ("GET", _) => return None,
        ("POST", "/api/v1/auth/register") => json!({"username": format!("m_new{call}"), "password": "kjy-secret-2026",
            "role": "public", "display_name": "新读者", "region_code": "510321"}),
        ("POST", "/api/v1/auth/login") => json!({"username": "m_public", "password": "kjy-secret-2026"}),
        ("PATCH", "/api/v1/me") => json!({}),
        ("POST", "/api/v1/me/password") => {
            json!({"old_password": "kjy-secret-2026", "new_password": "kjy-secret-2026"})
        }
        ("POST", "/api/v1/admin/users") => json!({"username": format!("m_staff{call}"), "password": "kjy-secret-2026",
            "role": "steward", "display_name": "新专员", "region_code": "510321"}),
        ("POST", "/api/v1/admin/synonyms") => json!({"terms": [format!("矩阵词{call}"), format!("矩阵同义{call}")]}),
        ("POST", "/api/v1/{kind}") | ("PATCH", "/api/v1/{kind}/{id}") => item_body(kind_of(call), "矩阵"),
        ("POST", "/api/v1/{kind}/{id}/review") => json!({"decision": "approve"}),
        ("POST", "/api/v1/orgs/{id}/steward") => json!({"steward_id": f.steward_id}),
        ("PUT", "/api/v1/orgs/{id}/plan") => json!({"situation": "现状", "goals": "目标"}),
        ("POST", "/api/v1/orgs/{id}/plan/actions") => json!({"title": "新事项", "due_on": "2027-02-01"}),
        ("POST", "/api/v1/orgs/{id}/contacts") => {
            json!({"contact_on": "2026-11-20", "channel": "phone", "summary": "电话回访"})
        }
        ("POST", "/api/v1/orders") => json!({"order_type": "政策咨询", "title": "咨询研发费用加计扣除",
            "description": "想了解研发费用加计扣除政策。", "org_id": f.org_id}),
        ("POST", "/api/v1/orders/{id}/proposals") => json!({"provider_id": f.expert_id}),
        ("POST", "/api/v1/orders/{id}/proposals/{proposal_id}/respond") => json!({"accept": true}),
        ("POST", "/api/v1/orders/{id}/close") => json!({"reason": "测试关闭"}),
        ("POST", "/api/v1/orders/{id}/rating") => json!({"score": 5}),
        ("POST", "/api/v1/contracts") | ("PUT", "/api/v1/contracts/{id}") => contract_body(f.org_id, f.expert_id),
        ("POST", "/api/v1/contracts/{id}/verify") => json!({"approve": true}),
        ("POST", "/api/v1/contracts/{id}/confirm") => json!({"accept": true}),
        ("POST", "/api/v1/projects/{id}/milestones") => {
            json!({"name": "中试", "due_on": "2027-09-30", "deliverable": "中试报告"})
        }
        ("POST", "/api/v1/projects/{id}/progress") => json!({"text": "进展顺利"}),
        ("POST", "/api/v1/admin/polls") => poll_body(),
        ("POST", "/api/v1/polls/{id}/votes") => json!({"candidate_id": f.candidate_id}),
        ("POST", "/api/v1/me/region-requests") => json!({"region_code": "510104", "reason": "矩阵测试搬迁"}),
        // Declined, so the fixture's accounts stay where they are; later calls get 409.
        ("POST", "/api/v1/admin/region-requests/{id}/decide") => json!({"approve": false, "note": "矩阵测试"}),
        _ => json!({}),
    };
    Some(body)
}

fn outcome(status: StatusCode) -> char {
    match status.as_u16() {
        401 => 'U',
        403 => 'F',
        404 => 'N',
        s if s >= 500 => '!',
        _ => 'A',
    }
}

fn unlimited() -> Settings {
    let open = Rate::per(0, std::time::Duration::from_secs(1));
    let rules = RateRules { registration: open, publishing: open, search: open, voting: open };
    Settings { limits: rules, ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_as_every_role() {
    matrix(TestApp::sqlite_with(unlimited()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_as_every_role_on_postgres() {
    if let Some(app) = TestApp::postgres_with(unlimited()).await {
        matrix(app).await;
    }
}

async fn matrix(app: TestApp) {
    let f = fixture(&app).await;

    let (_, doc) = app.get("/api/openapi.json", None).await;
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.push((method.to_uppercase(), path.clone()));
        }
    }
    let short: Vec<_> = EXPECTED.iter().filter(|(_, _, e)| e.chars().count() != ROLES.len()).collect();
    assert!(short.is_empty(), "rows without one outcome per role ({}): {short:?}", ROLES.len());
    let expected: BTreeMap<(String, String), &str> =
        EXPECTED.iter().map(|(m, p, e)| ((m.to_string(), p.to_string()), *e)).collect();
    let missing: Vec<_> = routes.iter().filter(|r| !expected.contains_key(*r)).collect();
    assert!(missing.is_empty(), "routes without an expected row in the matrix: {missing:?}");
    let stale: Vec<_> = expected.keys().filter(|k| !routes.contains(k)).collect();
    assert!(stale.is_empty(), "matrix rows for routes that no longer exist: {stale:?}");

    let mut wrong = Vec::new();
    let mut call = 0;
    let mut tokens = f.tokens.clone();
    // Item routes run on every item kind; the other routes once.
    let runs: Vec<(&String, &String, usize)> = routes
        .iter()
        .flat_map(|(m, t)| {
            let kinds = if t.starts_with("/api/v1/{kind}") { 0..f.kinds.len() } else { 0..1 };
            kinds.map(move |k| (m, t, k))
        })
        .collect();
    for (method, template, kind) in runs {
        let slug = f.kinds[kind].0;
        let want = KIND_ROWS
            .iter()
            .find(|(m, t, k, _)| m == method && t == template && *k == slug)
            .map_or(expected[&(method.clone(), template.clone())], |(_, _, _, row)| *row);
        let path = concrete_for(method, template, &f, kind);
        for (role, want) in ROLES.iter().zip(want.chars()) {
            call += 3;
            // Calls that end the session get a fresh one, so the others keep theirs.
            let fresh = matches!(template.as_str(), "/api/v1/auth/logout" | "/api/v1/me/password");
            let token = match (*role, fresh) {
                ("anonymous", _) => None,
                (r, true) => Some(app.login(&f.usernames[r], "kjy-secret-2026").await),
                (r, false) => Some(tokens[r].clone()),
            };
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let (status, reply) = if template.ends_with("/attachment") && method == Method::PUT {
                let mut req = app.client.put(app.url(&path)).body(crate::scan_pdf());
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                let r = req.send().await.unwrap();
                (r.status(), Value::Null)
            } else {
                let body = body_for(method.as_str(), template, &f, call + kind);
                app.call(method.clone(), &path, token.as_deref(), body).await
            };
            if template == "/api/v1/me/password" && *role != "anonymous" {
                // A password change ends the account's other sessions: sign in again.
                tokens.insert(role, app.login(&f.usernames[role], "kjy-secret-2026").await);
            }
            let got = outcome(status);
            if got != want {
                wrong.push(format!("{method} {path} as {role}: want {want}, got {status} {reply}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{} mismatches:\n{}", wrong.len(), wrong.join("\n"));
    app.finish().await;
}

/// (path template, expected outcome per role) for every page a browser reads. `L`: sent to the
/// login page (303), `R`: sent elsewhere (an expert's 服务单 is its 待处理邀请), the other letters
/// as in [`EXPECTED`]. Form posts are in the CSRF suite (`pages.rs`); `/metrics` is not on this
/// port at all (`trust.rs`).
const PAGES: &[(&str, &str)] = &[
    ("/", "AAAAAAAAAAAA"),
    ("/static/style.css", "AAAAAAAAAAAA"),
    ("/login", "AAAAAAAAAAAA"),
    ("/register", "AAAAAAAAAAAA"),
    ("/account", "LAAAAAAAAAAA"),
    ("/notifications", "LAAAAAAAAAAA"),
    ("/admin/region-requests", "LFFFFAAAAFFF"),
    ("/search", "AAAAAAAAAAAA"),
    ("/my", "LAAAAAAAAAAA"),
    ("/my/new/{kind}", "LFFAFFFFFAFF"),
    ("/my/{kind}/{id}/edit", "LFFAFFFFFFFF"),
    ("/admin/review", "LFFFFAAAAFFF"),
    ("/orders", "LFRAAAAAAARA"),
    ("/orders/new", "LFFAAFFFFAFA"),
    ("/orders/{id}", "LNAAAAFAANNF"),
    ("/invitations", "LAAAAAAAAAAA"),
    ("/desk", "LFFFAFFFFFFA"),
    ("/desk/orgs/{id}", "LNNAAAFAANNF"),
    ("/contracts", "LAAAAAAAAAAA"),
    ("/polls", "AAAAAAAAAAAA"),
    ("/polls/{id}", "AAAAAAAAAAAA"),
    ("/admin/polls/new", "LFFFFAAAAFFF"),
    ("/admin/tasks", "LFFFFFFFAFFF"),
    ("/admin/audit", "LFFFFAAAAFFF"),
    ("/admin/audit/export.csv", "LFFFFAAAAFFF"),
    ("/{kind}", "AAAAAAAAAAAA"),
    ("/{kind}/{id}", "AAAAAAAAAAAA"),
];

/// The page's concrete path for this fixture.
fn concrete_page(template: &str, f: &Fixture) -> String {
    template
        .replace("/my/{kind}/{id}/edit", &format!("/my/needs/{}/edit", f.kinds[0].1[1]))
        .replace("/my/new/{kind}", "/my/new/needs")
        .replace("/orders/{id}", &format!("/orders/{}", f.order_id))
        .replace("/desk/orgs/{id}", &format!("/desk/orgs/{}", f.org_id))
        .replace("/polls/{id}", &format!("/polls/{}", f.poll_id))
        .replace("/{kind}/{id}", &format!("/needs/{}", f.need_id))
        .replace("/{kind}", "/needs")
}

fn page_outcome(r: &reqwest::Response) -> String {
    let to_login = r.headers().get("location").and_then(|l| l.to_str().ok()).is_some_and(|l| l.starts_with("/login"));
    match r.status().as_u16() {
        200 => "A".into(),
        303 if to_login => "L".into(),
        303 => "R".into(),
        403 => "F".into(),
        404 => "N".into(),
        s => format!("({s})"),
    }
}

async fn page_matrix(app: TestApp) {
    let f = fixture(&app).await;
    let short: Vec<_> = PAGES.iter().filter(|(_, e)| e.chars().count() != ROLES.len()).collect();
    assert!(short.is_empty(), "page rows without one outcome per role: {short:?}");
    let mut browsers = Vec::new();
    for role in ROLES {
        browsers.push(match role {
            "anonymous" => crate::browser(),
            r => crate::web_session(&app, &f.usernames[r]).await.0,
        });
    }
    let mut wrong = Vec::new();
    for (template, want) in PAGES {
        let path = concrete_page(template, &f);
        let mut row = String::new();
        for web in &browsers {
            let r = web.get(app.url(&path)).send().await.unwrap();
            row.push_str(&page_outcome(&r));
        }
        if row != *want {
            wrong.push(format!("{template}: want {want}, got {row}"));
        }
    }
    assert!(wrong.is_empty(), "{} page mismatches:\n{}", wrong.len(), wrong.join("\n"));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_as_every_role() {
    page_matrix(TestApp::sqlite_with(unlimited()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_as_every_role_on_postgres() {
    if let Some(app) = TestApp::postgres_with(unlimited()).await {
        page_matrix(app).await;
    }
}
