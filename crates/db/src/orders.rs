//! Service orders (服务单) and the experts proposed on them. Each change of an order is an
//! optimistic update (row version) with its audit entry and notices, in one transaction.

use kejiyun_domain::notice::Notice;
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::service::{
    DeclineReason, Invitation, OrderAction, OrderStatus, OrderText, OrderType, Proposal, Response, ServiceOrder,
    is_overdue,
};
use kejiyun_domain::time::{Timestamp, from_millis, now, to_millis};
use sqlx::AssertSqlSafe;

use crate::audit::{self, AuditRecord};
use crate::sql::Sql;
use crate::{Db, Error, Result, is_unique_violation, notifications};

const ORDER_COLUMNS: &str = "o.id, o.org_id, COALESCE(org.org_name, org.display_name) AS org_name, o.opened_by, \
     o.steward_id, st.display_name AS steward_name, o.need_id, o.order_type, o.title, o.description, o.status, \
     o.close_reason, o.region_code, o.opened_at, o.first_response_due, o.first_response_at, o.introduced_at, \
     o.signed_at, o.completed_at, o.closed_at, o.rating, o.rating_comment, o.version";

const ORDER_FROM: &str =
    " FROM service_orders o JOIN users org ON org.id = o.org_id LEFT JOIN users st ON st.id = o.steward_id";

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    org_id: i64,
    org_name: String,
    opened_by: i64,
    steward_id: Option<i64>,
    steward_name: Option<String>,
    need_id: Option<i64>,
    order_type: String,
    title: String,
    description: String,
    status: String,
    close_reason: Option<String>,
    region_code: String,
    opened_at: i64,
    first_response_due: i64,
    first_response_at: Option<i64>,
    introduced_at: Option<i64>,
    signed_at: Option<i64>,
    completed_at: Option<i64>,
    closed_at: Option<i64>,
    rating: Option<i64>,
    rating_comment: Option<String>,
    version: i64,
}

impl OrderRow {
    fn into_order(self, at: Timestamp) -> Result<ServiceOrder> {
        let corrupt = |what: &str| Error::Corrupt(format!("service order {} {what}", self.id));
        let status = OrderStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?;
        let order_type = OrderType::parse(&self.order_type).ok_or_else(|| corrupt("type"))?;
        let first_response_at = self.first_response_at.map(from_millis);
        let due = from_millis(self.first_response_due);
        Ok(ServiceOrder {
            id: self.id,
            org_id: self.org_id,
            org_name: self.org_name,
            opened_by: self.opened_by,
            steward_id: self.steward_id,
            steward_name: self.steward_name,
            need_id: self.need_id,
            order_type,
            title: self.title,
            description: self.description,
            status,
            close_reason: self.close_reason,
            region_code: self.region_code,
            opened_at: from_millis(self.opened_at),
            first_response_due: due,
            first_response_at,
            introduced_at: self.introduced_at.map(from_millis),
            signed_at: self.signed_at.map(from_millis),
            completed_at: self.completed_at.map(from_millis),
            closed_at: self.closed_at.map(from_millis),
            rating: self.rating,
            rating_comment: self.rating_comment,
            overdue: is_overdue(status, first_response_at, due, at),
            version: self.version,
        })
    }
}

const PROPOSAL_COLUMNS: &str = "p.id, p.order_id, p.provider_id, COALESCE(pu.org_name, pu.display_name) AS provider_name, \
     pu.title AS provider_title, pu.employer AS provider_employer, p.item_id, i.title AS item_title, p.note, \
     p.provider_response, p.provider_reason, p.provider_text, p.org_response, p.org_reason, p.org_text, p.created_at";

const PROPOSAL_FROM: &str =
    " FROM order_proposals p JOIN users pu ON pu.id = p.provider_id LEFT JOIN items i ON i.id = p.item_id";

