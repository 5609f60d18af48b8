//! Login sessions (browser cookies and API bearer tokens). Only a SHA-256 of each token is
//! stored, so a copy of the database does not let anyone log in.

use kejiyun_domain::time::{now, to_millis};
use kejiyun_domain::user::IdleRules;
use kejiyun_domain::{Role, User};

use crate::{Db, Error, Result};

/// How stale a session's last use may be before a request records a new one.
const TOUCH_EVERY_MILLIS: i64 = 60_000;

impl Db {
    pub async fn create_session(&self, token_hash: &str, user_id: i64, kind: &str, expires_at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(kind)
        .bind(to_millis(now()))
        .bind(expires_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The user of a live session: not past its lifetime, and used within the idle limit of its
    /// user's role (an idle session is deleted). A use is recorded at most once a minute, so a
    /// busy session costs one write a minute, not one per request.
    pub async fn session_user(&self, token_hash: &str, idle: &IdleRules) -> Result<Option<User>> {
        let t = to_millis(now());
        let row: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT s.user_id, s.last_seen_at, u.role FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(t)
        .fetch_optional(&self.read)
        .await?;
        let Some((user_id, last_seen, role)) = row else { return Ok(None) };
        let role = Role::parse(&role).ok_or_else(|| Error::Corrupt(format!("role {role}")))?;
        if idle.expired(role, last_seen, t) {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.write).await?;
            return Ok(None);
        }
        if t - last_seen >= TOUCH_EVERY_MILLIS {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(t)
                .bind(token_hash)
                .execute(&self.write)
                .await?;
        }
        self.user(user_id).await
    }

    /// Ends a session (a logout, audited); the user it was of, if it existed.
    pub async fn delete_session(&self, token_hash: &str) -> Result<Option<i64>> {
        let mut tx = self.write.begin().await?;
        let user: Option<i64> = sqlx::query_scalar("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(user_id) = user {
            let record = crate::audit::AuditRecord {
                actor_id: Some(user_id),
                entity: "user",
                entity_id: user_id,
                action: "logout",
                from_status: None,
                to_status: None,
                detail: None,
                at: to_millis(now()),
            };
            crate::audit::write(&mut tx, record).await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    pub async fn delete_expired_sessions(&self) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(to_millis(now()))
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected())
    }
}
