//! The task queue: notices delivered once per task, failing tasks retried then dead with their
//! error, dead tasks retried by province admins, periodic jobs once per slot across nodes.

use kejiyun_db::tasks::{NewTask, TaskFilter, TaskState};
use kejiyun_domain::notice::NOTIFY_TASK;
use kejiyun_domain::time::{now, to_millis};
use kejiyun_server::platform::tasks::{self, Job, TaskError, TaskFuture, Tasks};
use serde_json::json;

use crate::{TestApp, id_of, on_both_backends, steward};

on_both_backends!(a_notice_is_written_once_per_task, periodic_jobs_run_once_per_slot_across_nodes,);

async fn notices_of(app: &TestApp, token: &str) -> Vec<serde_json::Value> {
    app.get("/api/v1/me/notifications", Some(token)).await.1.as_array().cloned().unwrap_or_default()
}

async fn a_notice_is_written_once_per_task(app: &TestApp) {
    let county = app.admin("t_county", "510321").await;
    let org = app.user("org", "t_org", "510321").await;
    let steward_token = steward(app, &county, "t_steward", "510321").await;
    let (org_id, steward_id) = (id_of(app, &org).await, id_of(app, &steward_token).await);
    let (status, _) =
        app.post(&format!("/api/v1/orgs/{org_id}/steward"), Some(&county), json!({"steward_id": steward_id})).await;
    assert!(status.is_success());
    app.settle().await;
    let notices = notices_of(app, &steward_token).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["title"], "新的服务企业");
    assert_eq!(notices[0]["link"], format!("/desk/orgs/{org_id}"));

    // The assignment enqueued exactly one notify task, now done.
    let filter = TaskFilter { state: None, kind: Some(NOTIFY_TASK.to_string()) };
    let all = app.state.db.list_tasks(&filter, 100, 0).await.unwrap();
    let task = all
        .iter()
        .find(|t| t.payload["user_id"].as_i64() == Some(steward_id))
        .expect("the steward's notify task")
        .clone();
    assert_eq!(task.state, TaskState::Done);
    // Running the same task again (a worker that died after writing, before the queue heard of
    // it) writes nothing more.
    let notice = serde_json::from_value(task.payload.clone()).unwrap();
    assert!(!app.state.db.deliver_notice(task.id, "another-worker", &notice).await.unwrap());
    assert_eq!(notices_of(app, &steward_token).await.len(), 1);
}

fn always_fails(_job: Job) -> TaskFuture {
    Box::pin(async { Err(TaskError::retry("网关无响应（测试）")) })
}

/// Without the server's own worker, which has no handler for the test's task kind.
fn quiet() -> kejiyun_server::Settings {
    kejiyun_server::Settings {
        tasks: kejiyun_server::platform::config::TaskSettings { worker: false, ..Default::default() },
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_task_retries_then_ends_dead_with_its_error_sqlite() {
    let app = TestApp::sqlite_with(quiet()).await;
    a_failing_task_retries_then_ends_dead_with_its_error(&app).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_task_retries_then_ends_dead_with_its_error_postgres() {
    let Some(app) = TestApp::postgres_with(quiet()).await else { return };
    a_failing_task_retries_then_ends_dead_with_its_error(&app).await;
    app.finish().await;
}

async fn a_failing_task_retries_then_ends_dead_with_its_error(app: &TestApp) {
    let table = Tasks::default().on("always_fails", always_fails);
    let id = app.state.db.enqueue(&NewTask::new("always_fails", json!({})).max_attempts(2)).await.unwrap().unwrap();
    tasks::drain(&app.state, &table).await.unwrap();
    let first = app.state.db.task(id).await.unwrap().unwrap();
    assert_eq!((first.state, first.attempts), (TaskState::Queued, 1), "retried later, not at once");
    assert!(first.run_at > to_millis(now()) - 100, "back-off puts the retry in the future");
    assert_eq!(first.last_error.as_deref(), Some("网关无响应（测试）"));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    tasks::drain(&app.state, &table).await.unwrap();
    let dead = app.state.db.task(id).await.unwrap().unwrap();
    assert_eq!((dead.state, dead.attempts), (TaskState::Dead, 2));
    assert_eq!(dead.last_error.as_deref(), Some("网关无响应（测试）"));

    // Province admins see it and queue it again; others may not.
    let province = app.admin("t_province", "510000").await;
    let city = app.admin("t_city", "510300").await;
    let (status, page) = app.get("/api/v1/admin/tasks?state=dead", Some(&province)).await;
    assert_eq!(status, 200);
    assert!(page["items"].as_array().unwrap().iter().any(|t| t["id"] == id && t["last_error"] == "网关无响应（测试）"));
    let (status, body) = app.get("/api/v1/admin/tasks", Some(&city)).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (403, Some("forbidden")));
    let (status, _) = app.post(&format!("/api/v1/admin/tasks/{id}/retry"), Some(&city), json!({})).await;
    assert_eq!(status, 403);
    let (status, body) = app.get("/api/v1/admin/tasks?state=lost", Some(&province)).await;
    assert_eq!((status.as_u16(), body["error"]["field"].as_str()), (422, Some("state")));
    let (web, _) = crate::web_session(app, "t_province").await;
    let page = web.get(app.url("/admin/tasks?state=dead")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("任务队列") && page.contains("网关无响应（测试）") && page.contains("重试"), "{page}");
    let (status, retried) = app.post(&format!("/api/v1/admin/tasks/{id}/retry"), Some(&province), json!({})).await;
    assert_eq!(
        (status.as_u16(), retried["state"].as_str(), retried["attempts"].as_i64()),
        (200, Some("queued"), Some(0))
    );
    let (status, again) = app.post(&format!("/api/v1/admin/tasks/{id}/retry"), Some(&province), json!({})).await;
    assert_eq!((status.as_u16(), again["error"]["code"].as_str()), (409, Some("illegal_transition")));
}

async fn periodic_jobs_run_once_per_slot_across_nodes(app: &TestApp) {
    let other = app.second_node().await;
    let table = kejiyun_server::router::tasks();
    // A slot far in the past, so the background schedulers of the two nodes do not touch it.
    let at = to_millis(now()) - 30 * 24 * 3600 * 1000;
    let (a, b) = tokio::join!(tasks::schedule(&app.state, &table, at), tasks::schedule(&other.state, &table, at));
    a.unwrap();
    b.unwrap();
    tasks::schedule(&other.state, &table, at).await.unwrap();
    // Both nodes' workers (and these two drains) compete for the slot's tasks.
    tokio::join!(app.settle(), other.settle());
    for p in table.periodic() {
        let (start, key) = tasks::slot(p.every, at);
        let filter = TaskFilter { state: None, kind: Some(p.kind.to_string()) };
        let rows: Vec<_> = app
            .state
            .db
            .list_tasks(&filter, 1000, 0)
            .await
            .unwrap()
            .into_iter()
            .filter(|t| t.unique_key.as_deref() == Some(format!("{}:{key}", p.kind).as_str()))
            .collect();
        assert_eq!(rows.len(), 1, "{} has one task for its slot", p.kind);
        assert_eq!((rows[0].state, rows[0].attempts, rows[0].run_at), (TaskState::Done, 1, start), "{}", p.kind);
    }
    other.finish().await;
}