#[derive(sqlx::FromRow)]
struct ProposalRow {
    id: i64,
    order_id: i64,
    provider_id: i64,
    provider_name: String,
    provider_title: Option<String>,
    provider_employer: Option<String>,
    item_id: Option<i64>,
    item_title: Option<String>,
    note: Option<String>,
    provider_response: String,
    provider_reason: Option<String>,
    provider_text: Option<String>,
    org_response: String,
    org_reason: Option<String>,
    org_text: Option<String>,
    created_at: i64,
}

impl TryFrom<ProposalRow> for Proposal {
    type Error = Error;
    fn try_from(r: ProposalRow) -> Result<Proposal> {
        let corrupt = |what: &str| Error::Corrupt(format!("proposal {} {what}", r.id));
        Ok(Proposal {
            id: r.id,
            order_id: r.order_id,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            provider_title: r.provider_title,
            provider_employer: r.provider_employer,
            item_id: r.item_id,
            item_title: r.item_title,
            note: r.note,
            provider_response: Response::parse(&r.provider_response).ok_or_else(|| corrupt("response"))?,
            provider_reason: r.provider_reason.as_deref().and_then(DeclineReason::parse),
            provider_text: r.provider_text,
            org_response: Response::parse(&r.org_response).ok_or_else(|| corrupt("response"))?,
            org_reason: r.org_reason.as_deref().and_then(DeclineReason::parse),
            org_text: r.org_text,
            created_at: from_millis(r.created_at),
            contact: None,
        })
    }
}

/// A new order, validated.
pub struct NewOrder<'a> {
    pub org_id: i64,
    pub opened_by: i64,
    pub steward_id: Option<i64>,
    pub need_id: Option<i64>,
    pub order_type: OrderType,
    pub text: &'a OrderText,
    pub region_code: &'a str,
    pub opened_at: Timestamp,
    pub first_response_due: Timestamp,
    /// The steward's notice, given the new order's id, the steward and the order's title.
    pub steward_notice: fn(i64, i64, &str) -> Notice,
}

/// Filters of order lists; `region_prefix` selects a region subtree.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub org_id: Option<i64>,
    pub steward_id: Option<i64>,
    pub region_prefix: Option<String>,
    pub status: Option<OrderStatus>,
    pub overdue_only: bool,
}

/// Which side answers a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Provider,
    Org,
}

/// A move of an order: its action, target state and the notice to send.
pub struct OrderChange<'a> {
    pub order: &'a ServiceOrder,
    pub action: OrderAction,
    pub to: OrderStatus,
    pub actor_id: i64,
    pub reason: Option<&'a str>,
    /// Notices of the change (delivered by the task queue).
    pub notices: Vec<Notice>,
}

fn conflict(message: &str) -> Error {
    kejiyun_domain::Error::illegal_transition(message).into()
}

fn stale() -> Error {
    conflict("服务单已被他人更新，请刷新后重试")
}

/// The order update of a change, checked against the row version, plus audit and notices.
pub(crate) async fn apply_change_in(conn: &mut sqlx::AnyConnection, c: &OrderChange<'_>, t: i64) -> Result<()> {
    let mut sql = Sql::new("UPDATE service_orders SET version = version + 1, updated_at = ");
    sql.bind(t).push(", status = ").bind(c.to.code());
    match c.action {
        OrderAction::Start | OrderAction::Propose => {
            sql.push(", first_response_at = COALESCE(first_response_at, ").bind(t).push(")");
        }
        OrderAction::Introduce => {
            sql.push(", introduced_at = COALESCE(introduced_at, ").bind(t).push(")");
        }
        OrderAction::Sign => {
            sql.push(", signed_at = COALESCE(signed_at, ").bind(t).push(")");
        }
        OrderAction::Complete => {
            sql.push(", completed_at = ").bind(t);
        }
        OrderAction::Close => {
            sql.push(", closed_at = ").bind(t).push(", close_reason = ").bind(c.reason.map(str::to_string));
        }
    }
    sql.push(" WHERE id = ").bind(c.order.id).push(" AND version = ").bind(c.order.version);
    if sql.query().execute(&mut *conn).await?.rows_affected() != 1 {
        return Err(stale());
    }
    let record = AuditRecord {
        actor_id: Some(c.actor_id),
        entity: "service_order",
        entity_id: c.order.id,
        action: c.action.code(),
        from_status: Some(c.order.status.code()),
        to_status: Some(c.to.code()),
        detail: c.reason,
        at: t,
    };
    audit::write(conn, record).await?;
    notifications::enqueue_all(conn, &c.notices).await?;
    Ok(())
}

