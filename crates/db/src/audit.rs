//! The audit log: who changed what, when, from which state. Written in the same transaction as
//! the change it records.

use kejiyun_domain::time::{Timestamp, from_millis};
use serde::Serialize;
use sqlx::AnyConnection;

use crate::{Db, Result};

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: Option<String>,
    pub created_at: Timestamp,
}

/// One change to record.
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

pub(crate) async fn write(conn: &mut AnyConnection, r: AuditRecord<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (actor_id, entity, entity_id, action, from_status, to_status, detail, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(r.actor_id)
    .bind(r.entity)
    .bind(r.entity_id)
    .bind(r.action)
    .bind(r.from_status)
    .bind(r.to_status)
    .bind(r.detail)
    .bind(r.at)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    actor_id: Option<i64>,
    actor_name: Option<String>,
    entity: String,
    entity_id: i64,
    action: String,
    from_status: Option<String>,
    to_status: Option<String>,
    detail: Option<String>,
    created_at: i64,
}

impl Db {
    /// The history of one entity, oldest first.
    pub async fn audit_trail(&self, entity: &str, entity_id: i64) -> Result<Vec<AuditEntry>> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT a.id, a.actor_id, u.display_name AS actor_name, a.entity, a.entity_id, a.action, \
             a.from_status, a.to_status, a.detail, a.created_at \
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
             WHERE a.entity = $1 AND a.entity_id = $2 ORDER BY a.id",
        )
        .bind(entity)
        .bind(entity_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                actor_id: r.actor_id,
                actor_name: r.actor_name,
                entity: r.entity,
                entity_id: r.entity_id,
                action: r.action,
                from_status: r.from_status,
                to_status: r.to_status,
                detail: r.detail,
                created_at: from_millis(r.created_at),
            })
            .collect())
    }
}
