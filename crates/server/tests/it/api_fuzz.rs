//! Property-based fuzzing of the whole HTTP API (a small schemathesis): every route of the
//! OpenAPI document gets arbitrary query strings and mutated JSON bodies (fields replaced by
//! arbitrary JSON, removed, unknown ones added, or the whole body replaced, control characters
//! and NUL included), as a random role of the authorization matrix, on SQLite and PostgreSQL.
//! Whatever arrives, the answer is never a 5xx, a refusal is a JSON error with a code, and a
//! cell the matrix refuses (401/403/404) is never turned into a success by the body or the query
//! (the oracle). Session-ending routes (logout, password change) run on a fresh session of the
//! role; a changed password is changed back. A meaningful share of the cases must get past the
//! parsers and the permission gate to the handlers' own answers.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::TestApp;
use crate::authz::{EXPECTED, ROLES, body_for, concrete, fixture};
use kejiyun_server::Settings;
use kejiyun_server::platform::limits::{Rate, RateRules};

/// Routes whose success ends the caller's sessions: the other cases would lose their tokens.
const SESSION_ENDING: [&str; 2] = ["/api/v1/auth/logout", "/api/v1/me/password"];

const QUERY_KEYS: [&str; 16] = [
    "page", "per_page", "q", "region", "industry", "mode", "type", "status", "overdue", "from", "to", "kind", "limit",
    "parent", "submit", "all",
];

/// Text with a control character, NUL or a bidirectional override somewhere (refused by every
/// route with a 4xx, never stored).
const CONTROL_TEXT: &str =
    "\\PC{0,20}[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}]\\PC{0,20}";

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,40}".prop_map(Value::from),
        CONTROL_TEXT.prop_map(Value::from),
        prop_oneof![Just("510321"), Just("2026-11-25"), Just("1e400"), Just("-1"), Just("９"), Just("approve")]
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,14}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    /// A field keeps its JSON type but gets arbitrary content (reaches the validators).
    Retype(usize, String, i64),
    Replace(usize, Value),
    Remove(usize),
    Add(String, Value),
    Whole(Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), "\\PC{0,120}", any::<i64>()).prop_map(|(i, t, n)| Mutation::Retype(i, t, n)),
        1 => (any::<usize>(), CONTROL_TEXT, any::<i64>()).prop_map(|(i, t, n)| Mutation::Retype(i, t, n)),
        3 => (any::<usize>(), json_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => any::<usize>().prop_map(Mutation::Remove),
        1 => ("[a-z_]{1,14}", json_value()).prop_map(|(k, v)| Mutation::Add(k, v)),
        1 => json_value().prop_map(Mutation::Whole),
    ]
}

fn mutate(mut body: Value, mutations: &[Mutation]) -> Value {
    for m in mutations {
        match (m, body.as_object_mut()) {
            (Mutation::Whole(v), _) => body = v.clone(),
            (Mutation::Retype(i, text, n), Some(obj)) if !obj.is_empty() => {
                let key = obj.keys().nth(i % obj.len()).cloned().unwrap_or_default();
                let new = match &obj[&key] {
                    Value::Number(_) => json!(n),
                    Value::Bool(_) => json!(n % 2 == 0),
                    Value::Array(_) => json!([text]),
                    _ => json!(text),
                };
                obj.insert(key, new);
            }
            (Mutation::Replace(i, v), Some(obj)) if !obj.is_empty() => {
                let key = obj.keys().nth(i % obj.len()).cloned().unwrap_or_default();
                obj.insert(key, v.clone());
            }
            (Mutation::Remove(i), Some(obj)) if !obj.is_empty() => {
                let key = obj.keys().nth(i % obj.len()).cloned().unwrap_or_default();
                obj.remove(&key);
            }
            (Mutation::Add(k, v), Some(obj)) => {
                obj.insert(k.clone(), v.clone());
            }
            _ => {}
        }
    }
    body
}

fn query_string() -> impl Strategy<Value = String> {
    let value = prop_oneof!["\\PC{0,30}", "-?[0-9]{1,25}", Just(String::new()), CONTROL_TEXT];
    let key = prop_oneof![prop::sample::select(QUERY_KEYS.to_vec()).prop_map(String::from), "[a-z]{1,8}"];
    prop::collection::vec((key, value), 0..5).prop_map(|pairs| {
        pairs.iter().map(|(k, v)| format!("{k}={}", crate::urlencode(v))).collect::<Vec<_>>().join("&")
    })
}