impl Db {
    /// Opens an order, tells its steward, audits it.
    pub async fn open_order(&self, o: NewOrder<'_>) -> Result<i64> {
        let t = to_millis(o.opened_at);
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO service_orders (org_id, opened_by, steward_id, need_id, order_type, title, description, \
               status, region_code, opened_at, first_response_due, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(o.org_id)
        .bind(o.opened_by)
        .bind(o.steward_id)
        .bind(o.need_id)
        .bind(o.order_type.code())
        .bind(&o.text.title)
        .bind(&o.text.description)
        .bind(OrderStatus::Accepted.code())
        .bind(o.region_code)
        .bind(t)
        .bind(to_millis(o.first_response_due))
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        let record = AuditRecord {
            actor_id: Some(o.opened_by),
            entity: "service_order",
            entity_id: id,
            action: "open",
            from_status: None,
            to_status: Some(OrderStatus::Accepted.code()),
            detail: None,
            at: t,
        };
        audit::write(&mut tx, record).await?;
        if let Some(steward) = o.steward_id.filter(|s| *s != o.opened_by) {
            notifications::enqueue(&mut tx, &(o.steward_notice)(id, steward, &o.text.title)).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn order(&self, id: i64) -> Result<Option<ServiceOrder>> {
        let row: Option<OrderRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {ORDER_COLUMNS}{ORDER_FROM} WHERE o.id = $1")))
                .bind(id)
                .fetch_optional(&self.write)
                .await?;
        row.map(|r| r.into_order(now())).transpose()
    }

    /// A page of orders, overdue ones first, then newest.
    pub async fn list_orders(&self, f: &OrderFilter, page: PageRequest) -> Result<Page<ServiceOrder>> {
        let at = now();
        let mut filter = Sql::new(" WHERE 1 = 1");
        if let Some(org) = f.org_id {
            filter.push(" AND o.org_id = ").bind(org);
        }
        if let Some(steward) = f.steward_id {
            filter.push(" AND o.steward_id = ").bind(steward);
        }
        if let Some(prefix) = &f.region_prefix {
            filter.push(" AND o.region_code LIKE ").bind(format!("{prefix}%"));
        }
        if let Some(status) = f.status {
            filter.push(" AND o.status = ").bind(status.code());
        }
        if f.overdue_only {
            filter.push(" AND o.status NOT IN ('completed', 'closed') AND o.first_response_at IS NULL");
            filter.push(" AND o.first_response_due < ").bind(to_millis(at));
        }
        let mut count = Sql::new("SELECT COUNT(*) FROM service_orders o");
        count.push(&filter.text);
        count.binds = filter.binds.clone();
        let total: i64 = count.query_scalar().fetch_one(&self.read).await?;
        let mut sql = Sql::new(&format!("SELECT {ORDER_COLUMNS}{ORDER_FROM}"));
        sql.push(&filter.text);
        sql.binds = filter.binds;
        sql.push(
            " ORDER BY CASE WHEN o.first_response_at IS NULL AND o.status = 'accepted' AND o.first_response_due < ",
        )
        .bind(to_millis(at))
        .push(" THEN 0 ELSE 1 END, o.opened_at DESC, o.id DESC LIMIT ")
        .bind(page.limit())
        .push(" OFFSET ")
        .bind(page.offset());
        let rows: Vec<OrderRow> = sql.query_as().fetch_all(&self.read).await?;
        let orders = rows.into_iter().map(|r| r.into_order(at)).collect::<Result<_>>()?;
        Ok(Page::new(orders, total, page))
    }

    /// Moves an order if it is still at the version that was checked.
    pub async fn change_order(&self, change: OrderChange<'_>) -> Result<()> {
        let t = to_millis(now());
        let mut tx = self.write.begin().await?;
        apply_change_in(&mut tx, &change, t).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Proposes a provider on an order (moving it to 对接中 and counting the first response).
    /// A provider is proposed at most once per order, so a declined pair never comes back.
    pub async fn add_proposal(
        &self,
        change: OrderChange<'_>,
        provider_id: i64,
        item_id: Option<i64>,
        note: Option<&str>,
    ) -> Result<i64> {
        let t = to_millis(now());
        let mut tx = self.write.begin().await?;
        let inserted = sqlx::query_scalar(
            "INSERT INTO order_proposals (order_id, provider_id, item_id, proposed_by, note, provider_response, \
               org_response, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id",
        )
        .bind(change.order.id)
        .bind(provider_id)
        .bind(item_id)
        .bind(change.actor_id)
        .bind(note)
        .bind(Response::Pending.code())
        .bind(t)
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match inserted {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => return Err(conflict("该专家已在本服务单中推荐过，不能重复推荐")),
            Err(e) => return Err(e.into()),
        };
        apply_change_in(&mut tx, &change, t).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn proposals(&self, order_id: i64) -> Result<Vec<Proposal>> {
        let rows: Vec<ProposalRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {PROPOSAL_COLUMNS}{PROPOSAL_FROM} WHERE p.order_id = $1 ORDER BY p.id"
        )))
        .bind(order_id)
        .fetch_all(&self.write)
        .await?;
        rows.into_iter().map(Proposal::try_from).collect()
    }

    /// The provider whose proposal on the order both sides accepted, if any.
    pub async fn accepted_provider(&self, order_id: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT provider_id FROM order_proposals WHERE order_id = $1 AND provider_response = 'accepted' \
             AND org_response = 'accepted' ORDER BY id LIMIT 1",
        )
        .bind(order_id)
        .fetch_optional(&self.read)
        .await?)
    }

