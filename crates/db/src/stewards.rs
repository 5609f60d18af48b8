//! Stewards and their organisations: assignments (one lead at a time, history kept), the
//! 一企一策 service plan with its planned actions, and the contact log.

use chrono::NaiveDate;
use kejiyun_domain::notice::Notice;
use kejiyun_domain::service::{
    Assignment, Channel, ContactLogEntry, ContactLogInput, PlanAction, PlanActionInput, PlanInput, ServedOrg,
    ServicePlan,
};
use kejiyun_domain::time::{from_millis, now, to_millis};
use kejiyun_domain::{ItemKind, ItemStatus};

use crate::audit::{self, AuditRecord};
use crate::{Db, Error, Result, date_text, notifications, parse_date};

#[derive(sqlx::FromRow)]
struct AssignmentRow {
    org_id: i64,
    steward_id: i64,
    steward_name: String,
    assigned_by: Option<i64>,
    assigned_at: i64,
    ended_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ActionRow {
    id: i64,
    title: String,
    due_on: String,
    done_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: i64,
    steward_id: i64,
    steward_name: String,
    contact_on: String,
    channel: String,
    summary: String,
    follow_up: Option<String>,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
struct ServedRow {
    org_id: i64,
    org_name: String,
    region_code: String,
    open_needs: i64,
    open_orders: i64,
    last_contact_on: Option<String>,
}

impl Db {
    /// The organisation's current lead steward.
    pub async fn lead_steward(&self, org_id: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT steward_id FROM org_stewards WHERE org_id = $1 AND ended_at IS NULL")
            .bind(org_id)
            .fetch_optional(&self.read)
            .await?)
    }

    /// Makes `steward_id` the organisation's lead steward: ends the current assignment, moves the
    /// organisation's open orders to the new steward and tells the steward, in one transaction.
    pub async fn assign_steward(&self, org_id: i64, steward_id: i64, by: i64, notice: &Notice) -> Result<()> {
        let t = to_millis(now());
        let mut tx = self.write.begin().await?;
        let current: Option<i64> =
            sqlx::query_scalar("SELECT steward_id FROM org_stewards WHERE org_id = $1 AND ended_at IS NULL")
                .bind(org_id)
                .fetch_optional(&mut *tx)
                .await?;
        if current == Some(steward_id) {
            return Ok(());
        }
        sqlx::query("UPDATE org_stewards SET ended_at = $1 WHERE org_id = $2 AND ended_at IS NULL")
            .bind(t)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO org_stewards (org_id, steward_id, assigned_by, assigned_at) VALUES ($1, $2, $3, $4)")
            .bind(org_id)
            .bind(steward_id)
            .bind(by)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE service_orders SET steward_id = $1, version = version + 1, updated_at = $2 \
             WHERE org_id = $3 AND status NOT IN ('completed', 'closed')",
        )
        .bind(steward_id)
        .bind(t)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        let record = AuditRecord {
            actor_id: Some(by),
            entity: "org_steward",
            entity_id: org_id,
            action: "assign",
            from_status: None,
            to_status: None,
            detail: Some(&steward_id.to_string()),
            at: t,
        };
        audit::write(&mut tx, record).await?;
        notifications::enqueue(&mut tx, notice).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every steward the organisation had, newest first.
    pub async fn steward_history(&self, org_id: i64) -> Result<Vec<Assignment>> {
        let rows: Vec<AssignmentRow> = sqlx::query_as(
            "SELECT a.org_id, a.steward_id, u.display_name AS steward_name, a.assigned_by, a.assigned_at, a.ended_at \
             FROM org_stewards a JOIN users u ON u.id = a.steward_id WHERE a.org_id = $1 ORDER BY a.id DESC",
        )
        .bind(org_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Assignment {
                org_id: r.org_id,
                steward_id: r.steward_id,
                steward_name: r.steward_name,
                assigned_by: r.assigned_by,
                assigned_at: from_millis(r.assigned_at),
                ended_at: r.ended_at.map(from_millis),
            })
            .collect())
    }

