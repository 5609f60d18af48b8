//! `kejiyun backup` under write load and `kejiyun restore` of that backup.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use kejiyun_server::Settings;
use kejiyun_server::platform::limits::{Rate, RateRules};
use reqwest::StatusCode;

use crate::{TestApp, item_body};

async fn count(db: &kejiyun_db::Db, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(db.reader()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_write_load_restores_consistently() {
    let unlimited = RateRules { publishing: Rate::per(0, std::time::Duration::from_secs(1)), ..Default::default() };
    let app = TestApp::sqlite_with(Settings { limits: unlimited, ..Default::default() }).await;
    let org = app.user("org", "busy_org", "510321").await;

    // A writer publishes drafts without pause while the backup is taken.
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (client, url, org, stop, acknowledged) =
            (app.client.clone(), app.url("/api/v1/needs"), org.clone(), stop.clone(), acknowledged.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let r = client.post(&url).bearer_auth(&org).json(&item_body("needs", "备份")).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::CREATED);
                acknowledged.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    while acknowledged.load(Ordering::Relaxed) < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kejiyun-backup.db");
    let before = acknowledged.load(Ordering::Relaxed) as i64;
    app.state.db.backup_to(&file).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    let after = acknowledged.load(Ordering::Relaxed) as i64;
    assert!(after > before, "writes went on during the backup");
    assert!(app.state.db.backup_to(&file).await.is_err(), "an existing backup is never overwritten");

    // The copy is intact and consistent: each item came with its audit entry and change-log row.
    let copy = kejiyun_db::Db::connect(&kejiyun_db::sqlite_url(&file)).await.unwrap();
    assert_eq!(copy.integrity_check().await.unwrap(), ["ok"]);
    let items = count(&copy, "SELECT COUNT(*) FROM items").await;
    assert!(items >= before && items <= after, "{before} ≤ {items} ≤ {after}");
    let orphans = "SELECT COUNT(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM audit_log a \
                   WHERE a.entity = i.kind AND a.entity_id = i.id AND a.action = 'create') \
                   OR NOT EXISTS (SELECT 1 FROM item_changes c WHERE c.item_id = i.id)";
    assert_eq!(count(&copy, orphans).await, 0, "half-written items in the backup");
    copy.close().await;
    app.finish().await;

    // Restore into a fresh data directory with the binary; refuse to overwrite without --force.
    let target = tempfile::tempdir().unwrap();
    let data = target.path().to_str().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kejiyun")).args(args).env_remove("DATABASE_URL").output().unwrap()
    };
    let out = run(&["restore", "--from", file.to_str().unwrap(), "--data-dir", data]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("恢复完成 (restored): {items} 条")));
    let out = run(&["restore", "--from", file.to_str().unwrap(), "--data-dir", data]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--force"));
    let garbage = target.path().join("garbage.db");
    std::fs::write(&garbage, b"not a database at all").unwrap();
    let out = run(&["restore", "--from", garbage.to_str().unwrap(), "--data-dir", data, "--force"]);
    assert!(!out.status.success(), "a broken file is refused");
    let restored = kejiyun_db::Db::connect(&kejiyun_db::sqlite_url(&target.path().join("kejiyun.db"))).await.unwrap();
    assert_eq!(count(&restored, "SELECT COUNT(*) FROM items").await, items, "the good restore stays in place");
    restored.close().await;
}
