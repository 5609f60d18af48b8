//! The `kejiyun` command line. Flags may also come from environment variables (shown in
//! `--help`); flags win over the environment.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use kejiyun_domain::user::RegisterInput;
use kejiyun_domain::{Role, regions};

use crate::platform::config::{LimitArgs, SecurityArgs, ServerArgs, TaskArgs};
use crate::platform::indexing;
use crate::{Settings, Storage, demo};

#[derive(Parser)]
#[command(name = "kejiyun", version, about = "科技云：省级科技服务云平台 (science & technology service cloud)")]
struct Cli {
    /// Log format.
    #[arg(long, env = "KEJIYUN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Args, Clone)]
#[command(next_help_heading = "Storage")]
struct StorageArgs {
    /// Directory for the SQLite database (kejiyun.db) and the search index.
    #[arg(long, env = "KEJIYUN_DATA_DIR", default_value = ".")]
    data_dir: PathBuf,
    /// Database URL: sqlite://path.db or postgres://user@host/db. Default: DATA_DIR/kejiyun.db.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
}

impl StorageArgs {
    fn storage(&self) -> Storage {
        Storage::new(&self.data_dir, self.database_url.as_deref())
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (web pages and JSON API).
    Serve {
        #[command(flatten)]
        storage: StorageArgs,
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        security: SecurityArgs,
        #[command(flatten)]
        limits: LimitArgs,
        #[command(flatten)]
        tasks: TaskArgs,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Fill an empty database with a realistic demo dataset.
    Demo {
        #[command(flatten)]
        storage: StorageArgs,
        /// Add the demo data even if the database already has data.
        #[arg(long)]
        force: bool,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Write a consistent copy of the SQLite database while the server keeps running.
    Backup {
        #[command(flatten)]
        storage: StorageArgs,
        /// The backup file to create (must not exist yet).
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace DATA_DIR/kejiyun.db with a checked backup (stop the server first).
    Restore {
        #[command(flatten)]
        storage: StorageArgs,
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// Overwrite an existing database.
        #[arg(long)]
        force: bool,
    },
    /// Rebuild the search index from the database.
    Reindex {
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage administrator accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Matching engine tools.
    Match {
        #[command(subcommand)]
        command: MatchCommand,
    },
    /// Benchmarks (they print figures; they are not tests).
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Print the version.
    Version,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Matching speed on a synthetic corpus: index build time, query latency, peak memory, and
    /// the naive SQL `LIKE` approach on the same rows. Last line: `items=N build_s=… p50_ms=… …`.
    Match(kejiyun_tools::bench::MatchBenchArgs),
    /// Public votes: votes per second through the vote transaction from concurrent tasks, its
    /// latency, and reading the standings of a poll that holds them. Last line:
    /// `votes=N seconds=… votes_per_s=… p50_ms=… p99_ms=… standings_p99_ms=… consistent=true`.
    Votes(kejiyun_tools::bench_votes::VoteBenchArgs),
}

#[derive(Subcommand)]
enum MatchCommand {
    /// Rank needs against items in a throw-away index with the server's ranker, time each need
    /// (p50/p99) and score the ranking. The last line is `ndcg@10=… recall@10=… mrr@10=…` when
    /// qrels are given.
    Eval(kejiyun_tools::match_eval::EvalArgs),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the audit log's hash chain from its first record to its last; names the first record
    /// that was altered, removed or inserted around the log, and exits non-zero when one was.
    Verify {
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin. The password is read from standard input when it is not a terminal,
    /// otherwise prompted for (twice).
    Create {
        #[command(flatten)]
        storage: StorageArgs,
        #[arg(long)]
        username: String,
        /// Region the admin moderates (its whole subtree), e.g. 510000 for the province.
        #[arg(long)]
        region: String,
        /// Name shown to users.
        #[arg(long)]
        display_name: Option<String>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("无法启动运行时 (cannot start runtime): {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 (error): {}", error_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each said once: a layer whose message already holds its
/// cause's (as `thiserror` wrappers do) is not followed by that cause again.
fn error_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tantivy=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { storage, server, security, limits, tasks } => {
            let settings = Settings::from_args(&server, &security, &limits, &tasks);
            let state = crate::open(&storage.storage(), settings).await?;
            if server.demo && state.db.count_users().await? == 0 {
                let (users, items) = demo::load(&state, 2026, false).await?;
                tracing::info!(users, items, "demo data loaded");
            }
            let listener = tokio::net::TcpListener::bind(server.bind).await?;
            tracing::info!(address = %listener.local_addr()?, "kejiyun listening");
            let metrics = tokio::net::TcpListener::bind(server.metrics_bind)
                .await
                .with_context(|| format!("metrics address {} (--metrics-bind)", server.metrics_bind))?;
            tracing::info!(address = %metrics.local_addr()?, "metrics listening");
            let metrics_app = crate::metrics_router(state.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(metrics, metrics_app).await {
                    tracing::error!(error = %e, "metrics listener stopped");
                }
            });
            crate::serve(state, listener, shutdown_signal()).await
        }
        Command::Migrate { storage } => {
            let storage = storage.storage();
            let db = kejiyun_db::Db::connect(&storage.database_url).await?;
            db.migrate().await?;
            println!("数据库已是最新结构 (migrations applied): {}", kejiyun_db::redact(&storage.database_url));
            Ok(())
        }
        Command::Demo { storage, force, seed } => {
            let state = crate::open(&storage.storage(), Settings::default()).await?;
            let (users, items) = demo::load(&state, seed, force).await?;
            state.search.shutdown().await?;
            println!("演示数据已导入 (demo data loaded): {users} 个账号, {items} 条发布");
            Ok(())
        }
        Command::Backup { storage, to } => {
            let bytes = crate::platform::backup::backup(&storage.storage().database_url, &to).await?;
            println!("备份完成 (backup written): {} ({bytes} 字节)", to.display());
            Ok(())
        }
        Command::Restore { storage, from, force } => {
            if storage.database_url.is_some() {
                anyhow::bail!("restore 只用于内置 SQLite 数据库；PostgreSQL 请用 pg_restore（见 README）");
            }
            let items = crate::platform::backup::restore(&from, &storage.data_dir, force).await?;
            println!("恢复完成 (restored): {items} 条发布；搜索索引将在下次启动时重建");
            Ok(())
        }
        Command::Audit { command: AuditCommand::Verify { storage } } => {
            let storage = storage.storage();
            let db = kejiyun_db::Db::connect(&storage.database_url).await?;
            db.migrate().await?;
            let report = db.audit_verify().await;
            db.close().await;
            let report = report?;
            let legacy = if report.unsealed > 0 {
                format!("；另有 {} 条记录早于哈希链，未校验 ({} legacy records)", report.unsealed, report.unsealed)
            } else {
                String::new()
            };
            match report.broken {
                None => {
                    println!("审计日志完整 (audit chain intact): {} 条记录已校验{legacy}", report.checked);
                    Ok(())
                }
                Some(kejiyun_domain::audit::Break::Content { id }) => anyhow::bail!(
                    "审计日志第 {id} 条记录已被改动 (record {id} was altered)；其前 {} 条完好",
                    report.checked
                ),
                Some(kejiyun_domain::audit::Break::Link { id }) => anyhow::bail!(
                    "审计日志在第 {id} 条记录处断开：其前一条记录被删除、插入或改动 (chain broken at record {id})；其前 {} 条完好",
                    report.checked
                ),
            }
        }
        Command::Reindex { storage } => {
            let state = crate::open(&storage.storage(), Settings::default()).await?;
            let n = indexing::rebuild(&state).await?;
            state.search.shutdown().await?;
            println!("索引已重建 (index rebuilt): {n} 条");
            Ok(())
        }
        Command::Admin { command: AdminCommand::Create { storage, username, region, display_name } } => {
            let region_name = regions().require(&region)?.name.clone();
            let password = read_password()?;
            // Storage only: the search index (whose writer a running server holds) is not needed.
            let storage = storage.storage();
            let db = kejiyun_db::Db::connect(&storage.database_url).await?;
            db.migrate().await?;
            let name = display_name.unwrap_or_else(|| format!("{region_name}管理员"));
            let input = RegisterInput::new(&username, &password, Role::Admin, &name, &region);
            let user = crate::features::accounts::actions::create_admin_in(&db, input).await;
            db.close().await;
            let user = user?;
            println!("已创建管理员 (admin created): {} ({region_name})", user.username);
            Ok(())
        }
        Command::Match { command: MatchCommand::Eval(args) } => {
            for line in kejiyun_tools::match_eval::eval(&args).await? {
                println!("{line}");
            }
            Ok(())
        }
        Command::Bench { command: BenchCommand::Match(args) } => kejiyun_tools::bench::match_bench(args).await,
        Command::Bench { command: BenchCommand::Votes(args) } => kejiyun_tools::bench_votes::vote_bench(args).await,
        Command::Version => {
            println!("kejiyun {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
    }
}

/// The password from a pipe (first line) or, on a terminal, typed twice without echo.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("密码 (password): ")?;
        let second = rpassword::prompt_password("再次输入 (again): ")?;
        if first != second {
            anyhow::bail!("两次输入的密码不一致 (passwords differ)");
        }
        Ok(first)
    } else {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        let line = text.lines().next().unwrap_or_default().to_string();
        if line.is_empty() {
            anyhow::bail!("标准输入中没有密码 (no password on standard input)");
        }
        Ok(line)
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: draining requests");
}
