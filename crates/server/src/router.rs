//! The one route table: every feature's JSON API routes (declared with their OpenAPI
//! description, so the document cannot miss a route) and page routes, each form action on its own
//! line. A new capability is a folder under `features/` plus its lines here.

use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::features::tasks as tasks_admin;
use crate::features::{
    accounts, audit, contracts, items, matching, meta, orders, region_requests, stats, stewards, votes,
};
use crate::http::{csrf, page};
use crate::platform::state::AppState;
use crate::platform::tasks::{self, Tasks};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "科技云 kejiyun API",
        description = "省级科技服务云平台的 JSON 接口。错误统一为 `{\"error\":{\"code\",\"message\"}}`；需要登录的接口使用 `Authorization: Bearer <token>`（由 `/api/v1/auth/login` 获得）。",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    // Path parameters refer to it; utoipa collects only body and response schemas by itself.
    components(schemas(items::api::KindSlug)),
    tags(
        (name = "accounts", description = "注册、登录与个人信息"),
        (name = "items", description = "科技需求、科技所能、科技成果的发布、审核与检索"),
        (name = "services", description = "科服保姆：服务企业、一企一策、服务单与服务统计"),
        (name = "contracts", description = "技术合同登记与委托科研项目"),
        (name = "votes", description = "投票（如最美科技工作者评选）：每人每天的投票规则"),
        (name = "meta", description = "行政区划与运行状态")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes under `/api/v1` and the generated OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(meta::api::healthz))
        .routes(routes!(meta::api::readyz))
        .routes(routes!(meta::api::regions))
        .routes(routes!(accounts::api::register))
        .routes(routes!(accounts::api::login))
        .routes(routes!(accounts::api::logout))
        .routes(routes!(accounts::api::me, accounts::api::update_me))
        .routes(routes!(accounts::api::change_password))
        .routes(routes!(accounts::api::my_items))
        .routes(routes!(accounts::api::my_notifications))
        .routes(routes!(accounts::api::mark_notifications_read))
        .routes(routes!(region_requests::api::mine, region_requests::api::create))
        .routes(routes!(region_requests::api::to_decide))
        .routes(routes!(region_requests::api::decide))
        .routes(routes!(accounts::api::create_staff))
        .routes(routes!(matching::api::synonyms, matching::api::add_synonyms))
        .routes(routes!(items::api::review_queue))
        .routes(routes!(items::api::list, items::api::create))
        .routes(routes!(items::api::show, items::api::update))
        .routes(routes!(items::api::submit))
        .routes(routes!(items::api::review))
        .routes(routes!(items::api::close))
        .routes(routes!(items::api::confirm))
        .routes(routes!(items::api::history))
        .routes(routes!(matching::api::matches))
        .routes(routes!(stewards::api::assign_steward))
        .routes(routes!(stewards::api::steward_history))
        .routes(routes!(stewards::api::served_orgs))
        .routes(routes!(stewards::api::plan, stewards::api::save_plan))
        .routes(routes!(stewards::api::add_plan_action))
        .routes(routes!(stewards::api::finish_plan_action))
        .routes(routes!(stewards::api::add_contact))
        .routes(routes!(orders::api::list_orders, orders::api::open_order))
        .routes(routes!(orders::api::get_order))
        .routes(routes!(orders::api::start_order))
        .routes(routes!(orders::api::propose))
        .routes(routes!(orders::api::respond))
        .routes(routes!(orders::api::complete_order))
        .routes(routes!(orders::api::close_order))
        .routes(routes!(orders::api::rate_order))
        .routes(routes!(orders::api::suggestions))
        .routes(routes!(orders::api::invitations))
        .routes(routes!(stats::api::service_stats))
        .routes(routes!(contracts::api::list, contracts::api::register))
        .routes(routes!(contracts::api::show, contracts::api::correct))
        .routes(routes!(contracts::api::verify))
        .routes(routes!(contracts::api::confirm))
        .routes(routes!(contracts::api::versions))
        .routes(routes!(contracts::api::upload_attachment, contracts::api::download_attachment))
        .routes(routes!(contracts::api::create_project))
        .routes(routes!(contracts::api::project))
        .routes(routes!(contracts::api::add_milestone))
        .routes(routes!(contracts::api::accept_milestone))
        .routes(routes!(contracts::api::add_progress))
        .routes(routes!(contracts::api::overdue_projects))
        .routes(routes!(votes::api::list))
        .routes(routes!(votes::api::create))
        .routes(routes!(votes::api::show))
        .routes(routes!(votes::api::vote))
        .routes(routes!(tasks_admin::api::list))
        .routes(routes!(tasks_admin::api::retry))
        .routes(routes!(audit::api::search))
        .routes(routes!(audit::api::export))
        .split_for_parts()
}

