//! 投票 pages: the list of polls, a poll with its candidates and vote buttons, and the admins'
//! form to organise one.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use kejiyun_domain::time::today;
use kejiyun_domain::vote::{CandidateInput, PollDetail, PollInput, PollPhase, VoteInput};
use kejiyun_domain::{Code, Error, User, policy, regions};
use serde::Deserialize;

use super::actions::PollListQuery;
use crate::http::auth::WebUser;
use crate::http::client::ClientAddr;
use crate::http::page::{
    Csrf, CsrfForm, Layout, PageError, PageQuery, PageResult, non_empty, redirect, render, render_with, signed_in,
};
use crate::http::views::{Choice, Pager, region_choices};
use crate::platform::state::AppState;

fn poll_id(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| PageError(Error::new(Code::NotFound, "页面不存在")))
}

pub struct PollLine {
    pub href: String,
    pub title: String,
    pub region_name: String,
    pub period: String,
    pub phase_code: &'static str,
    pub phase_label: &'static str,
    pub candidates: i64,
    pub votes: i64,
}

#[derive(Template)]
#[template(path = "votes/polls.html")]
struct PollsPage {
    layout: Layout,
    polls: Vec<PollLine>,
    pager: Pager,
    can_create: bool,
}

#[derive(Deserialize)]
pub struct PollsQuery {
    page: Option<u32>,
}

pub async fn polls(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    PageQuery(q): PageQuery<PollsQuery>,
) -> PageResult {
    let query = PollListQuery { page: q.page, per_page: Some(20), ..Default::default() };
    let page = super::actions::list(&state, &query).await?;
    let polls = page
        .items
        .iter()
        .map(|p| PollLine {
            href: format!("/polls/{}", p.id),
            title: p.title.clone(),
            region_name: regions().short_name(&p.region_code),
            period: format!("{} 至 {}", p.starts_on, p.ends_on),
            phase_code: p.phase.code(),
            phase_label: p.phase.label(),
            candidates: p.candidate_count,
            votes: p.total_votes,
        })
        .collect();
    let view = PollsPage {
        layout: Layout::new(&state, user.as_ref(), &csrf, "投票", "polls").await,
        polls,
        pager: Pager::of(&page, "/polls?"),
        can_create: user.as_ref().is_some_and(policy::can_organise_polls),
    };
    Ok(render(&view))
}

pub struct CandidateLine {
    pub id: i64,
    pub rank: usize,
    pub name: String,
    pub summary: String,
    pub votes: i64,
    /// Share of the leader's count, for the bar (0–100).
    pub bar: i64,
    pub voted_today: bool,
}

#[derive(Template)]
#[template(path = "votes/poll.html")]
struct PollPage {
    layout: Layout,
    id: i64,
    title: String,
    description: String,
    region_name: String,
    period: String,
    phase_label: &'static str,
    open: bool,
    votes_per_day: u32,
    total_votes: i64,
    signed_in: bool,
    /// Signed in, open, and votes left today: the buttons show.
    can_vote: bool,
    remaining_today: Option<u32>,
    candidates: Vec<CandidateLine>,
    error: Option<String>,
    notice: Option<String>,
}

async fn poll_page(
    state: &AppState,
    user: Option<&User>,
    csrf: &Csrf,
    d: PollDetail,
    error: Option<String>,
    notice: Option<String>,
) -> PollPage {
    let voted = d.voted_today(today());
    let leader = d.candidates.iter().map(|c| c.vote_count).max().unwrap_or(0).max(1);
    let candidates = d
        .candidates
        .iter()
        .map(|c| CandidateLine {
            id: c.id,
            // Competition ranking: ties share a rank.
            rank: 1 + d.candidates.iter().filter(|o| o.vote_count > c.vote_count).count(),
            name: c.name.clone(),
            summary: c.summary.clone(),
            votes: c.vote_count,
            bar: c.vote_count * 100 / leader,
            voted_today: voted.contains(&c.id),
        })
        .collect();
    PollPage {
        layout: Layout::new(state, user, csrf, d.poll.title.clone(), "polls").await,
        id: d.poll.id,
        title: d.poll.title.clone(),
        description: d.poll.description.clone(),
        region_name: regions().full_name(&d.poll.region_code),
        period: format!("{} 至 {}", d.poll.starts_on, d.poll.ends_on),
        phase_label: d.poll.phase.label(),
        open: d.poll.phase == PollPhase::Open,
        votes_per_day: d.poll.votes_per_day,
        total_votes: d.poll.total_votes,
        signed_in: user.is_some(),
        can_vote: d.remaining_today.is_some_and(|r| r > 0),
        remaining_today: d.remaining_today,
        candidates,
        error,
        notice,
    }
}

#[derive(Deserialize)]
pub struct PollQuery {
    #[serde(default)]
    voted: Option<String>,
}

pub async fn poll(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<PollQuery>,
) -> PageResult {
    let id = poll_id(&id)?;
    let detail = super::actions::detail(&state, user.as_ref(), id).await?;
    let notice = q.voted.is_some().then(|| "投票成功，感谢参与！".to_string());
    Ok(render(&poll_page(&state, user.as_ref(), &csrf, detail, None, notice).await))
}

