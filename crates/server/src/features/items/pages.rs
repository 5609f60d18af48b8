//! Pages of items: home, lists and search, detail, 我的发布, the publish/edit form and the
//! buttons on an item (submit, close, confirm, approve, reject).

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use kejiyun_domain::item::{AchievementType, Availability, ItemStatus, Maturity, Mode};
use kejiyun_domain::matching::MatchKind;
use kejiyun_domain::page::PageRequest;
use kejiyun_domain::{AmountWan, Code, Error, Item, ItemInput, ItemKind, Role, User, policy, regions};
use serde::Deserialize;

use super::actions::{Decision, ListQuery};
use crate::http::auth::WebUser;
use crate::http::client::ClientAddr;
use crate::http::page::{
    Csrf, CsrfForm, Layout, PageError, PageQuery, PageResult, not_found, redirect, render, render_with, signed_in,
};
use crate::http::views::{self, Card, Choice, Pager};
use crate::platform::from_db;
use crate::platform::state::AppState;

fn kind_of(slug: &str) -> Result<ItemKind, PageError> {
    ItemKind::from_slug(slug).ok_or(PageError(Error::new(Code::NotFound, "页面不存在")))
}

#[derive(Template)]
#[template(path = "items/home.html")]
struct HomePage {
    layout: Layout,
    counts: Vec<(&'static str, &'static str, i64)>,
    needs: Vec<Card>,
    capabilities: Vec<Card>,
    achievements: Vec<Card>,
}

pub async fn home(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
) -> PageResult {
    let db = &state.db;
    let count = |k| db.count_items(Some(k), ItemStatus::Published);
    let counts = vec![
        ("科技需求", "/needs", count(ItemKind::Need).await.map_err(from_db)?),
        ("科技所能", "/capabilities", count(ItemKind::Capability).await.map_err(from_db)?),
        ("科技成果", "/achievements", count(ItemKind::Achievement).await.map_err(from_db)?),
        ("科技工作者", "/capabilities", db.count_users_by_role(Role::Expert).await.map_err(from_db)?),
        ("企事业单位", "/needs", db.count_users_by_role(Role::Org).await.map_err(from_db)?),
    ];
    let newest = async |kind| -> Result<Vec<Card>, Error> {
        let q = ListQuery { per_page: Some(6), ..Default::default() };
        let page = super::actions::list_public(&state, Some(kind), &q).await?;
        Ok(page.items.iter().map(Card::of).collect())
    };
    let page = HomePage {
        layout: Layout::new(&state, user.as_ref(), &csrf, "首页", "home").await,
        counts,
        needs: newest(ItemKind::Need).await?,
        capabilities: newest(ItemKind::Capability).await?,
        achievements: newest(ItemKind::Achievement).await?,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "items/list.html")]
struct ListPage {
    layout: Layout,
    heading: String,
    form_action: String,
    kind_code: &'static str,
    q: String,
    industry: String,
    cities: Vec<Choice>,
    modes: Vec<Choice>,
    types: Vec<Choice>,
    cards: Vec<Card>,
    pager: Pager,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    industry: String,
    #[serde(default, rename = "type")]
    achievement_type: String,
    #[serde(default)]
    mode: String,
    page: Option<u32>,
}

async fn list_page(state: AppState, user: Option<User>, csrf: Csrf, kind: Option<ItemKind>, f: ListForm) -> PageResult {
    let (heading, action, nav) = match kind {
        Some(k) => (k.label().to_string(), format!("/{}", k.slug()), k.slug()),
        None => ("全站搜索".to_string(), "/search".to_string(), "search"),
    };
    let query = ListQuery {
        q: Some(f.q.clone()),
        region: Some(f.region.clone()),
        industry: Some(f.industry.clone()),
        achievement_type: Some(f.achievement_type.clone()),
        mode: Some(f.mode.clone()),
        page: f.page,
        per_page: Some(20),
    };
    let (page, error) = match super::actions::list_public(&state, kind, &query).await {
        Ok(p) => (p, None),
        Err(e) if e.status() < 500 => {
            (kejiyun_domain::page::Page::new(Vec::new(), 0, PageRequest::default()), Some(e.message))
        }
        Err(e) => return Err(e.into()),
    };
    let base = {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &f.q),
            ("region", &f.region),
            ("industry", &f.industry),
            ("type", &f.achievement_type),
            ("mode", &f.mode),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        let s = q.finish();
        if s.is_empty() { format!("{action}?") } else { format!("{action}?{s}&") }
    };
    let title = if f.q.is_empty() { heading.clone() } else { format!("{} - {}", f.q, heading) };
    let list = ListPage {
        layout: Layout::new(&state, user.as_ref(), &csrf, title, nav).await,
        heading,
        form_action: action,
        kind_code: kind.map_or("", |k| k.code()),
        q: f.q.clone(),
        industry: f.industry.clone(),
        cities: views::city_choices(&f.region),
        modes: views::mode_choices(kind, std::slice::from_ref(&f.mode)),
        types: views::type_choices(&f.achievement_type),
        cards: page.items.iter().map(Card::of).collect(),
        pager: Pager::of(&page, &base),
        error,
    };
    Ok(render(&list))
}

