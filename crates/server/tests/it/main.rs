//! Integration tests: one binary. Each test starts the real server on a random port against a
//! fresh SQLite file and, when `DATABASE_URL` is set, a fresh PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_fuzz;
mod audit;
mod authz;
mod backup;
mod bad_input;
mod browser;
mod cli;
mod flows;
mod hostile;
mod index_life;
mod nodes;
mod openapi;
mod pages;
mod ranker;
mod read_cache;
mod security;
mod services;
mod tasks;
mod trust;
mod votes;

use std::time::Duration;

use kejiyun_server::{AppState, Settings, Storage};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::oneshot;

pub struct TestApp {
    pub base: String,
    /// The `/metrics` listener (its own port, as `--metrics-bind` gives it).
    pub metrics_base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    /// (maintenance URL, database name) of a PostgreSQL database to drop at the end.
    pg: Option<(String, String)>,
    storage: Storage,
    _dir: tempfile::TempDir,
}

/// Runs each listed `async fn(&TestApp)` on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::TestApp::sqlite().await;
                    super::$name(&app).await;
                    app.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = $crate::TestApp::postgres().await else { return };
                    super::$name(&app).await;
                    app.finish().await;
                }
            )*
        }
    };
}

/// A one-page scan as a scanner writes it (the page draws a JPEG image), built with lopdf.
pub fn scan_document() -> lopdf::Document {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let jpeg = [b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00".as_slice(), &[0x5a; 64], b"\xFF\xD9"].concat();
    let image = doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 8, "Height" => 8,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "DCTDecode",
        },
        jpeg,
    ));
    let content = doc.add_object(Stream::new(dictionary! {}, b"q 595 0 0 842 0 0 cm /Im0 Do Q\n".to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image } },
        "Contents" => content,
    });
    let pages = dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 };
    doc.objects.insert(pages_id, Object::Dictionary(pages));
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    doc.compress();
    doc
}

/// The bytes of a small valid scan PDF, which the contract scan check accepts.
pub fn scan_pdf() -> Vec<u8> {
    let mut out = Vec::new();
    scan_document().save_to(&mut out).unwrap();
    out
}

