//! The `kejiyun` binary itself: admin creation from a pipe, demo loading that refuses to touch
//! a database with data, migrate and version.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use kejiyun_server::{Settings, Storage};

fn kejiyun(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kejiyun"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn version_and_migrate() {
    let out = kejiyun(&["version"], "");
    assert!(out.status.success());
    assert!(text(&out).starts_with("kejiyun "));
    let dir = tempfile::tempdir().unwrap();
    let out = kejiyun(&["migrate", "--data-dir", dir.path().to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(dir.path().join("kejiyun.db").exists());
}

/// The vote benchmark runs end to end on a small load and checks its own books (no times asserted).
#[test]
fn bench_votes_counts_every_vote() {
    let out = kejiyun(&["bench", "votes", "--votes", "600", "--voters", "5", "--concurrency", "8"], "");
    assert!(out.status.success(), "{}", text(&out));
    let last = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_string();
    assert!(last.starts_with("votes=600 ") && last.ends_with("consistent=true"), "{last}");
    assert!(last.contains("daily_limit_refused=true"), "the daily limit itself refused: {last}");
    assert!(text(&out).contains("days=3"), "five voters need three days of fifty votes: {}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_create_reads_the_password_from_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let create = ["admin", "create", "--data-dir", data, "--username", "root_admin", "--region", "510000"];
    let out = kejiyun(&create, "");
    assert!(!out.status.success(), "no password, no admin");
    assert!(text(&out).contains("没有密码"), "{}", text(&out));
    let out = kejiyun(
        &["admin", "create", "--data-dir", data, "--username", "x_admin", "--region", "999999"],
        "S3cure-pass1\n",
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("行政区划代码无效"), "{}", text(&out));
    let out = kejiyun(&create, "weak\n");
    assert!(!out.status.success(), "weak passwords are refused too");
    let out = kejiyun(&create, "S3cure-pass1\n");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("四川省"));
    let out = kejiyun(&create, "S3cure-pass1\n");
    assert!(!out.status.success(), "the name is taken");
    // Said once, in Chinese, with the English code; not a cause chain repeated.
    let said = text(&out);
    assert_eq!(said.matches("username_taken").count(), 1, "{said}");
    assert_eq!(said.matches("用户名已被注册").count(), 1, "{said}");

    let state = kejiyun_server::open(&Storage::new(dir.path(), None), Settings::default()).await.unwrap();
    let (user, _) =
        kejiyun_server::features::accounts::actions::login(&state, "root_admin", "S3cure-pass1", "api", None)
            .await
            .unwrap();
    assert_eq!(user.admin_scope(), Some("510000"));
    state.search.shutdown().await.unwrap();
}

#[test]
fn demo_fills_an_empty_database_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = kejiyun(&["demo", "--data-dir", data], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("400 条发布"), "{}", text(&out));
    // Service work at every stage is part of the demo, and the counters see it.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let state = kejiyun_server::open(&Storage::new(dir.path(), None), Settings::default()).await.unwrap();
        let period = kejiyun_domain::service::Period::default();
        let stats = state.db.service_stats("510000", "51", period).await.unwrap();
        assert_eq!(stats.orders_opened, 24, "{stats:?}");
        assert!(stats.solutions > 0 && stats.contracts > 0 && stats.ratings > 0, "{stats:?}");
        assert!(stats.transaction_wan.to_yuan() > 0 && !stats.decline_reasons.is_empty(), "{stats:?}");
        state.search.shutdown().await.unwrap();
    });
    let out = kejiyun(&["demo", "--data-dir", data], "");
    assert!(!out.status.success());
    assert!(text(&out).contains("已有数据"), "{}", text(&out));
    let out = kejiyun(&["reindex", "--data-dir", data], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("索引已重建"), "{}", text(&out));
}

