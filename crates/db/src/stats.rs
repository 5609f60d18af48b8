//! The counters of 科服 work per region subtree and period, computed from the records
//! (orders, proposals, verified contracts, projects), never typed in.

use std::collections::BTreeMap;

use kejiyun_domain::AmountWan;
use kejiyun_domain::service::{DeclineReason, Period, ReasonCount, ServiceStats, StewardCount};
use kejiyun_domain::time::{now, to_millis};
use sqlx::AssertSqlSafe;

use crate::{Db, Result, date_text};

impl Db {
    /// The service counters of `region_code`'s subtree (`prefix`) in `period`.
    pub async fn service_stats(&self, region_code: &str, prefix: &str, period: Period) -> Result<ServiceStats> {
        let like = format!("{prefix}%");
        let (start, end) = period.millis();
        let in_period = |column: &str| format!("{column} >= $2 AND {column} < $3");
        let count = |sql: String| {
            let like = like.clone();
            async move {
                let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
                    .bind(like)
                    .bind(start)
                    .bind(end)
                    .fetch_one(&self.read)
                    .await?;
                Ok::<i64, crate::Error>(n)
            }
        };
        let orders = "FROM service_orders o WHERE o.region_code LIKE $1 AND";
        let orders_opened = count(format!("SELECT COUNT(*) {orders} {}", in_period("o.opened_at"))).await?;
        let orders_completed = count(format!("SELECT COUNT(*) {orders} {}", in_period("o.completed_at"))).await?;
        let orgs_served =
            count(format!("SELECT COUNT(DISTINCT o.org_id) {orders} {}", in_period("o.opened_at"))).await?;
        let solutions = count(format!("SELECT COUNT(*) {orders} {}", in_period("o.introduced_at"))).await?;
        let (response_ms, responded): (i64, i64) = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT CAST(COALESCE(SUM(o.first_response_at - o.opened_at), 0) AS BIGINT), COUNT(o.first_response_at) \
             {orders} {}",
            in_period("o.opened_at")
        )))
        .bind(&like)
        .bind(start)
        .bind(end)
        .fetch_one(&self.read)
        .await?;
        let (rating_sum, ratings): (i64, i64) = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT CAST(COALESCE(SUM(o.rating), 0) AS BIGINT), COUNT(o.rating) {orders} {}",
            in_period("o.completed_at")
        )))
        .bind(&like)
        .bind(start)
        .bind(end)
        .fetch_one(&self.read)
        .await?;
        let overdue_orders: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM service_orders WHERE region_code LIKE $1 AND status NOT IN ('completed', 'closed') \
             AND first_response_at IS NULL AND first_response_due < $2",
        )
        .bind(&like)
        .bind(to_millis(now()))
        .fetch_one(&self.read)
        .await?;

        // Contracts count by their signing date, once verified.
        let from = period.from.map_or_else(|| "0000-01-01".to_string(), date_text);
        let to = period.to.map_or_else(|| "9999-12-31".to_string(), date_text);
        let (contracts, transaction_yuan, projects): (i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(c.amount_yuan), 0) AS BIGINT), COUNT(p.id) \
             FROM contracts c LEFT JOIN projects p ON p.contract_id = c.id \
             WHERE c.status = 'verified' AND c.region_code LIKE $1 AND c.signed_on >= $2 AND c.signed_on <= $3",
        )
        .bind(&like)
        .bind(from)
        .bind(to)
        .fetch_one(&self.read)
        .await?;

        let mut reasons: BTreeMap<String, i64> = BTreeMap::new();
        let mut steward_declines: BTreeMap<i64, i64> = BTreeMap::new();
        for side in ["provider", "org"] {
            let rows: Vec<(String, Option<i64>, i64)> = sqlx::query_as(AssertSqlSafe(format!(
                "SELECT p.{side}_reason, o.steward_id, COUNT(*) FROM order_proposals p \
                 JOIN service_orders o ON o.id = p.order_id \
                 WHERE o.region_code LIKE $1 AND p.{side}_response = 'declined' AND p.{side}_reason IS NOT NULL \
                   AND {} GROUP BY p.{side}_reason, o.steward_id",
                in_period(&format!("p.{side}_at"))
            )))
            .bind(&like)
            .bind(start)
            .bind(end)
            .fetch_all(&self.read)
            .await?;
            for (reason, steward, n) in rows {
                *reasons.entry(reason).or_default() += n;
                if let Some(s) = steward {
                    *steward_declines.entry(s).or_default() += n;
                }
            }
        }
        let decline_reasons = DeclineReason::ALL
            .iter()
            .filter_map(|r| {
                reasons.get(r.code()).map(|n| ReasonCount { reason: *r, label: r.label().to_string(), count: *n })
            })
            .collect();

        let steward_rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT o.steward_id, u.display_name, COUNT(*), \
               CAST(SUM(CASE WHEN o.status = 'completed' THEN 1 ELSE 0 END) AS BIGINT) \
             FROM service_orders o JOIN users u ON u.id = o.steward_id \
             WHERE o.region_code LIKE $1 AND {} GROUP BY o.steward_id, u.display_name ORDER BY COUNT(*) DESC",
            in_period("o.opened_at")
        )))
        .bind(&like)
        .bind(start)
        .bind(end)
        .fetch_all(&self.read)
        .await?;
        let stewards = steward_rows
            .into_iter()
            .map(|(id, name, opened, completed)| StewardCount {
                steward_id: id,
                name,
                orders_opened: opened,
                orders_completed: completed,
                declines: steward_declines.get(&id).copied().unwrap_or(0),
            })
            .collect();

        Ok(ServiceStats {
            region_code: region_code.to_string(),
            from: period.from,
            to: period.to,
            orders_opened,
            orders_completed,
            orgs_served,
            solutions,
            contracts,
            transaction_wan: AmountWan::from_yuan(transaction_yuan),
            projects,
            avg_first_response_hours: (responded > 0)
                .then(|| (response_ms as f64 / responded as f64 / 3_600_000.0 * 100.0).round() / 100.0),
            overdue_orders,
            satisfaction: (ratings > 0).then(|| (rating_sum as f64 / ratings as f64 * 100.0).round() / 100.0),
            ratings,
            decline_reasons,
            stewards,
        })
    }
}