    /// 我的服务企业: the steward's organisations with their open needs and orders and the last contact.
    pub async fn served_orgs(&self, steward_id: i64) -> Result<Vec<ServedOrg>> {
        let rows: Vec<ServedRow> = sqlx::query_as(
            "SELECT u.id AS org_id, COALESCE(u.org_name, u.display_name) AS org_name, u.region_code, \
               (SELECT COUNT(*) FROM items i WHERE i.owner_id = u.id AND i.kind = $2 AND i.status = $3) AS open_needs, \
               (SELECT COUNT(*) FROM service_orders o WHERE o.org_id = u.id \
                  AND o.status NOT IN ('completed', 'closed')) AS open_orders, \
               (SELECT MAX(c.contact_on) FROM contact_logs c WHERE c.org_id = u.id) AS last_contact_on \
             FROM org_stewards a JOIN users u ON u.id = a.org_id \
             WHERE a.steward_id = $1 AND a.ended_at IS NULL ORDER BY org_name",
        )
        .bind(steward_id)
        .bind(ItemKind::Need.code())
        .bind(ItemStatus::Published.code())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(ServedOrg {
                    org_id: r.org_id,
                    org_name: r.org_name,
                    region_code: r.region_code,
                    open_needs: r.open_needs,
                    open_orders: r.open_orders,
                    last_contact_on: r.last_contact_on.as_deref().map(|d| parse_date(d, "contact")).transpose()?,
                })
            })
            .collect()
    }

    /// The organisation's plan with its actions and contact log (empty texts before the first edit).
    pub async fn service_plan(&self, org_id: i64, org_name: &str, today: NaiveDate) -> Result<ServicePlan> {
        let plan: Option<(String, String, i64)> =
            sqlx::query_as("SELECT situation, goals, updated_at FROM service_plans WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(&self.read)
                .await?;
        let lead: Option<(i64, String)> = sqlx::query_as(
            "SELECT a.steward_id, u.display_name FROM org_stewards a JOIN users u ON u.id = a.steward_id \
             WHERE a.org_id = $1 AND a.ended_at IS NULL",
        )
        .bind(org_id)
        .fetch_optional(&self.read)
        .await?;
        let actions: Vec<ActionRow> =
            sqlx::query_as("SELECT id, title, due_on, done_at FROM plan_actions WHERE org_id = $1 ORDER BY due_on, id")
                .bind(org_id)
                .fetch_all(&self.read)
                .await?;
        let contacts: Vec<ContactRow> = sqlx::query_as(
            "SELECT c.id, c.steward_id, u.display_name AS steward_name, c.contact_on, c.channel, c.summary, \
               c.follow_up, c.created_at \
             FROM contact_logs c JOIN users u ON u.id = c.steward_id WHERE c.org_id = $1 \
             ORDER BY c.contact_on DESC, c.id DESC",
        )
        .bind(org_id)
        .fetch_all(&self.read)
        .await?;
        let (situation, goals, updated_at) = plan.unwrap_or_default();
        Ok(ServicePlan {
            org_id,
            org_name: org_name.to_string(),
            steward_id: lead.as_ref().map(|l| l.0),
            steward_name: lead.map(|l| l.1),
            situation,
            goals,
            updated_at: (updated_at > 0).then(|| from_millis(updated_at)),
            actions: actions
                .into_iter()
                .map(|a| {
                    let due_on = parse_date(&a.due_on, "plan action")?;
                    Ok(PlanAction {
                        id: a.id,
                        title: a.title,
                        due_on,
                        done_at: a.done_at.map(from_millis),
                        overdue: a.done_at.is_none() && due_on < today,
                    })
                })
                .collect::<Result<_>>()?,
            contacts: contacts
                .into_iter()
                .map(|c| {
                    Ok(ContactLogEntry {
                        id: c.id,
                        steward_id: c.steward_id,
                        steward_name: c.steward_name,
                        contact_on: parse_date(&c.contact_on, "contact")?,
                        channel: Channel::parse(&c.channel)
                            .ok_or_else(|| Error::Corrupt(format!("contact {} channel", c.id)))?,
                        summary: c.summary,
                        follow_up: c.follow_up,
                        created_at: from_millis(c.created_at),
                    })
                })
                .collect::<Result<_>>()?,
        })
    }

    pub async fn save_plan(&self, org_id: i64, plan: &PlanInput, by: i64) -> Result<()> {
        let t = to_millis(now());
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO service_plans (org_id, situation, goals, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_id) DO UPDATE SET situation = excluded.situation, goals = excluded.goals, \
               updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(org_id)
        .bind(&plan.situation)
        .bind(&plan.goals)
        .bind(by)
        .bind(t)
        .execute(&mut *tx)
        .await?;
        let record = AuditRecord {
            actor_id: Some(by),
            entity: "service_plan",
            entity_id: org_id,
            action: "edit",
            from_status: None,
            to_status: None,
            detail: None,
            at: t,
        };
        audit::write(&mut tx, record).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_plan_action(&self, org_id: i64, action: &PlanActionInput, by: i64) -> Result<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO plan_actions (org_id, title, due_on, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(org_id)
        .bind(&action.title)
        .bind(date_text(action.due_on))
        .bind(by)
        .bind(to_millis(now()))
        .fetch_one(&self.write)
        .await?;
        Ok(id)
    }

    /// Marks an action of this organisation done; false when there is no such open action.
    pub async fn finish_plan_action(&self, org_id: i64, action_id: i64) -> Result<bool> {
        let done =
            sqlx::query("UPDATE plan_actions SET done_at = $1 WHERE id = $2 AND org_id = $3 AND done_at IS NULL")
                .bind(to_millis(now()))
                .bind(action_id)
                .bind(org_id)
                .execute(&self.write)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn add_contact_log(&self, org_id: i64, steward_id: i64, entry: &ContactLogInput) -> Result<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO contact_logs (org_id, steward_id, contact_on, channel, summary, follow_up, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(org_id)
        .bind(steward_id)
        .bind(date_text(entry.contact_on))
        .bind(entry.channel.code())
        .bind(&entry.summary)
        .bind(&entry.follow_up)
        .bind(to_millis(now()))
        .fetch_one(&self.write)
        .await?;
        Ok(id)
    }
}
