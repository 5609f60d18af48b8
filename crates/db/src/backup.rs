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
        // The copy is written inside a directory only the owner may enter, made private, and
        // only then moved to `path`: at no moment can another user of the machine read it.
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        let staging = tempfile::Builder::new().prefix(".kejiyun-backup-").tempdir_in(parent)?;
        let copy = staging.path().join("copy.db");
        let target = copy.to_str().ok_or_else(|| Error::Corrupt("backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1").bind(target).execute(&self.read).await?;
        crate::make_private(&copy)?;
        std::fs::rename(&copy, path)?;
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

    /// Rows per table of the schema, by table name: what a backup or a restore holds, and what
    /// tests compare to show a refused request changed nothing.
    pub async fn row_counts(&self) -> Result<Vec<(String, i64)>> {
        let catalog = match self.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
            }
        };
        let tables: Vec<String> = sqlx::query_scalar(catalog).fetch_all(&self.read).await?;
        let mut counts = Vec::with_capacity(tables.len());
        for table in tables {
            // Names come from the catalog, not from input; quoting keeps any name one identifier.
            let quoted = format!("\"{}\"", table.replace('"', "\"\""));
            let sql = format!("SELECT COUNT(*) FROM {quoted}");
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&self.read).await?;
            counts.push((table, n));
        }
        Ok(counts)
    }

    /// Per table: its name, its number of rows and a hash of its whole content (every column of
    /// every row, in a fixed order), so that a test can tell "nothing changed" from "as many
    /// rows as before". `sessions.last_seen_at` is left out: reading with a session may touch it.
    pub async fn table_fingerprints(&self) -> Result<Vec<(String, i64, u64)>> {
        use std::hash::{Hash, Hasher};
        let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
        let mut out = Vec::new();
        for (table, rows) in self.row_counts().await? {
            let columns: Vec<String> = match self.backend {
                Backend::Sqlite => sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid"),
                Backend::Postgres => sqlx::query_scalar(
                    "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                ),
            }
            .bind(&table)
            .fetch_all(&self.read)
            .await?;
            // Each value as SQL literal text (blobs as hex, NULL as NULL), joined into one string.
            let function = if self.backend == Backend::Sqlite { "quote" } else { "quote_nullable" };
            let values: Vec<String> = columns
                .iter()
                .filter(|c| !(table == "sessions" && c.as_str() == "last_seen_at"))
                .map(|c| format!("{function}({})", quote(c)))
                .collect();
            if values.is_empty() {
                continue;
            }
            let sql = format!("SELECT {} FROM {} ORDER BY 1", values.join(" || '|' || "), quote(&table));
            let lines: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&self.read).await?;
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            lines.hash(&mut hasher);
            out.push((table, rows, hasher.finish()));
        }
        Ok(out)
    }

    /// The highest migration applied, to tell a kejiyun database from another file.
    pub async fn schema_version(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_optional(&self.read)
            .await?
            .flatten())
    }
}
