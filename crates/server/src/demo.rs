//! `kejiyun demo`: fills an empty database with the demo dataset of `kejiyun-demo`, through the
//! same actions as real users (so every rule and the index apply).

use kejiyun_domain::{Code, Error, ItemStatus, Role};

use crate::actions;
use crate::error::from_db;
use crate::state::AppState;

/// Loads the demo data. Refuses a database that has users unless `force`.
pub async fn load(state: &AppState, seed: u64, force: bool) -> Result<(usize, usize), Error> {
    if !force && state.db.count_users().await.map_err(from_db)? > 0 {
        return Err(Error::new(Code::DatabaseExists, "数据库中已有数据；如确需追加演示数据，请使用 --force"));
    }
    let data = kejiyun_demo::generate(seed, kejiyun_domain::time::today_in_china(kejiyun_domain::time::now()));
    let mut users = std::collections::HashMap::new();
    for u in data.users {
        let username = u.input.username.clone();
        let user = match actions::accounts::register(state, u.input).await {
            Ok(user) => user,
            Err(e) if force && e.code == Code::UsernameTaken => continue,
            Err(e) => return Err(e),
        };
        users.insert(username, user);
    }
    let reviewer = demo_reviewer(state).await?;
    let mut items = 0;
    for d in data.items {
        let Some(owner) = users.get(&d.owner_username) else {
            continue;
        };
        let submit = !matches!(d.status, kejiyun_demo::DemoStatus::Draft);
        let item = actions::items::create(state, owner, d.kind, d.input, submit).await?;
        if matches!(d.status, kejiyun_demo::DemoStatus::Published) && item.status == ItemStatus::Pending {
            actions::items::review(state, &reviewer, d.kind, item.id, actions::items::Decision::Approve, None).await?;
        }
        items += 1;
    }
    Ok((users.len(), items))
}

/// The province admin that approves demo items (created if missing; it cannot log in until its
/// password is set with `kejiyun admin create`).
async fn demo_reviewer(state: &AppState) -> Result<kejiyun_domain::User, Error> {
    let password = format!("{}x9", crate::auth::new_token());
    let input =
        kejiyun_domain::user::RegisterInput::new("demo-reviewer", &password, Role::Admin, "演示审核员", "510000");
    match actions::accounts::create_admin_unchecked(state, input).await {
        Ok(user) => Ok(user),
        Err(e) if e.code == Code::UsernameTaken => {
            let found = state.db.user_for_login("demo-reviewer").await.map_err(from_db)?;
            found.map(|(u, _)| u).ok_or_else(Error::internal)
        }
        Err(e) => Err(e),
    }
}
