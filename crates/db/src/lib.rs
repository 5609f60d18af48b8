//! Storage: one [`Db`] over SQLite (default, embedded) or PostgreSQL, the migrations for each,
//! and every SQL statement of the platform, one module per table family.
//!
//! Queries go through sqlx's `Any` driver so each statement is written once; they use only SQL
//! that both engines share (`$n` parameters, `RETURNING`, `LIKE`, `CAST(.. AS BIGINT)`).
//! On SQLite all writes go through a one-connection pool, so writers queue instead of failing
//! with `SQLITE_BUSY`; reads use a separate pool and see committed data (WAL).

pub mod audit;
pub mod backup;
pub mod contracts;
pub mod items;
pub mod notifications;
pub mod orders;
pub mod region_requests;
pub mod sessions;
pub mod sql;
pub mod stats;
pub mod stewards;
pub mod synonyms;
pub mod tasks;
pub mod throttle;
pub mod users;
pub mod votes;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

pub use sql::Bind;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A domain rule that storage enforces atomically (unique names, state changed meanwhile).
    #[error(transparent)]
    Domain(#[from] kejiyun_domain::Error),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database file or a backup could not be created or made private.
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    backend: Backend,
    read: AnyPool,
    write: AnyPool,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Dates people pick (deadlines, signing days) are stored as `YYYY-MM-DD` text, which sorts and
/// compares correctly on both engines.
pub(crate) fn date_text(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn parse_date(text: &str, what: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| Error::Corrupt(format!("{what} date {text}")))
}

/// `sqlite://path?mode=rwc` for a file path.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// The file of a `sqlite://PATH?…` URL (`None` for an in-memory database).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then(|| std::path::PathBuf::from(path))
}

/// Creates `path` empty and readable by its owner only, unless it exists.
pub fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    // A new database may name a directory that does not exist yet: make it (the owner's only).
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        private_dir(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates a directory (and its parents) readable by its owner only; nothing when it exists.
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes an existing file readable by its owner only (nothing when it does not exist).
pub fn make_private(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if path.exists() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`). Does not migrate.
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(Error::Sqlx(sqlx::Error::Configuration(
                format!("unsupported database URL (use sqlite:// or postgres://): {}", redact(url)).into(),
            )));
        };
        let options = AnyConnectOptions::from_str(url)?.log_statements(tracing::log::LevelFilter::Trace);
        match backend {
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                Ok(Db { backend, read: pool.clone(), write: pool })
            }
            Backend::Sqlite => {
                let file = sqlite_file(url);
                if let Some(path) = &file {
                    create_private(path)?;
                }
                let write = sqlite_pool(1).connect_with(options.clone()).await?;
                if let Some(path) = &file {
                    // SQLite gives its -wal and -shm files the database file's permissions; an
                    // existing database made before this rule is made private here.
                    for suffix in ["", "-wal", "-shm"] {
                        let mut name = path.clone().into_os_string();
                        name.push(suffix);
                        make_private(std::path::Path::new(&name))?;
                    }
                }
                // The writer is connected first so WAL mode is set before readers open.
                let read = sqlite_pool(8).connect_with(options).await?;
                Ok(Db { backend, read, write })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations of this backend.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.write).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.write).await?,
        }
        Ok(())
    }

    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// On SQLite, the durability settings of every pooled connection, writer first, each as
    /// (`synchronous`, `journal_mode`, `foreign_keys`); empty on PostgreSQL. Holds all
    /// connections of a pool at once, so that each one is asked, not the same one again.
    pub async fn sqlite_durability(&self) -> Result<Vec<(i64, String, i64)>> {
        if self.backend != Backend::Sqlite {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for pool in [&self.write, &self.read] {
            let mut held = Vec::new();
            for _ in 0..pool.options().get_max_connections() {
                held.push(pool.acquire().await?);
            }
            for conn in &mut held {
                let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut **conn).await?;
                let journal: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut **conn).await?;
                let keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut **conn).await?;
                out.push((synchronous, journal, keys));
            }
        }
        Ok(out)
    }

    /// Cheap liveness probe for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

fn sqlite_pool(connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // FULL: a commit the client saw acknowledged survives power loss, not only a crash.
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = FULL",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA busy_timeout = 10000",
                ] {
                    conn.execute(pragma).await?;
                }
                Ok(())
            })
        })
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://***{}", &url[..scheme], &url[at..]),
        _ => url.to_string(),
    }
}

/// Whether an error is a unique-constraint violation.
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|e| e.is_unique_violation())
}