fn random_suffix() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl TestApp {
    /// Runs the task queue until nothing is due (notices are delivered after the request that
    /// caused them, by the queue).
    /// The server's own worker may hold a task meanwhile (on PostgreSQL a task it is claiming still
    /// reads as queued until its claim commits), so this waits until no task is running or due, and
    /// none waits for a retry (a retry is logged, for the failure is worth knowing).
    pub async fn settle(&self) {
        use kejiyun_db::tasks::{TaskFilter, TaskState};
        let table = kejiyun_server::router::tasks();
        for _ in 0..500 {
            kejiyun_server::platform::tasks::drain(&self.state, &table).await.unwrap();
            let running = TaskFilter { state: Some(TaskState::Running), kind: None };
            let queued = TaskFilter { state: Some(TaskState::Queued), kind: None };
            let now = kejiyun_domain::time::to_millis(kejiyun_domain::time::now());
            let waiting: Vec<_> = self
                .state
                .db
                .list_tasks(&queued, 1000, 0)
                .await
                .unwrap()
                .into_iter()
                .filter(|t| t.attempts > 0 || t.run_at <= now)
                .collect();
            for t in waiting.iter().filter(|t| t.attempts > 0) {
                eprintln!("task {} ({}) retries after: {:?}", t.id, t.kind, t.last_error);
            }
            if waiting.is_empty() && self.state.db.count_tasks(&running).await.unwrap() == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("tasks still running after 10 s");
    }

    pub async fn sqlite() -> TestApp {
        Self::sqlite_with(Settings::default()).await
    }

    pub async fn sqlite_with(settings: Settings) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::new(dir.path(), None);
        Self::start_with(storage, dir, None, settings).await
    }

    /// A fresh database on the server of `DATABASE_URL`; `None` (skip) when it is not set,
    /// except under CI where PostgreSQL is required.
    pub async fn postgres() -> Option<TestApp> {
        Self::postgres_with(Settings::default()).await
    }

    pub async fn postgres_with(settings: Settings) -> Option<TestApp> {
        let Ok(url) = std::env::var("DATABASE_URL") else {
            assert!(std::env::var("CI").is_err(), "CI must run the PostgreSQL tests: set DATABASE_URL");
            eprintln!("DATABASE_URL not set: PostgreSQL variant skipped");
            return None;
        };
        let name = format!("kejiyun_test_{}", random_suffix());
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        let (prefix, _) = url.rsplit_once('/').unwrap();
        let db_url = format!("{prefix}/{name}");
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::new(dir.path(), Some(&db_url));
        Some(Self::start_with(storage, dir, Some((url, name)), settings).await)
    }

    /// Another server process on the same database, with its own index.
    pub async fn second_node(&self) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage { database_url: self.storage.database_url.clone(), index_dir: dir.path().join("index") };
        Self::start(storage, dir, None).await
    }

    /// Stops the server, runs `between` on its storage, and starts it again on the same
    /// database and index directory.
    pub async fn restart_with(mut self, between: impl AsyncFnOnce(&Storage)) -> TestApp {
        let (pg, storage) = (self.pg.take(), self.storage.clone());
        let old_dir = std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap());
        self.finish().await;
        between(&storage).await;
        Self::start(storage, old_dir, pg).await
    }

    async fn start(storage: Storage, dir: tempfile::TempDir, pg: Option<(String, String)>) -> TestApp {
        Self::start_with(storage, dir, pg, Settings::default()).await
    }

    async fn start_with(
        storage: Storage,
        dir: tempfile::TempDir,
        pg: Option<(String, String)>,
        settings: Settings,
    ) -> TestApp {
        let state = kejiyun_server::open(&storage, settings).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let server_state = state.clone();
        let server = tokio::spawn(async move {
            kejiyun_server::serve(server_state, listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let metrics_base = format!("http://{}", metrics.local_addr().unwrap());
        let metrics_app = kejiyun_server::metrics_router(state.clone());
        tokio::spawn(async move { axum::serve(metrics, metrics_app).await });
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        TestApp { base, metrics_base, client, state, stop: Some(stop), server: Some(server), pg, storage, _dir: dir }
    }

    /// Stops the server (gracefully) and drops the PostgreSQL database.
    pub async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
        if let Some((url, name)) = self.pg.take() {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut conn).await.unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a JSON request; returns the status and the JSON body (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, value)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    /// Runs one statement on the database over a connection of its own (as someone with the
    /// database's rights, around the server, would).
    pub async fn raw_sql(&self, statement: &str) -> Result<(), sqlx::Error> {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.storage.database_url).await?;
        let done = sqlx::query(sqlx::AssertSqlSafe(statement.to_string())).execute(&mut conn).await;
        conn.close().await?;
        done.map(|_| ())
    }

    /// One BIGINT from the database, read around the server.
    pub async fn raw_scalar(&self, query: &str) -> i64 {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.storage.database_url).await.unwrap();
        let value: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT CAST(({query}) AS BIGINT)")))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        value
    }

    /// Drops the triggers that keep the audit log append-only (an intruder with the owner's rights).
    pub async fn drop_audit_guards(&self) {
        let statements: &[&str] = if self.pg.is_some() {
            &["DROP TRIGGER audit_log_no_change ON audit_log"]
        } else {
            &["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"]
        };
        for s in statements {
            self.raw_sql(s).await.unwrap();
        }
    }

    /// The HTML of a page, fetched without a session.
    pub async fn page(&self, path: &str) -> String {
        self.client.get(self.url(path)).send().await.unwrap().text().await.unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, body) =
            self.post("/api/v1/auth/login", None, json!({"username": username, "password": password})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// Registers an account of `role` in `region` and logs it in.
    pub async fn user(&self, role: &str, username: &str, region: &str) -> String {
        let mut body = json!({
            "username": username, "password": "kjy-secret-2026", "role": role,
            "display_name": format!("测试{username}"), "region_code": region,
        });
        if role == "org" {
            body["org_name"] = json!(format!("{username}科技有限公司"));
            body["credit_code"] = json!(credit_code(username));
            body["org_type"] = json!("enterprise");
            body["phone"] = json!("13800001111");
        }
        let (status, reply) = self.post("/api/v1/auth/register", None, body).await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
        self.login(username, "kjy-secret-2026").await
    }

    /// Creates an admin of `region` (as `kejiyun admin create` does) and logs it in.
    pub async fn admin(&self, username: &str, region: &str) -> String {
        let input = serde_json::from_value(json!({
            "username": username, "password": "kjy-secret-2026", "role": "admin",
            "display_name": format!("管理员{username}"), "region_code": region,
        }))
        .unwrap();
        kejiyun_server::features::accounts::actions::create_admin_unchecked(&self.state, input).await.unwrap();
        self.login(username, "kjy-secret-2026").await
    }
}

/// The account id behind a token.
pub async fn id_of(app: &TestApp, token: &str) -> i64 {
    let (status, me) = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    me["id"].as_i64().unwrap()
}

/// An admin (token `admin`) creates a steward of `region`; returns the steward's token.
pub async fn steward(app: &TestApp, admin: &str, username: &str, region: &str) -> String {
    let body = json!({"username": username, "password": "kjy-secret-2026", "role": "steward",
        "display_name": format!("专员{username}"), "region_code": region, "phone": "13900002222"});
    let (status, created) = app.post("/api/v1/admin/users", Some(admin), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    app.login(username, "kjy-secret-2026").await
}

/// A valid unified social credit code derived from a name (GB 32100 check character).
pub fn credit_code(seed: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut h: u64 = 1469598103934665603;
    for b in seed.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(1099511628211);
    }
    let mut body = String::from("91510300");
    for i in 0..9 {
        body.push(ALPHABET[((h >> (i * 5)) % 31) as usize] as char);
    }
    let check = kejiyun_domain::credit_code::check_char(&body).unwrap();
    format!("{body}{check}")
}

/// A valid item body of each kind; `word` goes into the description for search checks.
pub fn item_body(kind: &str, word: &str) -> Value {
    match kind {
        "needs" => json!({
            "title": "白酒丢糟资源化利用技术需求",
            "description": format!("我公司每年产生大量白酒丢糟，堆放发臭，希望寻求{word}的成熟技术。"),
            "industry": "白酒", "keywords": ["丢糟", "饲料"],
            "cooperation_modes": ["development", "技术转让"],
            "budget_min_wan": "5", "budget_max_wan": 20.5, "deadline": "2099-12-31"
        }),
        "capabilities" => json!({
            "title": "固态发酵饲料化技术服务",
            "description": format!("团队长期从事酒糟固态发酵研究，可提供{word}相关技术服务。"),
            "industry": "白酒", "keywords": ["固态发酵"], "service_modes": ["consulting", "service"],
            "discipline": "发酵工程", "fields": ["饲料"], "availability": "available"
        }),
        _ => json!({
            "title": "一种酒糟蛋白饲料的制备方法",
            "abstract": format!("本发明公开了一种以白酒丢糟为原料制备蛋白饲料的方法，涉及{word}。"),
            "industry": "白酒", "achievement_type": "invention_patent", "patent_no": "ZL202310123456.7",
            "maturity": "pilot", "transfer_modes": ["transfer", "licensing"], "price_min_wan": 30
        }),
    }
}

/// Searches a kind's public list for `q`; returns the ids found.
pub async fn search_ids(app: &TestApp, kind: &str, q: &str) -> Vec<i64> {
    let path = format!("/api/v1/{kind}?q={}", urlencode(q));
    let (status, body) = app.get(&path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

pub fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Asserts an API error's status and code and that it explains itself in Chinese.
pub fn assert_error(status: StatusCode, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status.as_u16(), want_status, "{body}");
    assert_eq!(body["error"]["code"], want_code, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "message not Chinese: {body}");
}

/// A browser for the pages: cookies kept, redirects not followed (so tests see them).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A browser signed in as `username` (password `kjy-secret-2026`) through the login form, with the
/// CSRF token of its session.
pub async fn web_session(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let web = browser();
    let token = csrf_of(&web.get(app.url("/login")).send().await.unwrap().text().await.unwrap());
    let r = web
        .post(app.url("/login"))
        .form(&[("_csrf", token.as_str()), ("username", username), ("password", "kjy-secret-2026")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{username} signs in");
    // Signed in, forms carry the session's own token (the one from the login page is void).
    let token = csrf_of(&web.get(app.url("/account")).send().await.unwrap().text().await.unwrap());
    (web, token)
}

/// The CSRF token a page embedded in its forms.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"_csrf\" value=\"").expect("form has a csrf field") + 20;
    html[at..at + 64].to_string()
}
