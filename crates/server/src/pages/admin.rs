//! The admin review queue.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use kejiyun_domain::page::PageRequest;
use kejiyun_domain::{Error, Role, regions};
use serde::Deserialize;

use super::views::{Card, Pager};
use super::{Csrf, Layout, PageError, PageQuery, PageResult, render, signed_in};
use crate::actions;
use crate::auth::WebUser;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    layout: Layout,
    scope_name: String,
    cards: Vec<Card>,
    pager: Pager,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    page: Option<u32>,
}

pub async fn review_queue(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    PageQuery(q): PageQuery<QueueQuery>,
) -> PageResult {
    let user = signed_in(user)?;
    if user.role != Role::Admin {
        return Err(PageError(Error::forbidden()));
    }
    let page = actions::items::review_queue(&state, &user, PageRequest::new(q.page, Some(20))?).await?;
    let view = ReviewPage {
        layout: Layout::new(&state, Some(&user), &csrf, "审核队列", "review").await,
        scope_name: regions().full_name(user.admin_scope().unwrap_or_default()),
        cards: page.items.iter().map(Card::of).collect(),
        pager: Pager::of(&page, "/admin/review?"),
    };
    Ok(render(&view))
}
