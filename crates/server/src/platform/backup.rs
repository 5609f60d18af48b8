//! `kejiyun backup` and `kejiyun restore` for the embedded SQLite database.
//! A backup is taken online (the server keeps running); a restore replaces the database of a
//! stopped server after checking the copy, and drops the search index so it is rebuilt at start.

use std::path::Path;

use anyhow::{Context, bail};
use kejiyun_db::Db;

/// Writes a consistent copy of the database at `database_url` to `to`.
pub async fn backup(database_url: &str, to: &Path) -> anyhow::Result<u64> {
    let db = Db::connect(database_url).await?;
    let result = db.backup_to(to).await;
    db.close().await;
    result?;
    Ok(std::fs::metadata(to)?.len())
}

/// Checks `from` and makes it `DATA_DIR/kejiyun.db`. Returns the number of items it holds.
pub async fn restore(from: &Path, data_dir: &Path, force: bool) -> anyhow::Result<i64> {
    if !from.is_file() {
        bail!("备份文件不存在 (backup file not found): {}", from.display());
    }
    let target = data_dir.join("kejiyun.db");
    if target.exists() && !force {
        bail!("{} 已存在；确认用备份覆盖请加 --force（请先停止服务）", target.display());
    }
    std::fs::create_dir_all(data_dir)?;
    // Work on a copy beside the target, so the rename at the end is atomic on one file system.
    let staging = data_dir.join("kejiyun.db.restoring");
    std::fs::copy(from, &staging).context("copying the backup")?;
    kejiyun_db::make_private(&staging)?;
    let db = Db::connect(&kejiyun_db::sqlite_url(&staging)).await?;
    let verdict = async {
        let problems = db.integrity_check().await?;
        if problems != ["ok"] {
            bail!("备份文件已损坏 (integrity check failed): {}", problems.join("; "));
        }
        if db.schema_version().await.ok().flatten().is_none() {
            bail!("这不是科技云的数据库备份 (not a kejiyun database)");
        }
        Ok(db.count_all_items().await?)
    }
    .await;
    db.close().await;
    let items = match verdict {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            return Err(e);
        }
    };
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(data_dir.join(format!("kejiyun.db{suffix}")));
        let _ = std::fs::remove_file(data_dir.join(format!("kejiyun.db.restoring{suffix}")));
    }
    std::fs::rename(&staging, &target)?;
    let index = data_dir.join("index");
    if index.exists() {
        std::fs::remove_dir_all(&index)?;
    }
    Ok(items)
}
