//! The main flow in a real browser (headless Chromium through chromedriver): register an
//! organisation, publish a need, an admin approves it, search finds it. Saves screenshots to
//! `docs/screenshots/` for the README.
//!
//! Runs when `KEJIYUN_BROWSER_TESTS=1` (`.ci/run` sets it after installing Chromium).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::TestApp;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_browser() -> (Driver, Client, tempfile::TempDir) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed"),
    );
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1280,1000", "--lang=zh-CN", format!("--user-data-dir={}", profile.path().display())]}),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if let Ok(client) = ClientBuilder::rustls().unwrap().capabilities(caps.clone()).connect(&url).await {
            return (driver, client, profile);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

async fn shot(client: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

/// The element, waiting for it while a page loads.
async fn el(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

async fn fill(client: &Client, css: &str, text: &str) {
    let el = el(client, css).await;
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

async fn click(client: &Client, css: &str) {
    el(client, css).await.click().await.unwrap();
}

async fn select(client: &Client, css: &str, value: &str) {
    el(client, css).await.select_by_value(value).await.unwrap();
}

/// The page's text once it contains `needle` (waits for navigation to finish).
async fn text_with(client: &Client, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..150 {
        if let Ok(body) = client.find(Locator::Css("body")).await
            && let Ok(text) = body.text().await
        {
            if text.contains(needle) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("page never showed {needle:?}; last text: {last}");
}

async fn wait_for_path(client: &Client, path: &str) {
    for _ in 0..150 {
        if client.current_url().await.is_ok_and(|u| u.path() == path) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never reached {path}");
}

async fn login(client: &Client, app: &TestApp, username: &str, password: &str) {
    client.goto(&app.url("/login")).await.unwrap();
    fill(client, "input[name=username]", username).await;
    fill(client, "input[name=password]", password).await;
    click(client, "form.stack button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_publish_approve_search_in_a_browser() {
    if std::env::var("KEJIYUN_BROWSER_TESTS").as_deref() != Ok("1") {
        assert!(std::env::var("CI").is_err(), "CI must run the browser test: set KEJIYUN_BROWSER_TESTS=1");
        eprintln!("KEJIYUN_BROWSER_TESTS is not 1: browser test skipped (.ci/run enables it)");
        return;
    }
    let app = TestApp::sqlite().await;
    kejiyun_server::demo::load(&app.state, 7, false).await.unwrap();
    app.admin("zigong_admin", "510300").await;
    let (_driver, client, _profile) = start_browser().await;

    client.goto(&app.url("/")).await.unwrap();
    text_with(&client, "智能匹配").await;
    shot(&client, "01-home.png").await;

    // Register an organisation in 荣县 (自贡市).
    client.goto(&app.url("/register?role=org")).await.unwrap();
    fill(&client, "input[name=username]", "rongxian_salt").await;
    fill(&client, "input[name=password]", "kjy-secret-2026").await;
    fill(&client, "input[name=org_name]", "荣县晶盐化工有限公司").await;
    fill(&client, "input[name=credit_code]", &crate::credit_code("rongxian_salt")).await;
    select(&client, "select[name=region_code]", "510321").await;
    fill(&client, "input[name=phone]", "13800001234").await;
    shot(&client, "02-register.png").await;
    click(&client, "form.stack button[type=submit]").await;
    wait_for_path(&client, "/my").await;
    text_with(&client, "发布科技需求").await;

    // Publish a need and send it to review.
    client.goto(&app.url("/my/new/needs")).await.unwrap();
    fill(&client, "input[name=title]", "井盐卤水提锂技术需求").await;
    let description =
        "我公司井盐生产过程中产生大量老卤，希望寻求卤水提锂与综合利用的成熟工艺，可采用技术转让或联合开发。";
    fill(&client, "textarea[name=description]", description).await;
    fill(&client, "input[name=industry]", "盐化工").await;
    fill(&client, "input[name=keywords]", "卤水，提锂").await;
    click(&client, "input[name=modes][value=development]").await;
    fill(&client, "input[name=amount_min_wan]", "50").await;
    fill(&client, "input[name=amount_max_wan]", "200").await;
    shot(&client, "03-publish.png").await;
    click(&client, "#submit").await;
    let text = text_with(&client, "待审核").await;
    assert!(text.contains("井盐卤水提锂技术需求"), "{text}");
    let item_path = client.current_url().await.unwrap().path().to_string();
    click(&client, "header form button").await; // 退出
    text_with(&client, "注册").await;

    // The city admin approves it from the review queue.
    login(&client, &app, "zigong_admin", "kjy-secret-2026").await;
    text_with(&client, "审核队列").await;
    client.goto(&app.url("/admin/review")).await.unwrap();
    text_with(&client, "井盐卤水提锂技术需求").await;
    client.goto(&app.url(&item_path)).await.unwrap();
    text_with(&client, "退回修改").await;
    shot(&client, "04-review.png").await;
    click(&client, "#approve").await;
    wait_for_path(&client, "/admin/review").await;
    let text = text_with(&client, "管辖区域").await;
    assert!(!text.contains("井盐卤水提锂技术需求"), "queue is empty again: {text}");

    // Anyone finds it by a word of its description.
    click(&client, "header form button").await;
    text_with(&client, "注册").await;
    client.goto(&app.url("/")).await.unwrap();
    fill(&client, "form.search input[name=q]", "老卤").await;
    click(&client, "form.search button").await;
    text_with(&client, "井盐卤水提锂技术需求").await;
    shot(&client, "05-search.png").await;
    client.goto(&app.url(&item_path)).await.unwrap();
    let text = text_with(&client, "已发布").await;
    assert!(text.contains("四川省 自贡市 荣县"), "{text}");
    assert!(!text.contains("13800001234"), "contacts are not public");

    // The organisation votes in the demo's public vote.
    login(&client, &app, "rongxian_salt", "kjy-secret-2026").await;
    wait_for_path(&client, "/my").await;
    client.goto(&app.url("/polls")).await.unwrap();
    text_with(&client, "最美科技工作者").await;
    click(&client, "ul.cards h3 a").await;
    text_with(&client, "今天还可投 3 票").await;
    click(&client, "ol.candidates form button").await;
    let text = text_with(&client, "投票成功").await;
    assert!(text.contains("今天还可投 2 票") && text.contains("今天已投"), "{text}");
    shot(&client, "06-vote.png").await;

    client.close().await.unwrap();
    app.finish().await;
}
