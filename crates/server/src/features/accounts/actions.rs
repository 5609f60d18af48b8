//! Registration, login, sessions, profile and password, staff accounts.

use kejiyun_db::audit::AuditEvent;
use kejiyun_domain::audit;
use kejiyun_domain::user::{ProfileInput, RegisterInput, validate_password};
use kejiyun_domain::{Code, Error, Role, User, policy};

use crate::features::Result;
use crate::http::auth::{self, token_hash};
use crate::platform::from_db;
use crate::platform::state::AppState;

/// Self-registration of experts, organisations and public readers.
pub async fn register(state: &AppState, input: RegisterInput) -> Result<User> {
    let new = input.validate(false)?;
    insert(&state.db, new, None).await
}

/// An admin creates a steward or admin account inside its own scope.
pub async fn create_staff(state: &AppState, admin: &User, input: RegisterInput) -> Result<User> {
    policy::check_admin(admin)?;
    if !matches!(input.role, Role::Admin | Role::Steward) {
        return Err(Error::field("role", "这里只能创建管理员或科服专员账号"));
    }
    let new = input.validate(true)?;
    policy::check_create_staff(admin, &new.region_code)?;
    insert(&state.db, new, Some(admin.id)).await
}

/// Creates an admin from the command line (no caller to check).
pub async fn create_admin_unchecked(state: &AppState, input: RegisterInput) -> Result<User> {
    create_admin_in(&state.db, input).await
}

/// The same on storage alone (`kejiyun admin create`): no search index is needed, so it works
/// while a server runs on the same data.
pub async fn create_admin_in(db: &kejiyun_db::Db, input: RegisterInput) -> Result<User> {
    let new = input.validate(true)?;
    insert(db, new, None).await
}

async fn insert(db: &kejiyun_db::Db, new: kejiyun_domain::user::NewUser, created_by: Option<i64>) -> Result<User> {
    if db.username_exists(&new.username).await.map_err(from_db)? {
        return Err(Error::of(Code::UsernameTaken).with_field("username"));
    }
    let hash = auth::hash_password(new.password.clone()).await?;
    let id = db.create_user(&new, &hash, created_by).await.map_err(from_db)?;
    db.user(id).await.map_err(from_db)?.ok_or_else(Error::internal)
}

/// Checks the password and opens a session of `kind` (`web` or `api`). Too many failures for the
/// account lock it for a while (429); too many from the address slow its attempts and answer its
/// wrong passwords 429, never its right ones (see `platform::guard`).
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    kind: &str,
    address: Option<std::net::IpAddr>,
) -> Result<(User, String)> {
    let address_over = match state.login_guard.check(username, address).await {
        Ok(over) => over,
        Err(locked) => {
            let known = state.db.user_for_login(username.trim()).await.map_err(from_db)?;
            login_event(state, known.as_ref().map(|(u, _)| u), username, "lockout", audit::REFUSED).await?;
            return Err(locked);
        }
    };
    if address_over.is_some() {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    let refusal = || address_over.map_or_else(|| Error::of(Code::InvalidCredentials), kejiyun_domain::throttle::locked);
    let found = state.db.user_for_login(username.trim()).await.map_err(from_db)?;
    let Some((user, hash)) = found else {
        auth::dummy_verify(password.to_string()).await;
        state.login_guard.failed(username, address).await;
        login_event(state, None, username, "login", audit::FAILED).await?;
        return Err(refusal());
    };
    if !auth::verify_password(password.to_string(), hash).await {
        state.login_guard.failed(username, address).await;
        login_event(state, Some(&user), username, "login", audit::FAILED).await?;
        return Err(refusal());
    }
    state.login_guard.succeeded(username).await;
    let token = auth::start_session(state, user.id, kind).await?;
    login_event(state, Some(&user), username, "login", audit::OK).await?;
    Ok((user, token))
}

/// Audits a login attempt: the account it named (when it exists) and its result. A failed attempt
/// has no actor (nobody proved who they are); one naming no account keeps the name tried.
async fn login_event(state: &AppState, user: Option<&User>, username: &str, action: &str, result: &str) -> Result<()> {
    let tried: String = username.trim().chars().take(64).collect();
    let event = AuditEvent {
        actor_id: user.filter(|_| result == audit::OK).map(|u| u.id),
        entity: "user",
        entity_id: user.map_or(0, |u| u.id),
        action,
        from_status: None,
        to_status: None,
        detail: if user.is_none() { Some(&tried) } else { None },
        result,
        region_code: user.map(|u| u.region_code.as_str()),
        at: kejiyun_domain::time::to_millis(kejiyun_domain::time::now()),
    };
    state.db.audit_event(event).await.map_err(from_db)
}

/// Opens a session of `kind` for a user who has just proven who they are (a new registration).
pub async fn sign_in(state: &AppState, user: &User, kind: &str) -> Result<String> {
    auth::start_session(state, user.id, kind).await
}

pub async fn logout(state: &AppState, token: &str) -> Result<()> {
    state.db.delete_session(&token_hash(token)).await.map_err(from_db).map(|_| ())
}

/// Changes the password after checking the old one; ends every other session of the user.
pub async fn change_password(
    state: &AppState,
    user: &User,
    old_password: &str,
    new_password: &str,
    current_token: Option<&str>,
    address: Option<std::net::IpAddr>,
) -> Result<()> {
    // Guessing the old password is guessing a password: it counts as a failed login, and a
    // locked account cannot change its password either.
    if let Err(locked) = state.login_guard.check(&user.username, address).await {
        login_event(state, Some(user), &user.username, "lockout", audit::REFUSED).await?;
        return Err(locked);
    }
    let hash = state.db.password_hash(user.id).await.map_err(from_db)?.ok_or_else(Error::unauthenticated)?;
    if !auth::verify_password(old_password.to_string(), hash).await {
        state.login_guard.failed(&user.username, address).await;
        login_event(state, Some(user), &user.username, "password_change", audit::FAILED).await?;
        return Err(Error::field("old_password", "原密码不正确"));
    }
    validate_password(&user.username, new_password).map_err(|e| e.with_field("new_password"))?;
    let new_hash = auth::hash_password(new_password.to_string()).await?;
    let keep = current_token.map(token_hash);
    state.db.set_password(user.id, &new_hash, keep.as_deref()).await.map_err(from_db)
}

pub async fn update_profile(state: &AppState, user: &User, input: ProfileInput) -> Result<User> {
    let mut updated = user.clone();
    input.apply(&mut updated)?;
    state.db.update_profile(user, &updated).await.map_err(from_db)?;
    // Names, titles and employers show on items and suggestions.
    state.cache.invalidate();
    Ok(updated)
}

pub async fn load_user(state: &AppState, id: i64) -> Result<User> {
    state.db.user(id).await.map_err(from_db)?.ok_or_else(Error::not_found)
}

/// The organisation account `org_id`, or 404 (also for accounts that are not organisations).
pub async fn load_org(state: &AppState, org_id: i64) -> Result<User> {
    let org = load_user(state, org_id).await?;
    if org.role != Role::Org { Err(Error::not_found()) } else { Ok(org) }
}

/// The caller's in-site notices, newest first (the latest hundred).
pub async fn notifications(state: &AppState, user: &User) -> Result<Vec<kejiyun_db::notifications::Notification>> {
    state.db.notifications(user.id, 100).await.map_err(from_db)
}

/// Marks all of the caller's notices read.
pub async fn mark_notifications_read(state: &AppState, user: &User) -> Result<()> {
    state.db.mark_notifications_read(user.id).await.map_err(from_db)
}
