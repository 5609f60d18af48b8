//! Online backups of the embedded SQLite database and the checks a restore makes first.
//! PostgreSQL is backed up with its own tools (pg_dump / base backups with WAL archiving).

use std::path::Path;

use kejiyun_domain::{Code, Error as DomainError};

use crate::{Backend, Db, Error, Result};

impl Db {
    /// Writes a consistent copy of the whole database to `path` while the server keeps serving:
    /// SQLite's `VACUUM INTO` reads one snapshot (WAL readers do not block writers).
    pub async fn backup_to(&self, path: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(DomainError::new(Code::ValidationFailed, "PostgreSQL 请使用 pg_dump 备份（见 README）").into());
        }
        if path.exists() {
            return Err(DomainError::new(Code::ValidationFailed, "备份文件已存在，请换一个文件名").into());
        }
        let target = path.to_str().ok_or_else(|| Error::Corrupt("backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1").bind(target).execute(&self.read).await?;
        Ok(())
    }

    /// `ok` when SQLite finds the database intact; otherwise its complaints.
    pub async fn integrity_check(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&self.read).await?)
    }

    /// Every item, whatever its state (for restore reports).
    pub async fn count_all_items(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM items").fetch_one(&self.read).await?)
    }

    /// The highest migration applied, to tell a kejiyun database from another file.
    pub async fn schema_version(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_optional(&self.read)
            .await?
            .flatten())
    }
}