/// The pages of the web UI. Every form post is its own route.
pub fn pages(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(items::pages::home))
        .route("/static/style.css", get(page::style))
        .route("/login", get(accounts::pages::login_form).post(accounts::pages::login))
        .route("/register", get(accounts::pages::register_form).post(accounts::pages::register))
        .route("/logout", post(accounts::pages::logout))
        .route("/account", get(accounts::pages::account))
        .route("/account/profile", post(accounts::pages::update_profile))
        .route("/account/password", post(accounts::pages::change_password))
        .route("/notifications", get(accounts::pages::notifications))
        .route("/notifications/read", post(accounts::pages::mark_notifications_read))
        .route("/account/region-request", post(region_requests::pages::request))
        .route("/admin/region-requests", get(region_requests::pages::list))
        .route("/admin/region-requests/{id}/decide", post(region_requests::pages::decide))
        .route("/search", get(items::pages::search))
        .route("/my", get(items::pages::mine))
        .route("/my/new/{kind}", get(items::pages::new_form).post(items::pages::create))
        .route("/my/{kind}/{id}/edit", get(items::pages::edit_form).post(items::pages::update))
        .route("/admin/review", get(items::pages::review_queue))
        .route("/orders", get(orders::pages::orders))
        .route("/orders/new", get(orders::pages::new_order_form).post(orders::pages::create_order))
        .route("/orders/{id}", get(orders::pages::order))
        .route("/orders/{id}/start", post(orders::pages::start))
        .route("/orders/{id}/propose", post(orders::pages::propose))
        .route("/orders/{id}/respond", post(orders::pages::respond))
        .route("/orders/{id}/complete", post(orders::pages::complete))
        .route("/orders/{id}/close", post(orders::pages::close))
        .route("/orders/{id}/rate", post(orders::pages::rate))
        .route("/invitations", get(orders::pages::invitations))
        .route("/desk", get(stewards::pages::desk))
        .route("/desk/orgs/{id}", get(stewards::pages::plan))
        .route("/desk/orgs/{id}/plan", post(stewards::pages::save_plan))
        .route("/desk/orgs/{id}/action", post(stewards::pages::add_action))
        .route("/desk/orgs/{id}/done", post(stewards::pages::finish_action))
        .route("/desk/orgs/{id}/contact", post(stewards::pages::add_contact))
        .route("/contracts", get(contracts::pages::contracts))
        .route("/contracts/{id}/verify", post(contracts::pages::verify_contract))
        .route("/contracts/{id}/confirm", post(contracts::pages::confirm_contract))
        .route("/polls", get(votes::pages::polls))
        .route("/polls/{id}", get(votes::pages::poll))
        .route("/polls/{id}/vote", post(votes::pages::vote))
        .route("/admin/polls/new", get(votes::pages::new_poll_form).post(votes::pages::create_poll))
        .route("/admin/tasks", get(tasks_admin::pages::tasks))
        .route("/admin/tasks/{id}/retry", post(tasks_admin::pages::retry))
        .route("/admin/audit", get(audit::pages::log))
        .route("/admin/audit/export.csv", get(audit::pages::export))
        .route("/{kind}", get(items::pages::browse))
        .route("/{kind}/{id}", get(items::pages::detail))
        .route("/{kind}/{id}/submit", post(items::pages::submit))
        .route("/{kind}/{id}/close", post(items::pages::close))
        .route("/{kind}/{id}/confirm", post(items::pages::confirm))
        .route("/{kind}/{id}/approve", post(items::pages::approve))
        .route("/{kind}/{id}/reject", post(items::pages::reject))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::csrf_cookie))
}

/// The task kinds each feature handles, and the periodic jobs (once per slot across all nodes).
pub fn tasks() -> Tasks {
    Tasks::default()
        .on(kejiyun_domain::notice::NOTIFY_TASK, accounts::tasks::notify)
        .on(matching::tasks::MATCH_NOTICES, matching::tasks::match_notices)
        .every(items::tasks::HOUSEKEEPING, Duration::from_secs(600), items::tasks::run)
        .every(accounts::tasks::PURGE_SESSIONS, Duration::from_secs(3600), accounts::tasks::purge_sessions)
        .every("purge_done_tasks", Duration::from_secs(24 * 3600), tasks::purge_done)
}
