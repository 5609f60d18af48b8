//! The kejiyun server: HTTP API, Chinese web pages, background jobs and the command line.
//!
//! `features/<name>/` hold what the platform does (actions, API and page handlers), `router` is the
//! one route table, `http/` the shared HTTP parts and `platform/` the services below them.

pub mod cli;
pub mod demo;
pub mod features;
pub mod http;
pub mod platform;
pub mod router;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kejiyun_db::Db;
use kejiyun_search::SearchIndex;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

pub use platform::state::{AppState, Settings};

/// Largest request body accepted (JSON and forms).
pub const BODY_LIMIT: usize = 256 * 1024;

/// Where the platform keeps its data.
#[derive(Debug, Clone)]
pub struct Storage {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Directory of the search index (derived, rebuildable).
    pub index_dir: PathBuf,
}

impl Storage {
    /// The default layout: `DATA_DIR/kejiyun.db` unless a database URL is given, and
    /// `DATA_DIR/index` (or `DATA_DIR/index-<db name>` for PostgreSQL).
    pub fn new(data_dir: &Path, database_url: Option<&str>) -> Storage {
        match database_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => {
                let name: String = url
                    .rsplit('/')
                    .next()
                    .unwrap_or("db")
                    .split('?')
                    .next()
                    .unwrap_or("db")
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                Storage { database_url: url.to_string(), index_dir: data_dir.join(format!("index-{name}")) }
            }
            None => Storage {
                database_url: kejiyun_db::sqlite_url(&data_dir.join("kejiyun.db")),
                index_dir: data_dir.join("index"),
            },
        }
    }
}

/// Connects, migrates and opens the index; checks the index against the database.
pub async fn open(storage: &Storage, settings: Settings) -> anyhow::Result<AppState> {
    // The data directory and the index are the owner's only (the database file, its journal and
    // backups are made so by `kejiyun_db`).
    kejiyun_db::private_dir(&storage.index_dir)?;
    let db = Db::connect(&storage.database_url).await?;
    db.migrate().await?;
    let search = SearchIndex::open(&storage.index_dir)?;
    let synonyms = Arc::new(std::sync::RwLock::new(Arc::new(kejiyun_domain::synonyms::Synonyms::shipped())));
    let login_guard = Arc::new(platform::guard::LoginGuard::for_db(settings.security.login_rules, &db));
    let limits = Arc::new(platform::limits::Limits::for_db(settings.limits, &db));
    let metrics = Arc::new(platform::metrics::Metrics::new()?);
    let cache = Arc::new(platform::cache::ReadCache::default());
    let task_wake = Arc::new(tokio::sync::Notify::new());
    let state = AppState {
        db,
        search,
        settings: Arc::new(settings),
        synonyms,
        login_guard,
        limits,
        metrics,
        cache,
        task_wake,
        index_order: Default::default(),
    };
    state.reload_synonyms().await?;
    platform::indexing::check_at_start(&state).await.map_err(|e| anyhow::anyhow!("search index check failed: {e}"))?;
    Ok(state)
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let timeout = state.settings.server.request_timeout;
    let (api, openapi) = router::api();
    let security_headers = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        // Pages and API answers carry personal data; no shared or browser cache keeps them (the
        // style sheet sets its own caching).
        (header::CACHE_CONTROL, "no-store"),
    ];
    let mut app = Router::new()
        .merge(api)
        .route("/api/openapi.json", axum::routing::get(move || async move { axum::Json(openapi) }))
        .merge(router::pages(&state))
        .fallback(http::page::not_found_fallback)
        .method_not_allowed_fallback(http::page::method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), platform::metrics::track))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), wake_tasks))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), request_context))
        .with_state(state);
    for (name, value) in &security_headers {
        // The Swagger UI needs inline styles/scripts; it gets its own relaxed policy below.
        app = app.layer(SetResponseHeaderLayer::if_not_present(name.clone(), HeaderValue::from_static(value)));
    }
    let mut docs = Router::new()
        .merge(SwaggerUi::new("/api/docs").url("/api/docs/openapi.json", router::api().1))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; \
                 img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
            ),
        ));
    for (name, value) in &security_headers[1..] {
        docs = docs.layer(SetResponseHeaderLayer::if_not_present(name.clone(), HeaderValue::from_static(value)));
    }
    let request_id = HeaderName::from_static("x-request-id");
    docs.merge(app)
        .layer(CompressionLayer::new())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::from_fn(plain_request_id))
}

/// A client's `X-Request-Id` is kept only when short and plain (letters, digits, `-`), so it can
/// neither forge log lines nor break the response header; otherwise a new one is made.
async fn plain_request_id(mut request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let plain = |v: &HeaderValue| {
        let b = v.as_bytes();
        !b.is_empty() && b.len() <= 64 && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    };
    if request.headers().get_all("x-request-id").iter().any(|v| !plain(v))
        || request.headers().get_all("x-request-id").iter().count() > 1
    {
        request.headers_mut().remove("x-request-id");
    }
    next.run(request).await
}

/// The `/metrics` application, served on its own listener (`--metrics-bind`).
pub fn metrics_router(state: AppState) -> Router {
    platform::metrics::router(state)
}

/// Runs the request inside the audit log's request context, so every record it writes carries
/// the client's address.
async fn request_context(
    http::client::ClientAddr(client): http::client::ClientAddr,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let context = kejiyun_db::audit::RequestContext { address: client.map(|ip| ip.to_string()) };
    kejiyun_db::audit::CONTEXT.scope(context, next.run(request)).await
}

/// After a request that may have changed something, this process's task worker looks at once for
/// the work it enqueued (instead of at its next poll).
async fn wake_tasks(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let writes = !matches!(*request.method(), axum::http::Method::GET | axum::http::Method::HEAD);
    let response = next.run(request).await;
    if writes && (response.status().is_success() || response.status().is_redirection()) {
        state.task_wake.notify_one();
    }
    response
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    http::error::ApiError(kejiyun_domain::Error::internal()).into_response()
}

/// Serves until `shutdown` resolves, then drains requests, stops jobs and commits the index.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    let jobs =
        state.settings.tasks.worker.then(|| {
            tokio::spawn(platform::tasks::run(state.clone(), Arc::new(router::tasks()), jobs_stopped.clone()))
        });
    let follower = tokio::spawn(platform::indexing::follow(state.clone(), Duration::from_millis(500), jobs_stopped));
    let app = router(state.clone());
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
    let _ = stop_jobs.send(true);
    if let Some(jobs) = jobs {
        let _ = jobs.await;
    }
    let _ = follower.await;
    state.search.shutdown().await?;
    state.db.close().await;
    Ok(())
}