fn unlimited() -> Settings {
    let open = Rate::per(0, std::time::Duration::from_secs(1));
    let rules = RateRules { registration: open, publishing: open, search: open, voting: open };
    Settings { limits: rules, ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_survives_arbitrary_input() {
    fuzz(TestApp::sqlite_with(unlimited()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_survives_arbitrary_input_on_postgres() {
    if let Some(app) = TestApp::postgres_with(unlimited()).await {
        fuzz(app).await;
    }
}

async fn fuzz(app: TestApp) {
    let f = fixture(&app).await;
    let (_, doc) = app.get("/api/openapi.json", None).await;
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.push((method.to_uppercase(), path.clone()));
        }
    }
    let verdict = |method: &str, template: &str, role: usize| -> char {
        let (_, _, row) = EXPECTED.iter().find(|(m, p, _)| *m == method && *p == template).expect("a matrix row");
        row.chars().nth(role).expect("a cell per role")
    };
    let cases: u32 = std::env::var("KEJIYUN_API_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(3000);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let strategy = (0..routes.len(), 0..ROLES.len(), prop::collection::vec(mutation(), 0..4), query_string());
    let handle = tokio::runtime::Handle::current();
    let seen = std::sync::Mutex::new(std::collections::BTreeMap::<u16, u32>::new());
    let reached = std::sync::atomic::AtomicU32::new(0);
    // A password change ends the role's other sessions: the role goes on with the new one.
    let tokens = std::sync::Mutex::new(f.tokens.clone());
    let result = runner.run(&strategy, |(route, role_index, mutations, query)| {
        let (method, template) = &routes[route];
        let role = ROLES[role_index];
        let session_ending = SESSION_ENDING.contains(&template.as_str());
        let token = match (role, session_ending) {
            ("anonymous", _) => None,
            (r, true) => {
                Some(tokio::task::block_in_place(|| handle.block_on(app.login(&f.usernames[r], "kjy-secret-2026"))))
            }
            (r, false) => tokens.lock().unwrap().get(r).cloned(),
        };
        let path = concrete(method, template, &f);
        let path = if query.is_empty() { path } else { format!("{path}?{query}") };
        let original = body_for(method, template, &f, route);
        let body = original.clone().map(|b| mutate(b, &mutations));
        // The matrix's verdict holds for the objects its body names: a mutation that drops or
        // changes an `…_id` asks about another object (e.g. no `org_id`: an order for oneself).
        let same_objects = match (&original, &body) {
            (Some(Value::Object(a)), Some(b)) => {
                a.iter().filter(|(k, _)| k.ends_with("_id")).all(|(k, v)| b.get(k) == Some(v))
            }
            _ => true,
        };
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let (status, reply) =
            tokio::task::block_in_place(|| handle.block_on(app.call(m.clone(), &path, token.as_deref(), body.clone())));
        *seen.lock().unwrap().entry(status.as_u16()).or_default() += 1;
        if template == "/api/v1/me/password" && status.is_success() {
            // Changed: change it back, so that every role keeps signing in with the usual one.
            let new = body.as_ref().and_then(|b| b["new_password"].as_str()).unwrap_or_default().to_string();
            let back = json!({"old_password": new, "new_password": "kjy-secret-2026"});
            let (restored, fresh) = tokio::task::block_in_place(|| {
                handle.block_on(async {
                    let fresh = app.login(&f.usernames[role], &new).await;
                    (app.post("/api/v1/me/password", Some(&fresh), back).await.0, fresh)
                })
            });
            assert!(restored.is_success(), "password of {role} restored");
            tokens.lock().unwrap().insert(role, fresh);
        }
        if status.is_server_error() {
            return Err(TestCaseError::fail(format!("{m} {path} as {role} with {body:?}: {status} {reply}")));
        }
        if status.is_client_error() && !reply["error"]["code"].is_string() {
            return Err(TestCaseError::fail(format!("{m} {path}: {status} without an error code: {reply}")));
        }
        let cell = verdict(method, template, role_index);
        if matches!(cell, 'U' | 'F' | 'N') && same_objects && status.is_success() {
            return Err(TestCaseError::fail(format!(
                "{m} {path} as {role}: the matrix refuses ({cell}) but {body:?} got {status} {reply}"
            )));
        }
        // Past the parsers and the gate: a success, or the handler's own refusal of the content.
        let trivial = matches!(template.as_str(), "/healthz" | "/readyz" | "/api/v1/regions");
        if !trivial && (status.is_success() || matches!(status.as_u16(), 409 | 422)) {
            reached.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let seen = seen.into_inner().unwrap();
    let reached = reached.into_inner();
    eprintln!("statuses: {seen:?}; reached the handlers: {reached} of {cases}");
    assert!(reached * 5 >= cases, "only {reached} of {cases} cases reached the handlers: {seen:?}");
    app.finish().await;
}
