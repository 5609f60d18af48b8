//! Login sessions (browser cookies and API bearer tokens). Only a SHA-256 of each token is
//! stored, so a copy of the database does not let anyone log in.

use kejiyun_domain::User;
use kejiyun_domain::time::{now, to_millis};

use crate::{Db, Result};

impl Db {
    pub async fn create_session(&self, token_hash: &str, user_id: i64, kind: &str, expires_at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
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

    /// The user of a live session.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<User>> {
        let user_id: Option<i64> =
            sqlx::query_scalar("SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2")
                .bind(token_hash)
                .bind(to_millis(now()))
                .fetch_optional(&self.read)
                .await?;
        match user_id {
            Some(id) => self.user(id).await,
            None => Ok(None),
        }
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
