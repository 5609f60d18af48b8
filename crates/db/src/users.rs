//! Users: accounts, profiles, password hashes.

use kejiyun_domain::time::{from_millis, now, to_millis};
use kejiyun_domain::user::{NewUser, OrgType};
use kejiyun_domain::{Code, Role, User};

use sqlx::AssertSqlSafe;

use crate::audit::{self, AuditEvent, AuditRecord};
use crate::sql::Sql;
use crate::{Db, Error, Result, is_unique_violation};

/// The names of the profile fields that differ between `old` and `new` (the values stay out of the
/// log: they are personal data).
fn changed_fields(old: &User, new: &User) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut check = |name, differs: bool| {
        if differs {
            changed.push(name);
        }
    };
    check("display_name", old.display_name != new.display_name);
    check("phone", old.phone != new.phone);
    check("email", old.email != new.email);
    check("title", old.title != new.title);
    check("employer", old.employer != new.employer);
    check("disciplines", old.disciplines != new.disciplines);
    check("fields", old.fields != new.fields);
    check("org_name", old.org_name != new.org_name);
    check("org_type", old.org_type != new.org_type);
    check("industry", old.industry != new.industry);
    changed
}

const COLUMNS: &str = "id, username, role, display_name, region_code, scope_region_code, phone, email, title, \
     employer, disciplines, fields, org_name, credit_code, org_type, industry, created_at";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    role: String,
    display_name: String,
    region_code: String,
    scope_region_code: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    title: Option<String>,
    employer: Option<String>,
    disciplines: String,
    fields: String,
    org_name: Option<String>,
    credit_code: Option<String>,
    org_type: Option<String>,
    industry: Option<String>,
    created_at: i64,
}

pub(crate) fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

pub(crate) fn to_json_list(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".to_string())
}

impl TryFrom<UserRow> for User {
    type Error = Error;
    fn try_from(r: UserRow) -> Result<User> {
        let role = Role::parse(&r.role).ok_or_else(|| Error::Corrupt(format!("user {} role {}", r.id, r.role)))?;
        Ok(User {
            id: r.id,
            username: r.username,
            role,
            display_name: r.display_name,
            region_code: r.region_code,
            scope_region_code: r.scope_region_code,
            phone: r.phone,
            email: r.email,
            title: r.title,
            employer: r.employer,
            disciplines: json_list(&r.disciplines),
            fields: json_list(&r.fields),
            org_name: r.org_name,
            credit_code: r.credit_code,
            org_type: r.org_type.as_deref().and_then(OrgType::parse),
            industry: r.industry,
            created_at: from_millis(r.created_at),
        })
    }
}

