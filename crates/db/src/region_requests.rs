//! 地区变更申请: accounts ask, an admin above the current region decides; an approval moves the
//! account in the same transaction, and every step is on the audit chain.

use kejiyun_domain::notice::Notice;
use kejiyun_domain::region_request::{NewRegionRequest, RegionRequest, RegionRequestStatus};
use kejiyun_domain::time::{from_millis, now, to_millis};
use kejiyun_domain::{User, regions};

use crate::audit::{self, AuditEvent};
use crate::sql::Sql;
use crate::{Db, Error, Result, is_unique_violation, notifications};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    user_id: i64,
    user_name: String,
    from_region: String,
    to_region: String,
    reason: String,
    status: String,
    decided_by: Option<i64>,
    decision_note: Option<String>,
    created_at: i64,
    decided_at: Option<i64>,
}

impl TryFrom<Row> for RegionRequest {
    type Error = Error;
    fn try_from(r: Row) -> Result<RegionRequest> {
        let status = RegionRequestStatus::parse(&r.status)
            .ok_or_else(|| Error::Corrupt(format!("region request {} status", r.id)))?;
        Ok(RegionRequest {
            id: r.id,
            user_id: r.user_id,
            user_name: r.user_name,
            from_region: r.from_region,
            to_region: r.to_region,
            reason: r.reason,
            status,
            decided_by: r.decided_by,
            decision_note: r.decision_note,
            created_at: from_millis(r.created_at),
            decided_at: r.decided_at.map(from_millis),
        })
    }
}

const SELECT: &str = "SELECT r.id, r.user_id, COALESCE(u.org_name, u.display_name) AS user_name, r.from_region, \
     r.to_region, r.reason, r.status, r.decided_by, r.decision_note, r.created_at, r.decided_at \
     FROM region_requests r JOIN users u ON u.id = r.user_id";

fn conflict(message: &str) -> Error {
    kejiyun_domain::Error::illegal_transition(message).into()
}

impl Db {
    /// Files a request of `user` (one open request at a time).
    pub async fn create_region_request(&self, user: &User, new: &NewRegionRequest) -> Result<RegionRequest> {
        let t = to_millis(now());
        let mut tx = self.write.begin().await?;
        let inserted = sqlx::query_scalar(
            "INSERT INTO region_requests (user_id, from_region, to_region, reason, status, created_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id",
        )
        .bind(user.id)
        .bind(&user.region_code)
        .bind(&new.to_region)
        .bind(&new.reason)
        .bind(t)
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match inserted {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => return Err(conflict("已有一份待审批的地区变更申请，请等待审批结果")),
            Err(e) => return Err(e.into()),
        };
        let event = AuditEvent {
            actor_id: Some(user.id),
            entity: "user",
            entity_id: user.id,
            action: "region_request",
            from_status: Some(&user.region_code),
            to_status: Some(&new.to_region),
            detail: Some(&new.reason),
            result: kejiyun_domain::audit::OK,
            region_code: Some(&user.region_code),
            at: t,
        };
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        self.region_request(id).await?.ok_or_else(|| Error::Corrupt(format!("region request {id} vanished")))
    }

    pub async fn region_request(&self, id: i64) -> Result<Option<RegionRequest>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" WHERE r.id = ").bind(id);
        let row: Option<Row> = sql.query_as().fetch_optional(&self.read).await?;
        row.map(RegionRequest::try_from).transpose()
    }

    /// The requests of one account, newest first.
    pub async fn region_requests_of(&self, user_id: i64) -> Result<Vec<RegionRequest>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" WHERE r.user_id = ").bind(user_id).push(" ORDER BY r.id DESC LIMIT 50");
        let rows: Vec<Row> = sql.query_as().fetch_all(&self.read).await?;
        rows.into_iter().map(RegionRequest::try_from).collect()
    }

    /// Requests of accounts whose region (when they asked) starts with `region_prefix` (a subtree), in
    /// `status`, oldest first (pending) or newest first (decided).
    pub async fn region_requests_from(
        &self,
        region_prefix: &str,
        status: RegionRequestStatus,
        limit: i64,
    ) -> Result<Vec<RegionRequest>> {
        let order = if status == RegionRequestStatus::Pending { "r.id" } else { "r.id DESC" };
        let mut sql = Sql::new(SELECT);
        sql.push(" WHERE r.status = ").bind(status.code());
        sql.push(" AND r.from_region LIKE ").bind(format!("{region_prefix}%"));
        sql.push(" ORDER BY ").push(order).push(" LIMIT ").bind(limit);
        let rows: Vec<Row> = sql.query_as().fetch_all(&self.read).await?;
        rows.into_iter().map(RegionRequest::try_from).collect()
    }

    /// Decides a pending request; an approval moves the account (only if it is still in the
    /// region it asked from). The requester is told.
    pub async fn decide_region_request(
        &self,
        request: &RegionRequest,
        admin: &User,
        approve: bool,
        note: Option<&str>,
    ) -> Result<RegionRequest> {
        let t = to_millis(now());
        let status = if approve { RegionRequestStatus::Approved } else { RegionRequestStatus::Declined };
        let mut tx = self.write.begin().await?;
        let decided = sqlx::query(
            "UPDATE region_requests SET status = $1, decided_by = $2, decision_note = $3, decided_at = $4 \
             WHERE id = $5 AND status = 'pending'",
        )
        .bind(status.code())
        .bind(admin.id)
        .bind(note)
        .bind(t)
        .bind(request.id)
        .execute(&mut *tx)
        .await?;
        if decided.rows_affected() != 1 {
            return Err(conflict("该申请已审批"));
        }
        let action = if approve { "region_request_approve" } else { "region_request_decline" };
        let mut events = vec![AuditEvent {
            actor_id: Some(admin.id),
            entity: "user",
            entity_id: request.user_id,
            action,
            from_status: Some(&request.from_region),
            to_status: Some(&request.to_region),
            detail: note,
            result: kejiyun_domain::audit::OK,
            region_code: Some(&request.from_region),
            at: t,
        }];
        if approve {
            let moved =
                sqlx::query("UPDATE users SET region_code = $1, updated_at = $2 WHERE id = $3 AND region_code = $4")
                    .bind(&request.to_region)
                    .bind(t)
                    .bind(request.user_id)
                    .bind(&request.from_region)
                    .execute(&mut *tx)
                    .await?;
            if moved.rows_affected() != 1 {
                return Err(conflict("申请人的所在地区已变化，该申请不再适用"));
            }
            events.push(AuditEvent { action: "region_change", detail: None, ..events[0].clone() });
        }
        for event in &events {
            audit::append(&mut tx, event).await?;
        }
        let to = regions().full_name(&request.to_region);
        let (title, body) = if approve {
            ("地区变更已批准".to_string(), format!("您的所在地区已变更为{to}。"))
        } else {
            ("地区变更未获批准".to_string(), format!("您申请变更到{to}未获批准：{}", note.unwrap_or_default()))
        };
        notifications::enqueue(&mut tx, &Notice::new(request.user_id, "region_request", title, body, "/account"))
            .await?;
        tx.commit().await?;
        self.region_request(request.id)
            .await?
            .ok_or_else(|| Error::Corrupt(format!("region request {} vanished", request.id)))
    }
}