#[test]
fn match_eval_gives_hand_computed_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let items = [
        r#"{"id":"A","kind":"capability","title":"白酒丢糟发酵饲料","description":"固态发酵技术。","keywords":["丢糟"]}"#,
        r#"{"id":"B","kind":"achievement","title":"锂电池正极材料","description":"磷酸铁锂。","keywords":[]}"#,
        r#"{"id":"C","kind":"capability","title":"无人机电力巡检","description":"线路巡检服务。","keywords":["巡检"]}"#,
    ];
    std::fs::write(path("items.jsonl"), items.join("\n")).unwrap();
    let queries = [
        r#"{"id":"q1","kind":"need","title":"酒糟 发酵 饲料","description":"酒糟发酵做饲料","keywords":[],"budget_wan":5}"#,
        r#"{"id":"q2","kind":"need","title":"无人机巡检","description":"无人机巡检","keywords":[]}"#,
    ];
    std::fs::write(path("queries.jsonl"), queries.join("\n")).unwrap();
    std::fs::write(path("qrels.tsv"), "q1\tA\t2\nq1\tC\t1\nq2\tC\t2\n").unwrap();
    let out = kejiyun(
        &[
            "match",
            "eval",
            "--items",
            &path("items.jsonl"),
            "--queries",
            &path("queries.jsonl"),
            "--qrels",
            &path("qrels.tsv"),
            "--run-out",
            &path("run.tsv"),
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    // q1 ranks only A: nDCG = 2 / (2 + 1/log2 3) = 0.760, recall 1/2, MRR 1. q2 ranks C first: all 1.
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(stdout.lines().last(), Some("ndcg@10=0.880 recall@10=0.750 mrr@10=1.000"), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("latency ms per query") && l.contains(" p50=") && l.contains(" p99="))
    );
    assert_eq!(std::fs::read_to_string(path("run.tsv")).unwrap(), "q1\tA\t1\nq2\tC\t1\n");
    let bad = kejiyun(&["match", "eval", "--items", &path("nope.jsonl"), "--queries", &path("queries.jsonl")], "");
    assert!(!bad.status.success());
    let eval = ["match", "eval", "--items", &path("items.jsonl"), "--queries", &path("queries.jsonl")];
    let bad = kejiyun(&[&eval[..], &["--weights", "1,2,3"]].concat(), "");
    assert!(!bad.status.success() && text(&bad).contains("seven"), "{}", text(&bad));
    // The weights given are the ones ranked with: all at zero, nothing scores.
    let out = kejiyun(&[&eval[..], &["--weights", "0,0,0,0,0,0,0", "--run-out", &path("run0.tsv")]].concat(), "");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(path("run0.tsv")).unwrap(), "");
}

/// The matching benchmark runs end to end on a small corpus (no times asserted).
#[test]
fn bench_match_runs_the_server_ranker() {
    let out = kejiyun(&["bench", "match", "--items", "3000", "--queries", "20"], "");
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains("2 searches each"), "{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("items=3000 ") && last.contains(" p50_ms=") && last.contains(" p99_ms="), "{last}");
}

/// `kejiyun serve` on a random port with JSON logs; returns the child and its address, and keeps
/// collecting its log lines.
fn serve_json(dir: &std::path::Path) -> (std::process::Child, String, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kejiyun"))
        .args(["serve", "--data-dir", dir.to_str().unwrap(), "--bind", "127.0.0.1:0", "--log-format", "json"])
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info,tower_http=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, rx) = std::sync::mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stream).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if entry["fields"]["message"] == "kejiyun listening" {
            let address = entry["fields"]["address"].as_str().unwrap_or_default().to_string();
            return (child, address, rx);
        }
        assert!(entry.is_object(), "not JSON: {line}");
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not start");
}

/// SIGTERM lets a request in flight finish and the process exit cleanly (jobs stopped, index
/// committed); JSON logs carry each request's id, the one its response reports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_requests_and_logs_are_json_with_request_ids() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let (mut child, address, logs) = serve_json(dir.path());

    let r = reqwest::get(format!("http://{address}/readyz")).await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let mut seen = false;
    while let Ok(line) = logs.recv_timeout(std::time::Duration::from_secs(5)) {
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        if entry.to_string().contains(&id) {
            assert_eq!(entry["span"]["uri"], "/readyz", "{entry}");
            seen = true;
            break;
        }
    }
    assert!(seen, "no log line carries request id {id}");

    // A request whose body is still arriving when SIGTERM comes.
    let body = r#"{"username":"nobody_here","password":"wrong-password"}"#;
    let mut conn = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // New connections are no longer taken once draining starts.
    let refused = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        match tokio::net::TcpStream::connect(&address).await {
            Err(_) => true,
            Ok(mut other) => {
                let _ = other.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await;
                let mut buf = [0u8; 64];
                matches!(other.read(&mut buf).await, Ok(0) | Err(_))
            }
        }
    })
    .await
    .unwrap_or(true);
    assert!(refused, "a new connection was served after SIGTERM");
    conn.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&reply).contains("\"error\"") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), conn.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "connection closed before the answer: {}", String::from_utf8_lossy(&reply));
        reply.extend_from_slice(&buf[..n]);
    }
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    drop(conn);
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert!(status.success(), "exit status {status}");
}

/// A new database file, or a data directory, that does not exist yet is created (with its
/// parent directories), as the default data directory's database is.
#[test]
fn missing_database_files_and_directories_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new").join("deeper").join("k.db");
    let url = format!("sqlite://{}", file.display());
    let out = kejiyun(&["migrate", "--database-url", &url], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(file.exists());
    let data = dir.path().join("not").join("yet");
    let out = kejiyun(&["migrate", "--data-dir", data.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(data.join("kejiyun.db").exists());
}

/// `kejiyun admin create` works while a server holds the search index's writer on the same data.
#[test]
fn accounts_are_made_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = kejiyun(&["migrate", "--data-dir", data], "");
    assert!(out.status.success(), "{}", text(&out));
    // What a running server holds: the index, open for writing.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let index = runtime.block_on(async { kejiyun_search::SearchIndex::open(&dir.path().join("index")) }).unwrap();
    let create = ["admin", "create", "--data-dir", data, "--username", "live_admin", "--region", "510300"];
    let out = kejiyun(&create, "S3cure-pass1\n");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("自贡市"), "{}", text(&out));
    runtime.block_on(index.shutdown()).unwrap();
}