impl Db {
    /// Inserts a validated user with its password hash; names a taken username or credit code.
    /// Creates an account, audited as made by `created_by` (an admin) or by itself (`None`).
    pub async fn create_user(&self, user: &NewUser, password_hash: &str, created_by: Option<i64>) -> Result<i64> {
        let t = to_millis(now());
        let mut tx = self.write.begin().await?;
        let result = sqlx::query_scalar::<_, i64>(
            "INSERT INTO users (username, password_hash, role, display_name, region_code, scope_region_code, \
             phone, email, title, employer, disciplines, fields, org_name, credit_code, org_type, industry, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING id",
        )
        .bind(&user.username)
        .bind(password_hash)
        .bind(user.role.code())
        .bind(&user.display_name)
        .bind(&user.region_code)
        .bind(&user.scope_region_code)
        .bind(&user.phone)
        .bind(&user.email)
        .bind(&user.title)
        .bind(&user.employer)
        .bind(crate::users::to_json_list(&user.disciplines))
        .bind(crate::users::to_json_list(&user.fields))
        .bind(&user.org_name)
        .bind(&user.credit_code)
        .bind(user.org_type.map(|t| t.code()))
        .bind(&user.industry)
        .bind(t)
        .fetch_one(&mut *tx)
        .await;
        match result {
            Ok(id) => {
                let detail = format!("{} {}", user.role.code(), user.region_code);
                let event = AuditEvent {
                    actor_id: Some(created_by.unwrap_or(id)),
                    entity: "user",
                    entity_id: id,
                    action: if created_by.is_some() { "account_create" } else { "register" },
                    from_status: None,
                    to_status: Some(user.role.code()),
                    detail: Some(&detail),
                    result: kejiyun_domain::audit::OK,
                    region_code: Some(&user.region_code),
                    at: t,
                };
                audit::append(&mut tx, &event).await?;
                tx.commit().await?;
                Ok(id)
            }
            Err(e) if is_unique_violation(&e) => {
                if self.username_exists(&user.username).await? {
                    Err(kejiyun_domain::Error::of(Code::UsernameTaken).with_field("username").into())
                } else {
                    Err(kejiyun_domain::Error::of(Code::CreditCodeTaken).with_field("credit_code").into())
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn username_exists(&self, username: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE lower(username) = lower($1)")
            .bind(username)
            .fetch_one(&self.read)
            .await?;
        Ok(n > 0)
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(User::try_from).transpose()
    }

    /// The users of `ids` that exist, in no particular order (one query for a list of them).
    pub async fn users_by_ids(&self, ids: &[i64]) -> Result<Vec<User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM users WHERE id IN ("));
        sql.bind_list(ids.iter().copied()).push(")");
        let rows: Vec<UserRow> = sql.query_as().fetch_all(&self.read).await?;
        rows.into_iter().map(User::try_from).collect()
    }

    /// The user and password hash for a login name.
    pub async fn user_for_login(&self, username: &str) -> Result<Option<(User, String)>> {
        let row: Option<UserRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE lower(username) = lower($1)")))
                .bind(username)
                .fetch_optional(&self.read)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let id = row.id;
        let hash: String =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1").bind(id).fetch_one(&self.read).await?;
        Ok(Some((User::try_from(row)?, hash)))
    }

    pub async fn password_hash(&self, user_id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.read)
            .await?)
    }

    /// Sets a new password hash and ends every session of the user but `keep_session`.
    pub async fn set_password(&self, user_id: i64, hash: &str, keep_session: Option<&str>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let record = AuditRecord {
            actor_id: Some(user_id),
            entity: "user",
            entity_id: user_id,
            action: "password_change",
            from_status: None,
            to_status: None,
            detail: None,
            at: to_millis(now()),
        };
        audit::write(&mut tx, record).await?;
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(to_millis(now()))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep_session.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes the editable profile fields of `user` (whose stored profile was `old`), audited: the
    /// fields that changed, and a region change as its own record (old → new).
    pub async fn update_profile(&self, old: &User, user: &User) -> Result<()> {
        let t = to_millis(now());
        let mut tx = self.write.begin().await?;
        let changed = changed_fields(old, user);
        if !changed.is_empty() {
            let detail = changed.join(",");
            let record = AuditRecord {
                actor_id: Some(user.id),
                entity: "user",
                entity_id: user.id,
                action: "profile_update",
                from_status: None,
                to_status: None,
                detail: Some(&detail),
                at: t,
            };
            audit::write(&mut tx, record).await?;
        }
        if old.region_code != user.region_code {
            let record = AuditRecord {
                actor_id: Some(user.id),
                entity: "user",
                entity_id: user.id,
                action: "region_change",
                from_status: Some(&old.region_code),
                to_status: Some(&user.region_code),
                detail: None,
                at: t,
            };
            audit::write(&mut tx, record).await?;
        }
        sqlx::query(
            "UPDATE users SET display_name = $1, region_code = $2, phone = $3, email = $4, title = $5, \
             employer = $6, disciplines = $7, fields = $8, org_name = $9, org_type = $10, industry = $11, \
             updated_at = $12 WHERE id = $13",
        )
        .bind(&user.display_name)
        .bind(&user.region_code)
        .bind(&user.phone)
        .bind(&user.email)
        .bind(&user.title)
        .bind(&user.employer)
        .bind(to_json_list(&user.disciplines))
        .bind(to_json_list(&user.fields))
        .bind(&user.org_name)
        .bind(user.org_type.map(|t| t.code()))
        .bind(&user.industry)
        .bind(t)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.read).await?)
    }

    pub async fn count_users_by_role(&self, role: Role) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1")
            .bind(role.code())
            .fetch_one(&self.read)
            .await?)
    }

    /// Users of a role in a region subtree (by code prefix), newest first.
    pub async fn users_in_region(&self, role: Role, region_prefix: &str, limit: i64) -> Result<Vec<User>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM users WHERE role = "));
        sql.bind(role.code())
            .push(" AND region_code LIKE ")
            .bind(format!("{region_prefix}%"))
            .push(" ORDER BY id DESC LIMIT ")
            .bind(limit);
        let rows: Vec<UserRow> = sql.query_as().fetch_all(&self.read).await?;
        rows.into_iter().map(User::try_from).collect()
    }
}