pub async fn browse(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    ClientAddr(client): ClientAddr,
    Path(slug): Path<String>,
    PageQuery(f): PageQuery<ListForm>,
) -> PageResult {
    let kind = kind_of(&slug)?;
    state.limits.search(client).await?;
    list_page(state, user, csrf, Some(kind), f).await
}

pub async fn search(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    ClientAddr(client): ClientAddr,
    PageQuery(f): PageQuery<ListForm>,
) -> PageResult {
    state.limits.search(client).await?;
    list_page(state, user, csrf, None, f).await
}

struct HistoryRow {
    when: String,
    who: String,
    what: String,
}

#[derive(Template)]
#[template(path = "items/detail.html")]
struct DetailPage {
    layout: Layout,
    card: Card,
    paragraphs: Vec<String>,
    rows: Vec<(&'static str, String)>,
    reject_reason: Option<String>,
    close_reason: Option<String>,
    action_base: String,
    edit_href: String,
    can_edit: bool,
    can_submit: bool,
    can_close: bool,
    can_confirm: bool,
    can_review: bool,
    history: Vec<HistoryRow>,
    matches_heading: &'static str,
    matches: Vec<MatchRow>,
    /// (link, title) of a published item this one may repeat; for the owner and admins.
    duplicate: Option<(String, String)>,
}

struct MatchRow {
    href: String,
    kind_code: &'static str,
    kind_label: &'static str,
    title: String,
    owner_name: String,
    region_name: String,
    reasons: String,
}

fn status_label(code: &str) -> String {
    ItemStatus::parse(code).map(|s| s.label().to_string()).unwrap_or_default()
}

pub async fn detail(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let kind = kind_of(&slug)?;
    let id: i64 = id.parse().map_err(|_| PageError(Error::not_found()))?;
    let item = super::actions::get(&state, user.as_ref(), kind, id).await?;
    let is_owner = user.as_ref().is_some_and(|u| u.id == item.owner_id);
    let is_admin = user.as_ref().is_some_and(|u| policy::admin_in_charge(u, &item));
    let history = match &user {
        Some(u) if is_owner || is_admin => super::actions::history(&state, u, kind, id)
            .await?
            .into_iter()
            .map(|a| HistoryRow {
                when: kejiyun_domain::time::display(a.created_at),
                who: a.actor_name.unwrap_or_else(|| "系统".into()),
                what: format!(
                    "{}{}{}",
                    action_label(&a.action),
                    a.to_status.as_deref().map(|s| format!("（{}）", status_label(s))).unwrap_or_default(),
                    a.detail.map(|d| format!("：{d}")).unwrap_or_default()
                ),
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut matches = match crate::features::matching::actions::matches(&state, user.as_ref(), kind, id, None, 6).await
    {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "matches unavailable");
            Vec::new()
        }
    };
    if kind == ItemKind::Need {
        let experts =
            crate::features::matching::actions::matches(&state, user.as_ref(), kind, id, Some(MatchKind::Expert), 3);
        matches.extend(experts.await.unwrap_or_default());
    }
    let matches = matches
        .into_iter()
        .map(|m| MatchRow {
            href: m.link,
            kind_code: match m.kind {
                MatchKind::Need => "need",
                MatchKind::Capability => "capability",
                MatchKind::Achievement => "achievement",
                MatchKind::Expert => "expert",
            },
            kind_label: m.kind.label(),
            title: m.title,
            owner_name: m.owner_name,
            region_name: kejiyun_domain::regions().short_name(&m.region_code),
            reasons: if m.reasons.is_empty() { "内容相近".to_string() } else { m.reasons.join("；") },
        })
        .collect();
    // `get` leaves the flag only for those who may see it.
    let duplicate = match item.duplicate_of {
        Some(other) => state
            .db
            .item(other)
            .await
            .map_err(from_db)?
            .map(|v| (format!("/{}/{}", v.item.kind.slug(), v.item.id), v.item.title)),
        None => None,
    };
    let page = DetailPage {
        duplicate,
        matches_heading: if kind == ItemKind::Need {
            "推荐专家、科技所能与成果"
        } else {
            "潜在需求方"
        },
        matches,
        layout: Layout::new(&state, user.as_ref(), &csrf, item.title.clone(), kind.slug()).await,
        card: Card::of(&item),
        paragraphs: item.description.lines().map(str::to_string).filter(|l| !l.trim().is_empty()).collect(),
        rows: views::detail_rows(&item),
        reject_reason: item.reject_reason.clone().filter(|_| item.status == ItemStatus::Rejected),
        close_reason: item.close_reason.clone().filter(|_| item.status == ItemStatus::Closed),
        action_base: format!("/{}/{}", kind.slug(), id),
        edit_href: format!("/my/{}/{}/edit", kind.slug(), id),
        can_edit: is_owner && item.status != ItemStatus::Closed,
        can_submit: is_owner && matches!(item.status, ItemStatus::Draft | ItemStatus::Rejected),
        can_close: (is_owner || is_admin) && item.status != ItemStatus::Closed,
        can_confirm: is_owner && item.status == ItemStatus::Published,
        can_review: is_admin && item.status == ItemStatus::Pending,
        history,
    };
    Ok(render(&page))
}

fn action_label(code: &str) -> &'static str {
    match code {
        "create" => "创建",
        "edit" => "修改",
        "submit" => "提交审核",
        "approve" => "审核通过",
        "reject" => "退回",
        "close" => "关闭",
        "confirm" => "确认有效",
        _ => "操作",
    }
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    reason: String,
}

/// The item and the reason a button's form sent.
struct Act {
    user: User,
    kind: ItemKind,
    id: i64,
    reason: Option<String>,
}

fn act(user: Option<User>, slug: &str, id: &str, form: ActForm) -> Result<Act, PageError> {
    let user = signed_in(user)?;
    let kind = kind_of(slug)?;
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let reason = Some(form.reason).filter(|r| !r.trim().is_empty());
    Ok(Act { user, kind, id, reason })
}

/// 提交审核.
pub async fn submit(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path((slug, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ActForm>,
) -> PageResult {
    let a = act(user, &slug, &id, form)?;
    super::actions::submit(&state, &a.user, a.kind, a.id).await?;
    Ok(redirect(&format!("/{slug}/{}", a.id)))
}

/// 关闭.
pub async fn close(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path((slug, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ActForm>,
) -> PageResult {
    let a = act(user, &slug, &id, form)?;
    super::actions::close(&state, &a.user, a.kind, a.id, a.reason).await?;
    Ok(redirect(&format!("/{slug}/{}", a.id)))
}

/// 确认仍然有效 (the 180-day check).
pub async fn confirm(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path((slug, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ActForm>,
) -> PageResult {
    let a = act(user, &slug, &id, form)?;
    super::actions::confirm(&state, &a.user, a.kind, a.id).await?;
    Ok(redirect(&format!("/{slug}/{}", a.id)))
}

/// 审核通过.
pub async fn approve(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path((slug, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ActForm>,
) -> PageResult {
    let a = act(user, &slug, &id, form)?;
    super::actions::review(&state, &a.user, a.kind, a.id, Decision::Approve, a.reason).await?;
    Ok(redirect("/admin/review"))
}

/// 退回.
pub async fn reject(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Path((slug, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ActForm>,
) -> PageResult {
    let a = act(user, &slug, &id, form)?;
    super::actions::review(&state, &a.user, a.kind, a.id, Decision::Reject, a.reason).await?;
    Ok(redirect("/admin/review"))
}

#[derive(Template)]
#[template(path = "items/mine.html")]
struct MinePage {
    layout: Layout,
    cards: Vec<Card>,
    pager: Pager,
    publish_links: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
pub struct MineQuery {
    page: Option<u32>,
}

pub async fn mine(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    PageQuery(q): PageQuery<MineQuery>,
) -> PageResult {
    let user = signed_in(user)?;
    let page = PageRequest::new(q.page, Some(20))?;
    let items = super::actions::list_mine(&state, &user, None, None, page).await?;
    let publish_links = ItemKind::ALL
        .iter()
        .filter(|k| policy::can_publish(user.role, **k))
        .map(|k| (k.label(), format!("/my/new/{}", k.slug())))
        .collect();
    let page = MinePage {
        layout: Layout::new(&state, Some(&user), &csrf, "我的发布", "my").await,
        cards: items.items.iter().map(Card::of).collect(),
        pager: Pager::of(&items, "/my?"),
        publish_links,
    };
    Ok(render(&page))
}

/// The publish/edit form as posted (every field a string, as browsers send them).
#[derive(Deserialize, Default, Clone)]
pub struct ItemForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    modes: Vec<String>,
    #[serde(default)]
    amount_min_wan: String,
    #[serde(default)]
    amount_max_wan: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    discipline: String,
    #[serde(default)]
    fields: String,
    #[serde(default)]
    availability: String,
    #[serde(default)]
    achievement_type: String,
    #[serde(default)]
    registration_no: String,
    #[serde(default)]
    maturity: String,
    /// `draft` or `submit`.
    #[serde(default)]
    intent: String,
}

fn amount(field: &'static str, text: &str) -> Result<Option<AmountWan>, Error> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    AmountWan::parse(t).map(Some).map_err(|m| Error::new(Code::InvalidAmount, m).with_field(field))
}

fn vocab<T>(field: &'static str, text: &str, parse: fn(&str) -> Option<T>) -> Result<Option<T>, Error> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    parse(t).map(Some).ok_or_else(|| Error::field(field, "选项不正确"))
}

impl ItemForm {
    fn of(item: &Item) -> ItemForm {
        ItemForm {
            title: item.title.clone(),
            description: item.description.clone(),
            industry: item.industry.clone().unwrap_or_default(),
            keywords: item.keywords.join("，"),
            region_code: item.region_code.clone(),
            modes: item.modes.iter().map(|m| m.code().to_string()).collect(),
            amount_min_wan: item.amount_min_wan.map(|a| a.to_string()).unwrap_or_default(),
            amount_max_wan: item.amount_max_wan.map(|a| a.to_string()).unwrap_or_default(),
            deadline: item.deadline.map(|d| d.to_string()).unwrap_or_default(),
            discipline: item.discipline.clone().unwrap_or_default(),
            fields: item.fields.join("，"),
            availability: item.availability.map(|a| a.code().to_string()).unwrap_or_default(),
            achievement_type: item.achievement_type.map(|a| a.code().to_string()).unwrap_or_default(),
            registration_no: item.registration_no.clone().unwrap_or_default(),
            maturity: item.maturity.map(|a| a.code().to_string()).unwrap_or_default(),
            intent: String::new(),
        }
    }

    /// The API input for `kind` (only that kind's fields are set).
    fn to_input(&self, kind: ItemKind) -> Result<ItemInput, Error> {
        let mut modes = Vec::new();
        for m in &self.modes {
            modes.push(Mode::parse(m).ok_or_else(|| Error::field("modes", "合作方式不正确"))?);
        }
        let mut input = ItemInput {
            title: Some(self.title.clone()),
            description: Some(self.description.clone()),
            industry: Some(self.industry.clone()),
            keywords: Some(crate::http::page::items_tags(&self.keywords)),
            region_code: Some(self.region_code.clone()).filter(|r| !r.trim().is_empty()),
            modes: Some(modes),
            amount_min_wan: amount("amount_min_wan", &self.amount_min_wan)?,
            amount_max_wan: amount("amount_max_wan", &self.amount_max_wan)?,
            ..Default::default()
        };
        match kind {
            ItemKind::Need => {
                let d = self.deadline.trim();
                if !d.is_empty() {
                    input.deadline = Some(
                        NaiveDate::parse_from_str(d, "%Y-%m-%d")
                            .map_err(|_| Error::field("deadline", "日期格式应为 2026-12-31"))?,
                    );
                }
            }
            ItemKind::Capability => {
                input.discipline = Some(self.discipline.clone());
                input.fields = Some(crate::http::page::items_tags(&self.fields));
                input.availability = vocab("availability", &self.availability, Availability::parse)?;
            }
            ItemKind::Achievement => {
                input.achievement_type = vocab("achievement_type", &self.achievement_type, AchievementType::parse)?;
                input.registration_no = Some(self.registration_no.clone());
                input.maturity = vocab("maturity", &self.maturity, Maturity::parse)?;
            }
        }
        Ok(input)
    }
}

#[derive(Template)]
#[template(path = "items/item_form.html")]
struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    kind_code: &'static str,
    modes_label: &'static str,
    amount_label: &'static str,
    form: ItemForm,
    regions: Vec<Choice>,
    modes: Vec<Choice>,
    types: Vec<Choice>,
    maturities: Vec<Choice>,
    availabilities: Vec<Choice>,
    error: Option<String>,
    error_field: String,
    is_new: bool,
}

async fn form_page(
    state: &AppState,
    user: &User,
    csrf: &Csrf,
    kind: ItemKind,
    form: ItemForm,
    action: String,
    error: Option<Error>,
) -> FormPage {
    let is_new = action.starts_with("/my/new/");
    let heading = if is_new { format!("发布{}", kind.label()) } else { format!("修改{}", kind.label()) };
    FormPage {
        layout: Layout::new(state, Some(user), csrf, heading.clone(), "my").await,
        heading,
        action,
        kind_code: kind.code(),
        modes_label: kind.modes_label(),
        amount_label: kind.amount_label(),
        regions: views::region_choices(&form.region_code, false),
        modes: views::mode_choices(Some(kind), &form.modes),
        types: views::type_choices(&form.achievement_type),
        maturities: views::maturity_choices(&form.maturity),
        availabilities: views::availability_choices(&form.availability),
        error_field: error.as_ref().and_then(|e| e.field).unwrap_or_default().to_string(),
        error: error.map(|e| e.message),
        form,
        is_new,
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    Path(slug): Path<String>,
) -> PageResult {
    let user = signed_in(user)?;
    let kind = kind_of(&slug)?;
    policy::require_publisher(&user, kind)?;
    let form = ItemForm { region_code: user.region_code.clone(), ..Default::default() };
    let page = form_page(&state, &user, &csrf, kind, form, format!("/my/new/{slug}"), None).await;
    Ok(render(&page))
}

pub async fn create(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<ItemForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let kind = kind_of(&slug)?;
    let submit = form.intent == "submit";
    let result = match form.to_input(kind) {
        Ok(input) => super::actions::create(&state, &user, kind, input, submit).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(item) => Ok(redirect(&format!("/{}/{}", kind.slug(), item.id))),
        Err(e) if e.status() == 422 => {
            let page = form_page(&state, &user, &csrf, kind, form, format!("/my/new/{slug}"), Some(e)).await;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let user = signed_in(user)?;
    let kind = kind_of(&slug)?;
    let id: i64 = id.parse().map_err(|_| PageError(Error::not_found()))?;
    let item = super::actions::get(&state, Some(&user), kind, id).await?;
    policy::check_owner(&user, &item)?;
    let action = format!("/my/{slug}/{id}/edit");
    let page = form_page(&state, &user, &csrf, kind, ItemForm::of(&item), action, None).await;
    Ok(render(&page))
}

pub async fn update(
    State(state): State<AppState>,
    WebUser(user, _): WebUser,
    Extension(csrf): Extension<Csrf>,
    Path((slug, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ItemForm>,
) -> PageResult {
    let user = signed_in(user)?;
    let kind = kind_of(&slug)?;
    let id: i64 = id.parse().map_err(|_| PageError(Error::not_found()))?;
    let submit = form.intent == "submit";
    let result = match form.to_input(kind) {
        Ok(input) => super::actions::update(&state, &user, kind, id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(item) => {
            if submit && matches!(item.status, ItemStatus::Draft | ItemStatus::Rejected) {
                super::actions::submit(&state, &user, kind, id).await?;
            }
            Ok(redirect(&format!("/{}/{}", kind.slug(), item.id)))
        }
        Err(e) if e.status() == 422 => {
            let action = format!("/my/{slug}/{id}/edit");
            let page = form_page(&state, &user, &csrf, kind, form, action, Some(e)).await;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

// ---- The admin review queue ----

#[derive(Template)]
#[template(path = "items/review.html")]
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
    policy::check_admin(&user)?;
    let page = super::actions::review_queue(&state, &user, PageRequest::new(q.page, Some(20))?).await?;
    let view = ReviewPage {
        layout: Layout::new(&state, Some(&user), &csrf, "审核队列", "review").await,
        scope_name: regions().full_name(user.admin_scope().unwrap_or_default()),
        cards: page.items.iter().map(Card::of).collect(),
        pager: Pager::of(&page, "/admin/review?"),
    };
    Ok(render(&view))
}
