//! The JSON API under `/api/v1`, its OpenAPI document (`/api/openapi.json`) and viewer
//! (`/api/docs`). Routes are declared with their OpenAPI description, so the document cannot
//! miss a route.

mod accounts;
mod contracts;
mod items;
mod meta;
mod services;
mod votes;

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "科技云 kejiyun API",
        description = "省级科技服务云平台的 JSON 接口。错误统一为 `{\"error\":{\"code\",\"message\"}}`；需要登录的接口使用 `Authorization: Bearer <token>`（由 `/api/v1/auth/login` 获得）。",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
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

/// The API routes and the generated OpenAPI document.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(meta::healthz))
        .routes(routes!(meta::readyz))
        .routes(routes!(meta::regions))
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::me, accounts::update_me))
        .routes(routes!(accounts::change_password))
        .routes(routes!(accounts::my_items))
        .routes(routes!(accounts::my_notifications))
        .routes(routes!(accounts::create_staff))
        .routes(routes!(accounts::synonyms, accounts::add_synonyms))
        .routes(routes!(items::review_queue))
        .routes(routes!(items::list, items::create))
        .routes(routes!(items::show, items::update))
        .routes(routes!(items::submit))
        .routes(routes!(items::review))
        .routes(routes!(items::close))
        .routes(routes!(items::confirm))
        .routes(routes!(items::history))
        .routes(routes!(items::matches))
        .routes(routes!(services::assign_steward))
        .routes(routes!(services::steward_history))
        .routes(routes!(services::served_orgs))
        .routes(routes!(services::plan, services::save_plan))
        .routes(routes!(services::add_plan_action))
        .routes(routes!(services::finish_plan_action))
        .routes(routes!(services::add_contact))
        .routes(routes!(services::list_orders, services::open_order))
        .routes(routes!(services::get_order))
        .routes(routes!(services::start_order))
        .routes(routes!(services::propose))
        .routes(routes!(services::respond))
        .routes(routes!(services::complete_order))
        .routes(routes!(services::close_order))
        .routes(routes!(services::rate_order))
        .routes(routes!(services::suggestions))
        .routes(routes!(services::invitations))
        .routes(routes!(services::service_stats))
        .routes(routes!(contracts::list, contracts::register))
        .routes(routes!(contracts::show, contracts::correct))
        .routes(routes!(contracts::verify))
        .routes(routes!(contracts::upload_attachment, contracts::download_attachment))
        .routes(routes!(contracts::create_project))
        .routes(routes!(contracts::project))
        .routes(routes!(contracts::add_milestone))
        .routes(routes!(contracts::accept_milestone))
        .routes(routes!(contracts::add_progress))
        .routes(routes!(contracts::overdue_projects))
        .routes(routes!(votes::list))
        .routes(routes!(votes::create))
        .routes(routes!(votes::show))
        .routes(routes!(votes::vote))
        .split_for_parts()
}