#[derive(Deserialize)]
pub struct VoteForm {
    candidate_id: String,
}

pub async fn vote(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<VoteForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let id = poll_id(&id)?;
    let candidate_id = form.candidate_id.parse().map_err(|_| PageError(Error::field("candidate_id", "请选择候选")))?;
    match super::actions::vote(&state, &user, id, VoteInput { candidate_id }, client).await {
        Ok(_) => Ok(redirect(&format!("/polls/{id}?voted=1"))),
        // A refused vote shows the poll again with the reason, unless the poll itself is missing.
        Err(e) if e.code != Code::NotFound && e.code != Code::RateLimited => {
            let status = crate::http::error::status_of(&e);
            let detail = super::actions::detail(&state, Some(&user), id).await?;
            Ok(render_with(status, &poll_page(&state, Some(&user), &csrf, detail, Some(e.message), None).await))
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Deserialize, Default)]
pub struct PollForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    votes_per_day: String,
    /// One candidate per line: `名称｜简介` (the summary is optional).
    #[serde(default)]
    candidates: String,
}

#[derive(Template)]
#[template(path = "votes/poll_form.html")]
struct PollFormPage {
    layout: Layout,
    form: PollForm,
    regions: Vec<Choice>,
    error: Option<String>,
}

fn admin_only(user: Option<User>) -> Result<User, PageError> {
    let user = signed_in(user)?;
    policy::check_poll_organiser(&user)?;
    Ok(user)
}

/// The admin's scope and below, for the organising region.
fn scope_choices(user: &User, selected: &str) -> Vec<Choice> {
    let scope = user.admin_scope().unwrap_or_default();
    region_choices(selected, true).into_iter().filter(|c| regions().is_within(&c.value, scope)).collect()
}

pub async fn new_poll_form(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
) -> PageResult {
    let user = admin_only(user)?;
    let start = today();
    let form = PollForm {
        region_code: user.admin_scope().unwrap_or_default().to_string(),
        starts_on: start.to_string(),
        ends_on: (start + chrono::Days::new(14)).to_string(),
        votes_per_day: "1".into(),
        ..Default::default()
    };
    let view = PollFormPage {
        layout: Layout::new(&state, Some(&user), &csrf, "发起投票", "polls").await,
        regions: scope_choices(&user, &form.region_code),
        form,
        error: None,
    };
    Ok(render(&view))
}

fn parse_form(form: &PollForm) -> Result<PollInput, Error> {
    let date = |field: &'static str, text: &str| {
        text.trim().parse::<NaiveDate>().map_err(|_| Error::field(field, "请填写日期，如 2026-12-01"))
    };
    let votes_per_day =
        form.votes_per_day.trim().parse().map_err(|_| Error::field("votes_per_day", "请填写每人每天的票数"))?;
    let candidates = form
        .candidates
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let (name, summary) = line.split_once(['|', '｜']).unwrap_or((line, ""));
            CandidateInput { name: name.to_string(), summary: non_empty(summary) }
        })
        .collect();
    Ok(PollInput {
        title: form.title.clone(),
        description: non_empty(&form.description),
        region_code: form.region_code.clone(),
        starts_on: date("starts_on", &form.starts_on)?,
        ends_on: date("ends_on", &form.ends_on)?,
        votes_per_day,
        candidates,
    })
}

pub async fn create_poll(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    CsrfForm(form): CsrfForm<PollForm>,
) -> PageResult {
    let user = admin_only(user)?;
    let created = match parse_form(&form) {
        Ok(input) => super::actions::create(&state, &user, input).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(detail) => Ok(redirect(&format!("/polls/{}", detail.poll.id))),
        Err(e) if e.status() == 422 => {
            let view = PollFormPage {
                layout: Layout::new(&state, Some(&user), &csrf, "发起投票", "polls").await,
                regions: scope_choices(&user, &form.region_code),
                form,
                error: Some(e.message),
            };
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(e) => Err(PageError(e)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn candidate_lines_split_at_the_first_bar() {
        let form = PollForm {
            title: "最美科技工作者".into(),
            region_code: "510000".into(),
            starts_on: "2026-12-01".into(),
            ends_on: " 2026-12-15 ".into(),
            votes_per_day: "2".into(),
            candidates: "张三｜酿酒微生物专家\n\n李四|果树栽培|三十年\n王五".into(),
            ..Default::default()
        };
        let input = parse_form(&form).unwrap();
        let got: Vec<_> = input.candidates.iter().map(|c| (c.name.as_str(), c.summary.as_deref())).collect();
        assert_eq!(got, vec![("张三", Some("酿酒微生物专家")), ("李四", Some("果树栽培|三十年")), ("王五", None)]);
        assert_eq!(input.votes_per_day, 2);
        let bad = PollForm { starts_on: "十二月".into(), ..form };
        assert_eq!(parse_form(&bad).unwrap_err().field, Some("starts_on"));
    }
}
