//! The OpenAPI document as an integrator reads it: every reference resolves, and every enum
//! publishes the codes the server accepts and emits (not the Rust variant names).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::TestApp;

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reference_resolves_and_enums_are_the_wire_codes() {
    let app = TestApp::sqlite().await;
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 50, "the document uses references: {}", found.len());
    let unresolved: Vec<&String> = found
        .iter()
        .filter(|r| r.strip_prefix("#/components/schemas/").is_none_or(|name| !schemas.contains_key(name)))
        .collect();
    assert!(unresolved.is_empty(), "unresolved references: {unresolved:?}");
    // Codes are lower case (snake_case); a variant name (`Org`, `InventionPatent`) is a bug.
    let mut enums = 0;
    for (name, schema) in schemas {
        if let Some(values) = schema["enum"].as_array() {
            enums += 1;
            for v in values.iter().filter_map(Value::as_str) {
                assert!(!v.chars().any(|c| c.is_ascii_uppercase()), "{name} publishes {v:?}");
            }
        }
    }
    assert!(enums >= 15, "the vocabularies are in the document: {enums}");
    // What the document says is what the server takes and gives back.
    let roles: Vec<String> =
        schemas["Role"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert!(roles.contains(&"org".to_string()) && roles.contains(&"expert".to_string()), "{roles:?}");
    for (i, role) in ["expert", "public"].iter().enumerate() {
        assert!(roles.contains(&role.to_string()));
        let body = json!({"username": format!("doc_user{i}"), "password": "kjy-secret-2026", "role": role,
            "display_name": "文档读者", "region_code": "510104"});
        let (status, user) = app.post("/api/v1/auth/register", None, body).await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        assert_eq!(user["role"], *role, "echoed as the document says: {user}");
    }
    app.finish().await;
}
