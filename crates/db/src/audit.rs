//! The audit log: who did what to which object, when, from which address, with what result.
//! Changes are recorded in the same transaction as the change; security events (logins, logouts,
//! password and profile changes, exports …) in their own. The log is append-only (triggers refuse
//! UPDATE, DELETE and TRUNCATE) and every record carries an SM3 hash chained to the record before
//! (`kejiyun_domain::audit`); `Db::audit_verify` walks the chain.
//!
//! The source address of a request reaches every record without each call passing it: the server
//! runs each request inside [`CONTEXT`].

use kejiyun_domain::audit::{GENESIS, Sealed, chain_hash};
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::time::{Timestamp, from_millis};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::sql::Sql;
use crate::{Db, Result};

tokio::task_local! {
    /// The request being served: what the audit records of its changes say about their source.
    pub static CONTEXT: RequestContext;
}

/// What the server knows of the request a change comes from.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The client's address (as `--trusted-proxies` allows it to be known).
    pub address: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub address: Option<String>,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: Option<String>,
    pub result: String,
    pub region_code: Option<String>,
    pub created_at: Timestamp,
}

/// One change to record (in the change's transaction).
pub struct AuditRecord<'a> {
    pub actor_id: Option<i64>,
    pub entity: &'a str,
    pub entity_id: i64,
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub at: i64,
}

/// One security event (a login, a logout, an export …), recorded on its own.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub actor_id: Option<i64>,
    pub entity: &'a str,
    pub entity_id: i64,
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub detail: Option<&'a str>,
    /// `kejiyun_domain::audit::{OK, FAILED, REFUSED}`.
    pub result: &'a str,
    /// The region whose admins may read the record; `None`: the actor's region.
    pub region_code: Option<&'a str>,
    pub at: i64,
}

impl<'a> From<AuditRecord<'a>> for AuditEvent<'a> {
    fn from(r: AuditRecord<'a>) -> Self {
        AuditEvent {
            actor_id: r.actor_id,
            entity: r.entity,
            entity_id: r.entity_id,
            action: r.action,
            from_status: r.from_status,
            to_status: r.to_status,
            detail: r.detail,
            result: kejiyun_domain::audit::OK,
            region_code: None,
            at: r.at,
        }
    }
}

/// Longest detail kept (characters).
const DETAIL_CHARS: usize = 500;

/// A lock number no other statement takes: holders append to the chain one at a time.
const CHAIN_LOCK: i64 = 0x6b_656a_6979_756e; // "kejiyun"

pub(crate) async fn write(conn: &mut AnyConnection, r: AuditRecord<'_>) -> Result<()> {
    append(conn, &r.into()).await
}

/// Appends one record to the chain. On PostgreSQL the chain's head is locked for the rest of the
/// transaction (concurrent writers queue there, so every record links to the one committed before
/// it); SQLite has one writer.
pub(crate) async fn append(conn: &mut AnyConnection, e: &AuditEvent<'_>) -> Result<()> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT CAST(1 AS BIGINT) FROM (SELECT pg_advisory_xact_lock($1)) AS locked")
            .bind(CHAIN_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let region: Option<String> = match (e.region_code, e.actor_id) {
        (Some(r), _) => Some(r.to_string()),
        (None, Some(actor)) => {
            sqlx::query_scalar("SELECT region_code FROM users WHERE id = $1")
                .bind(actor)
                .fetch_optional(&mut *conn)
                .await?
        }
        (None, None) => None,
    };
    let address = CONTEXT.try_with(|c| c.address.clone()).ok().flatten();
    let detail: Option<String> = e.detail.map(|d| d.chars().take(DETAIL_CHARS).collect());
    let prev: Option<String> =
        sqlx::query_scalar("SELECT hash FROM audit_log WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let prev = prev.unwrap_or_else(|| GENESIS.to_string());
    let sealed = Sealed {
        at: e.at,
        actor_id: e.actor_id,
        address: address.as_deref(),
        entity: e.entity,
        entity_id: e.entity_id,
        action: e.action,
        from_status: e.from_status,
        to_status: e.to_status,
        detail: detail.as_deref(),
        result: e.result,
        region_code: region.as_deref(),
    };
    let hash = chain_hash(&prev, &sealed);
    sqlx::query(
        "INSERT INTO audit_log (actor_id, entity, entity_id, action, from_status, to_status, detail, created_at, \
         address, result, region_code, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(e.actor_id)
    .bind(e.entity)
    .bind(e.entity_id)
    .bind(e.action)
    .bind(e.from_status)
    .bind(e.to_status)
    .bind(detail.as_deref())
    .bind(e.at)
    .bind(address.as_deref())
    .bind(e.result)
    .bind(region.as_deref())
    .bind(&prev)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    actor_id: Option<i64>,
    actor_name: Option<String>,
    address: Option<String>,
    entity: String,
    entity_id: i64,
    action: String,
    from_status: Option<String>,
    to_status: Option<String>,
    detail: Option<String>,
    result: String,
    region_code: Option<String>,
    created_at: i64,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            address: r.address,
            entity: r.entity,
            entity_id: r.entity_id,
            action: r.action,
            from_status: r.from_status,
            to_status: r.to_status,
            detail: r.detail,
            result: r.result,
            region_code: r.region_code,
            created_at: from_millis(r.created_at),
        }
    }
}

const COLUMNS: &str = "a.id, a.actor_id, u.display_name AS actor_name, a.address, a.entity, a.entity_id, a.action, \
     a.from_status, a.to_status, a.detail, a.result, a.region_code, a.created_at \
     FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id";

/// What an admin searches the log by. Every field narrows; `region_prefix` is the admin's scope.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Records of this region subtree only (by prefix); `None`: all (the province).
    pub region_prefix: Option<String>,
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    /// From this time (ms), inclusive.
    pub since: Option<i64>,
    /// Before this time (ms), exclusive.
    pub until: Option<i64>,
}