    pub async fn is_proposed(&self, order_id: i64, provider_id: i64) -> Result<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM order_proposals WHERE order_id = $1 AND provider_id = $2")
                .bind(order_id)
                .bind(provider_id)
                .fetch_one(&self.read)
                .await?;
        Ok(n > 0)
    }

    /// Records one side's answer, if that side has not answered yet. When this makes both sides
    /// agree, `introduce` (the order's move to 已对接, if any) is applied in the same transaction.
    pub async fn respond_proposal(
        &self,
        actor_id: i64,
        proposal_id: i64,
        side: Side,
        answer: (Response, Option<DeclineReason>, Option<String>),
        notices: Vec<Notice>,
        introduce: Option<OrderChange<'_>>,
    ) -> Result<()> {
        let t = to_millis(now());
        let (response, reason, text) = answer;
        let prefix = match side {
            Side::Provider => "provider",
            Side::Org => "org",
        };
        let statement = format!(
            "UPDATE order_proposals SET {prefix}_response = $1, {prefix}_reason = $2, {prefix}_text = $3, \
             {prefix}_at = $4 WHERE id = $5 AND {prefix}_response = $6"
        );
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(AssertSqlSafe(statement))
            .bind(response.code())
            .bind(reason.map(|r| r.code()))
            .bind(text)
            .bind(t)
            .bind(proposal_id)
            .bind(Response::Pending.code())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(conflict("已经回应过该推荐，不能重复回应"));
        }
        // Accepting is consent to show one's contact details to the other side once both agree.
        let record = AuditRecord {
            actor_id: Some(actor_id),
            entity: "order_proposal",
            entity_id: proposal_id,
            action: if response == Response::Accepted { "consent" } else { "decline" },
            from_status: Some(prefix),
            to_status: Some(response.code()),
            detail: reason.map(|r| r.code()),
            at: t,
        };
        audit::write(&mut tx, record).await?;
        notifications::enqueue_all(&mut tx, &notices).await?;
        if let Some(change) = introduce {
            apply_change_in(&mut tx, &change, t).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores the organisation's rating once, on a completed order.
    pub async fn rate_order(&self, order_id: i64, score: i64, comment: Option<&str>) -> Result<()> {
        let t = to_millis(now());
        let done = sqlx::query(
            "UPDATE service_orders SET rating = $1, rating_comment = $2, rated_at = $3, updated_at = $3, \
               version = version + 1 WHERE id = $4 AND status = $5 AND rating IS NULL",
        )
        .bind(score)
        .bind(comment)
        .bind(t)
        .bind(order_id)
        .bind(OrderStatus::Completed.code())
        .execute(&self.write)
        .await?;
        if done.rows_affected() != 1 {
            return Err(conflict("服务单尚未完成或已经评价过"));
        }
        Ok(())
    }

    /// 待处理: proposals the provider has not answered (or all of theirs with `pending_only = false`).
    pub async fn invitations(&self, provider_id: i64, pending_only: bool) -> Result<Vec<Invitation>> {
        let mut sql = Sql::new(&format!(
            "SELECT {PROPOSAL_COLUMNS}, o.title AS order_title, o.order_type, o.description AS order_description, \
               COALESCE(org.org_name, org.display_name) AS org_name{PROPOSAL_FROM} \
             JOIN service_orders o ON o.id = p.order_id JOIN users org ON org.id = o.org_id \
             WHERE p.provider_id = "
        ));
        sql.bind(provider_id);
        if pending_only {
            sql.push(" AND p.provider_response = ").bind(Response::Pending.code());
            sql.push(" AND o.status NOT IN ('completed', 'closed')");
        }
        sql.push(" ORDER BY p.id DESC LIMIT 200");
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            proposal: ProposalRow,
            order_title: String,
            order_type: String,
            order_description: String,
            org_name: String,
        }
        let rows: Vec<Row> = sql.query_as().fetch_all(&self.read).await?;
        rows.into_iter()
            .map(|r| {
                Ok(Invitation {
                    order_type: OrderType::parse(&r.order_type)
                        .ok_or_else(|| Error::Corrupt(format!("order type {}", r.order_type)))?,
                    proposal: r.proposal.try_into()?,
                    order_title: r.order_title,
                    order_description: r.order_description,
                    org_name: r.org_name,
                })
            })
            .collect()
    }

    /// Completed services per provider: completed orders on which both sides agreed to the
    /// provider (the expert's record, for matching).
    pub async fn completed_services(&self, provider_ids: &[i64]) -> Result<std::collections::HashMap<i64, i64>> {
        if provider_ids.is_empty() {
            return Ok(Default::default());
        }
        let mut sql = Sql::new(
            "SELECT p.provider_id, COUNT(*) FROM order_proposals p JOIN service_orders o ON o.id = p.order_id \
             WHERE o.status = 'completed' AND p.provider_response = 'accepted' AND p.org_response = 'accepted' \
               AND p.provider_id IN (",
        );
        sql.bind_list(provider_ids.iter().copied()).push(") GROUP BY p.provider_id");
        let rows: Vec<(i64, i64)> = sql.query_as().fetch_all(&self.read).await?;
        Ok(rows.into_iter().collect())
    }

    /// Open orders past their first-response deadline, everywhere (a queue depth for metrics).
    pub async fn count_overdue_orders(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM service_orders WHERE status NOT IN ('completed', 'closed') \
             AND first_response_at IS NULL AND first_response_due < $1",
        )
        .bind(to_millis(now()))
        .fetch_one(&self.read)
        .await?)
    }

    /// Opened orders of an organisation that a new contract may link to (for the forms).
    pub async fn count_open_orders(&self, org_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM service_orders WHERE org_id = $1 AND status NOT IN ('completed', 'closed')",
        )
        .bind(org_id)
        .fetch_one(&self.read)
        .await?)
    }
}