impl AuditFilter {
    fn sql(&self) -> Sql {
        let mut f = Sql::new(" WHERE 1 = 1");
        if let Some(prefix) = &self.region_prefix {
            f.push(" AND a.region_code LIKE ").bind(format!("{prefix}%"));
        }
        if let Some(actor) = self.actor_id {
            f.push(" AND a.actor_id = ").bind(actor);
        }
        if let Some(action) = &self.action {
            f.push(" AND a.action = ").bind(action.as_str());
        }
        if let Some(entity) = &self.entity {
            f.push(" AND a.entity = ").bind(entity.as_str());
        }
        if let Some(id) = self.entity_id {
            f.push(" AND a.entity_id = ").bind(id);
        }
        if let Some(since) = self.since {
            f.push(" AND a.created_at >= ").bind(since);
        }
        if let Some(until) = self.until {
            f.push(" AND a.created_at < ").bind(until);
        }
        f
    }
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Records written before the chain existed (no hash), at the start of the log.
    pub unsealed: u64,
    /// Records whose hashes were checked.
    pub checked: u64,
    /// The first record that breaks the chain, and how.
    pub broken: Option<kejiyun_domain::audit::Break>,
}

impl Db {
    /// Records one security event in its own transaction.
    pub async fn audit_event(&self, e: AuditEvent<'_>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The history of one entity, oldest first.
    pub async fn audit_trail(&self, entity: &str, entity_id: i64) -> Result<Vec<AuditEntry>> {
        let rows: Vec<AuditRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} WHERE a.entity = $1 AND a.entity_id = $2 ORDER BY a.id"
        )))
        .bind(entity)
        .bind(entity_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    /// A page of the log, newest first.
    pub async fn audit_search(&self, filter: &AuditFilter, page: PageRequest) -> Result<Page<AuditEntry>> {
        let f = filter.sql();
        let mut count = Sql::new("SELECT COUNT(*) FROM audit_log a");
        count.push(&f.text);
        count.binds = f.binds.clone();
        let total: i64 = count.query_scalar().fetch_one(&self.read).await?;
        let mut sql = Sql::new(&format!("SELECT {COLUMNS}"));
        sql.push(&f.text);
        sql.binds = f.binds;
        sql.push(" ORDER BY a.id DESC LIMIT ").bind(page.limit()).push(" OFFSET ").bind(page.offset());
        let rows: Vec<AuditRow> = sql.query_as().fetch_all(&self.read).await?;
        Ok(Page::new(rows.into_iter().map(AuditEntry::from).collect(), total, page))
    }

    /// Up to `limit` records of a search, oldest first (for an export).
    pub async fn audit_export(&self, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditEntry>> {
        let f = filter.sql();
        let mut sql = Sql::new(&format!("SELECT {COLUMNS}"));
        sql.push(&f.text);
        sql.binds = f.binds;
        sql.push(" ORDER BY a.id LIMIT ").bind(limit);
        let rows: Vec<AuditRow> = sql.query_as().fetch_all(&self.read).await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    /// Walks the whole chain in id order, in batches.
    pub async fn audit_verify(&self) -> Result<ChainReport> {
        use kejiyun_domain::audit::Break;
        let mut report = ChainReport { unsealed: 0, checked: 0, broken: None };
        let mut prev: Option<String> = None;
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT id, created_at, actor_id, address, entity, entity_id, action, from_status, to_status, \
                 detail, result, region_code, prev_hash, hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT 5000",
            )
            .bind(after)
            .fetch_all(&self.read)
            .await?;
            if rows.is_empty() {
                return Ok(report);
            }
            for row in &rows {
                let id: i64 = row.try_get("id")?;
                after = id;
                let hash: Option<String> = row.try_get("hash")?;
                let prev_hash: Option<String> = row.try_get("prev_hash")?;
                let (Some(hash), Some(prev_hash)) = (hash, prev_hash) else {
                    if prev.is_none() {
                        report.unsealed += 1;
                        continue;
                    }
                    // A record without a hash after the chain began was put there around the log.
                    report.broken = Some(Break::Content { id });
                    return Ok(report);
                };
                let expected = prev.as_deref().unwrap_or(GENESIS);
                if prev_hash != expected {
                    report.broken = Some(Break::Link { id });
                    return Ok(report);
                }
                let address: Option<String> = row.try_get("address")?;
                let entity: String = row.try_get("entity")?;
                let action: String = row.try_get("action")?;
                let from_status: Option<String> = row.try_get("from_status")?;
                let to_status: Option<String> = row.try_get("to_status")?;
                let detail: Option<String> = row.try_get("detail")?;
                let result: String = row.try_get("result")?;
                let region_code: Option<String> = row.try_get("region_code")?;
                let sealed = Sealed {
                    at: row.try_get("created_at")?,
                    actor_id: row.try_get("actor_id")?,
                    address: address.as_deref(),
                    entity: &entity,
                    entity_id: row.try_get("entity_id")?,
                    action: &action,
                    from_status: from_status.as_deref(),
                    to_status: to_status.as_deref(),
                    detail: detail.as_deref(),
                    result: &result,
                    region_code: region_code.as_deref(),
                };
                if chain_hash(&prev_hash, &sealed) != hash {
                    report.broken = Some(Break::Content { id });
                    return Ok(report);
                }
                report.checked += 1;
                prev = Some(hash);
            }
        }
    }
}
