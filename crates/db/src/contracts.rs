//! 技术合同 (registration, verification, scans) and 委托科研项目 (milestones, progress,
//! acceptance).

use chrono::NaiveDate;
use kejiyun_domain::AmountWan;
use kejiyun_domain::contract::{
    Contract, ContractStatus, ContractType, ContractVersion, Milestone, MilestoneInput, MilestoneStatus, ProgressEntry,
    Project, milestone_overdue, project_status,
};
use kejiyun_domain::notice::Notice;
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::time::{from_millis, now, to_millis};
use sqlx::AssertSqlSafe;

use crate::audit::{self, AuditRecord};
use crate::orders::OrderChange;
use crate::sql::{Bind, Sql};
use crate::{Db, Error, Result, date_text, is_unique_violation, notifications, parse_date};

const COLUMNS: &str = "c.id, c.contract_type, c.title, c.buyer_id, c.buyer_name, c.seller_id, c.seller_name, \
     c.region_code, c.amount_yuan, c.signed_on, c.need_id, c.achievement_id, c.order_id, c.status, c.return_reason, \
     c.registered_by, c.confirm_by, c.confirmed_at, c.decline_reason, c.created_at, c.verified_at, a.size AS attachment_size, p.id AS project_id, \
     o.steward_id AS order_steward_id, c.version";

const FROM: &str = " FROM contracts c LEFT JOIN contract_attachments a ON a.contract_id = c.id \
     LEFT JOIN projects p ON p.contract_id = c.id LEFT JOIN service_orders o ON o.id = c.order_id";

#[derive(sqlx::FromRow)]
struct ContractRow {
    id: i64,
    contract_type: String,
    title: String,
    buyer_id: Option<i64>,
    buyer_name: String,
    seller_id: Option<i64>,
    seller_name: String,
    region_code: String,
    amount_yuan: i64,
    signed_on: String,
    need_id: Option<i64>,
    achievement_id: Option<i64>,
    order_id: Option<i64>,
    status: String,
    return_reason: Option<String>,
    registered_by: i64,
    confirm_by: Option<i64>,
    confirmed_at: Option<i64>,
    decline_reason: Option<String>,
    created_at: i64,
    verified_at: Option<i64>,
    attachment_size: Option<i64>,
    project_id: Option<i64>,
    order_steward_id: Option<i64>,
    version: i64,
}

impl TryFrom<ContractRow> for Contract {
    type Error = Error;
    fn try_from(r: ContractRow) -> Result<Contract> {
        let corrupt = |what: &str| Error::Corrupt(format!("contract {} {what}", r.id));
        Ok(Contract {
            id: r.id,
            contract_type: ContractType::parse(&r.contract_type).ok_or_else(|| corrupt("type"))?,
            title: r.title,
            buyer_id: r.buyer_id,
            buyer_name: r.buyer_name,
            seller_id: r.seller_id,
            seller_name: r.seller_name,
            region_code: r.region_code,
            amount_wan: AmountWan::from_yuan(r.amount_yuan),
            signed_on: parse_date(&r.signed_on, "contract")?,
            need_id: r.need_id,
            achievement_id: r.achievement_id,
            order_id: r.order_id,
            status: ContractStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
            return_reason: r.return_reason,
            registered_by: r.registered_by,
            confirm_by: r.confirm_by,
            confirmed_at: r.confirmed_at.map(from_millis),
            decline_reason: r.decline_reason,
            created_at: from_millis(r.created_at),
            verified_at: r.verified_at.map(from_millis),
            attachment_size: r.attachment_size,
            project_id: r.project_id,
            order_steward_id: r.order_steward_id,
            version: r.version,
        })
    }
}

/// A contract's fields, checked and resolved (party names and the buyer's region filled in).
pub struct ContractRecord {
    pub contract_type: ContractType,
    pub title: String,
    pub buyer_id: Option<i64>,
    pub buyer_name: String,
    pub seller_id: Option<i64>,
    pub seller_name: String,
    pub region_code: String,
    pub amount: AmountWan,
    pub signed_on: NaiveDate,
    pub need_id: Option<i64>,
    pub achievement_id: Option<i64>,
    pub order_id: Option<i64>,
}

/// The columns registration and correction both write, in the order of [`record_binds`].
const RECORD_COLUMNS: [&str; 11] = [
    "contract_type",
    "title",
    "buyer_id",
    "buyer_name",
    "seller_id",
    "seller_name",
    "region_code",
    "amount_yuan",
    "signed_on",
    "need_id",
    "achievement_id",
];

fn record_binds(c: &ContractRecord) -> Vec<Bind> {
    vec![
        c.contract_type.code().into(),
        c.title.clone().into(),
        c.buyer_id.into(),
        c.buyer_name.clone().into(),
        c.seller_id.into(),
        c.seller_name.clone().into(),
        c.region_code.clone().into(),
        c.amount.to_yuan().into(),
        date_text(c.signed_on).into(),
        c.need_id.into(),
        c.achievement_id.into(),
    ]
}

/// Filters of contract lists.
#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    pub region_prefix: Option<String>,
    pub status: Option<ContractStatus>,
    /// Contracts this user is a party to, registered, or serves as the order's steward.
    pub involving: Option<i64>,
    /// Only contracts both parties confirmed (admins' lists).
    pub confirmed_only: bool,
}

fn conflict(message: &str) -> Error {
    kejiyun_domain::Error::illegal_transition(message).into()
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: i64,
    snapshot: String,
    snapshot_sha256: String,
    attachment_sha256: Option<String>,
    superseded_by: i64,
    superseded_at: i64,
    reason: String,
}

/// A verified contract as it was, about to be superseded by a new version: its JSON and that
/// JSON's SHA-256 (computed by the caller).
pub struct Superseded<'a> {
    pub snapshot: &'a str,
    pub snapshot_sha256: &'a str,
}

/// Keeps `current` (verified) with its scan as a version; returns what the audit record says
/// of it (the version's hash and its scan's hash).
async fn archive_in(
    tx: &mut sqlx::AnyConnection,
    current: &Contract,
    s: &Superseded<'_>,
    by: i64,
    reason: &str,
    t: i64,
) -> Result<String> {
    sqlx::query(
        "INSERT INTO contract_versions (contract_id, snapshot, snapshot_sha256, attachment_sha256, attachment, \
           superseded_by, superseded_at, reason) \
         SELECT $1, $2, $3, a.sha256, a.data, $4, $5, $6 FROM (SELECT 1 AS one) AS x \
           LEFT JOIN contract_attachments a ON a.contract_id = $1",
    )
    .bind(current.id)
    .bind(s.snapshot)
    .bind(s.snapshot_sha256)
    .bind(by)
    .bind(t)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    let scan: Option<String> = sqlx::query_scalar("SELECT sha256 FROM contract_attachments WHERE contract_id = $1")
        .bind(current.id)
        .fetch_optional(&mut *tx)
        .await?;
    Ok(format!("已核验版本 {} 扫描件 {}", s.snapshot_sha256, scan.as_deref().unwrap_or("无")))
}

#[derive(sqlx::FromRow)]
struct MilestoneRow {
    id: i64,
    name: String,
    due_on: String,
    deliverable: String,
    payment_yuan: Option<i64>,
    status: String,
    accepted_at: Option<i64>,
    opinion: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ProgressRow {
    id: i64,
    author_id: i64,
    author_name: String,
    text: String,
    created_at: i64,
}

impl Db {
    /// Registers a contract: 待确认 when `confirm_by` (the other party's account) must confirm it,
    /// else 登记; a linked order moves to 已签约 in the same transaction (`sign`). The party asked
    /// to confirm is told (`notice`).
    pub async fn register_contract(
        &self,
        c: &ContractRecord,
        by: i64,
        confirm_by: Option<i64>,
        sign: Option<OrderChange<'_>>,
        notice: Option<&Notice>,
    ) -> Result<i64> {
        let status = if confirm_by.is_some() { ContractStatus::Pending } else { ContractStatus::Registered };
        let t = to_millis(now());
        let mut tx = self.write.begin().await?;
        let mut sql = Sql::new("INSERT INTO contracts (");
        sql.push(&RECORD_COLUMNS.join(", "));
        sql.push(", order_id, status, registered_by, confirm_by, created_at, updated_at) VALUES (");
        for b in record_binds(c) {
            sql.bind(b).push(", ");
        }
        sql.bind(c.order_id).push(", ").bind(status.code()).push(", ").bind(by).push(", ").bind(confirm_by);
        sql.push(", ").bind(t).push(", ").bind(t).push(") RETURNING id");
        let id: i64 = sql.query_scalar().fetch_one(&mut *tx).await?;
        let record = AuditRecord {
            actor_id: Some(by),
            entity: "contract",
            entity_id: id,
            action: "register",
            from_status: None,
            to_status: Some(status.code()),
            detail: None,
            at: t,
        };
        audit::write(&mut tx, record).await?;
        if let Some(change) = sign {
            crate::orders::apply_change_in(&mut tx, &change, t).await?;
        }
        if let Some(notice) = notice {
            let notice = Notice { link: Some(format!("/contracts/{id}")), ..notice.clone() };
            notifications::enqueue(&mut tx, &notice).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The other party confirms (登记, and a linked order moves with `sign`) or declines (with a
    /// reason); the registrant is told.
    pub async fn confirm_contract(
        &self,
        current: &Contract,
        accept: bool,
        reason: Option<&str>,
        by: i64,
        sign: Option<OrderChange<'_>>,
        notice: Notice,
    ) -> Result<()> {
        let t = to_millis(now());
        let to = if accept { ContractStatus::Registered } else { ContractStatus::Declined };
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE contracts SET status = $1, confirmed_at = $2, decline_reason = $3, version = version + 1, \
               updated_at = $4 WHERE id = $5 AND version = $6 AND status = $7",
        )
        .bind(to.code())
        .bind(accept.then_some(t))
        .bind(reason)
        .bind(t)
        .bind(current.id)
        .bind(current.version)
        .bind(ContractStatus::Pending.code())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(conflict("合同已被他人更新，请刷新后重试"));
        }
        let record = AuditRecord {
            actor_id: Some(by),
            entity: "contract",
            entity_id: current.id,
            action: if accept { "confirm" } else { "party_decline" },
            from_status: Some(current.status.code()),
            to_status: Some(to.code()),
            detail: reason,
            at: t,
        };
        audit::write(&mut tx, record).await?;
        if let Some(change) = sign {
            crate::orders::apply_change_in(&mut tx, &change, t).await?;
        }
        notifications::enqueue(&mut tx, &notice).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether `caller` may name `other` as a contract party by account id: `other` has a
    /// published item (its name is public anyway), or the two meet on a service order (an org
    /// and a provider proposed on its order).
    pub async fn may_name_party(&self, caller: i64, other: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM items WHERE owner_id = $2 AND status = 'published') \
                  + (SELECT COUNT(*) FROM order_proposals p JOIN service_orders o ON o.id = p.order_id \
                     WHERE (o.org_id = $1 AND p.provider_id = $2) OR (o.org_id = $2 AND p.provider_id = $1))",
        )
        .bind(caller)
        .bind(other)
        .fetch_one(&self.read)
        .await?;
        Ok(n > 0)
    }

    /// Writes corrected fields of a returned contract, or of a verified one as a new version (the
    /// verified one kept in `superseded`), and registers it again (待核验).
    pub async fn correct_contract(
        &self,
        current: &Contract,
        c: &ContractRecord,
        by: i64,
        superseded: Option<&Superseded<'_>>,
    ) -> Result<()> {
        let t = to_millis(now());
        let mut tx = self.write.begin().await?;
        let archived = match superseded {
            Some(s) => Some(archive_in(&mut tx, current, s, by, "correct", t).await?),
            None => None,
        };
        let mut sql = Sql::new("UPDATE contracts SET ");
        for (col, b) in RECORD_COLUMNS.iter().zip(record_binds(c)) {
            sql.push(col).push(" = ").bind(b).push(", ");
        }
        sql.push("status = ").bind(ContractStatus::Registered.code());
        sql.push(
            ", return_reason = NULL, verified_by = NULL, verified_at = NULL, version = version + 1, updated_at = ",
        );
        sql.bind(t);
        sql.push(" WHERE id = ").bind(current.id).push(" AND version = ").bind(current.version);
        let done = sql.query().execute(&mut *tx).await?;
        if done.rows_affected() != 1 {
            return Err(conflict("合同已被他人更新，请刷新后重试"));
        }
        let record = AuditRecord {
            actor_id: Some(by),
            entity: "contract",
            entity_id: current.id,
            action: if archived.is_some() { "new_version" } else { "correct" },
            from_status: Some(current.status.code()),
            to_status: Some(ContractStatus::Registered.code()),
            detail: archived.as_deref(),
            at: t,
        };
        audit::write(&mut tx, record).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The superseded (verified) versions of a contract, oldest first.
    pub async fn contract_versions(&self, contract_id: i64) -> Result<Vec<ContractVersion>> {
        let rows: Vec<VersionRow> = sqlx::query_as(
            "SELECT id, snapshot, snapshot_sha256, attachment_sha256, superseded_by, superseded_at, reason \
             FROM contract_versions WHERE contract_id = $1 ORDER BY id",
        )
        .bind(contract_id)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                let snapshot = serde_json::from_str(&r.snapshot)
                    .map_err(|e| Error::Corrupt(format!("contract version {}: {e}", r.id)))?;
                Ok(ContractVersion {
                    id: r.id,
                    snapshot,
                    snapshot_sha256: r.snapshot_sha256,
                    attachment_sha256: r.attachment_sha256,
                    superseded_by: r.superseded_by,
                    superseded_at: from_millis(r.superseded_at),
                    reason: r.reason,
                })
            })
            .collect()
    }

    /// 核验 or 退回, by an admin; the registrant is told.
    pub async fn verify_contract(
        &self,
        current: &Contract,
        to: ContractStatus,
        reason: Option<&str>,
        by: i64,
        notice: Notice,
    ) -> Result<()> {
        let t = to_millis(now());
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE contracts SET status = $1, return_reason = $2, verified_by = $3, verified_at = $4, \
               version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7",
        )
        .bind(to.code())
        .bind(reason)
        .bind(by)
        .bind((to == ContractStatus::Verified).then_some(t))
        .bind(t)
        .bind(current.id)
        .bind(current.version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(conflict("合同已被他人更新，请刷新后重试"));
        }
        let record = AuditRecord {
            actor_id: Some(by),
            entity: "contract",
            entity_id: current.id,
            action: if to == ContractStatus::Verified { "verify" } else { "return" },
            from_status: Some(current.status.code()),
            to_status: Some(to.code()),
            detail: reason,
            at: t,
        };
        audit::write(&mut tx, record).await?;
        notifications::enqueue(&mut tx, &notice).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn contract(&self, id: i64) -> Result<Option<Contract>> {
        let row: Option<ContractRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS}{FROM} WHERE c.id = $1")))
            .bind(id)
            .fetch_optional(&self.write)
            .await?;
        row.map(Contract::try_from).transpose()
    }

    pub async fn list_contracts(&self, f: &ContractFilter, page: PageRequest) -> Result<Page<Contract>> {
        let mut filter = Sql::new(" WHERE 1 = 1");
        if let Some(prefix) = &f.region_prefix {
            filter.push(" AND c.region_code LIKE ").bind(format!("{prefix}%"));
        }
        if let Some(status) = f.status {
            filter.push(" AND c.status = ").bind(status.code());
        }
        if f.confirmed_only {
            filter.push(" AND c.status NOT IN (").bind(ContractStatus::Pending.code()).push(", ");
            filter.bind(ContractStatus::Declined.code()).push(")");
        }
        if let Some(user) = f.involving {
            filter.push(" AND (c.buyer_id = ").bind(user).push(" OR c.seller_id = ").bind(user);
            filter.push(" OR c.registered_by = ").bind(user).push(" OR o.steward_id = ").bind(user).push(")");
        }
        let mut count = Sql::new(&format!("SELECT COUNT(*){FROM}"));
        count.push(&filter.text);
        count.binds = filter.binds.clone();
        let total: i64 = count.query_scalar().fetch_one(&self.read).await?;
        let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
        sql.push(&filter.text);
        sql.binds = filter.binds;
        sql.push(" ORDER BY c.id DESC LIMIT ").bind(page.limit()).push(" OFFSET ").bind(page.offset());
        let rows: Vec<ContractRow> = sql.query_as().fetch_all(&self.read).await?;
        let contracts = rows.into_iter().map(Contract::try_from).collect::<Result<_>>()?;
        Ok(Page::new(contracts, total, page))
    }

    /// Stores (or replaces) the scanned contract. Replacing the scan of a verified contract makes
    /// a new version: the verified one (with its scan) is kept in `superseded` and the contract
    /// goes back to 待核验.
    pub async fn put_attachment(
        &self,
        current: &Contract,
        data: &[u8],
        sha256: &str,
        by: i64,
        superseded: Option<&Superseded<'_>>,
    ) -> Result<()> {
        let contract_id = current.id;
        let t = to_millis(now());
        let size = i64::try_from(data.len()).unwrap_or(i64::MAX);
        let mut tx = self.write.begin().await?;
        let archived = match superseded {
            Some(s) => {
                let archived = archive_in(&mut tx, current, s, by, "attach", t).await?;
                let done = sqlx::query(
                    "UPDATE contracts SET status = $1, verified_by = NULL, verified_at = NULL, version = version + 1, \
                       updated_at = $2 WHERE id = $3 AND version = $4",
                )
                .bind(ContractStatus::Registered.code())
                .bind(t)
                .bind(contract_id)
                .bind(current.version)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(conflict("合同已被他人更新，请刷新后重试"));
                }
                Some(format!("{archived} → 新扫描件 {sha256}"))
            }
            None => None,
        };
        sqlx::query(
            "INSERT INTO contract_attachments (contract_id, size, sha256, data, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (contract_id) DO UPDATE SET size = excluded.size, \
               sha256 = excluded.sha256, data = excluded.data, uploaded_by = excluded.uploaded_by, \
               uploaded_at = excluded.uploaded_at",
        )
        .bind(contract_id)
        .bind(size)
        .bind(sha256)
        .bind(data.to_vec())
        .bind(by)
        .bind(t)
        .execute(&mut *tx)
        .await?;
        let record = AuditRecord {
            actor_id: Some(by),
            entity: "contract",
            entity_id: contract_id,
            action: if archived.is_some() { "new_version" } else { "attach" },
            from_status: archived.is_some().then_some(current.status.code()),
            to_status: archived.is_some().then_some(ContractStatus::Registered.code()),
            detail: Some(archived.as_deref().unwrap_or(sha256)),
            at: t,
        };
        audit::write(&mut tx, record).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn attachment(&self, contract_id: i64) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar("SELECT data FROM contract_attachments WHERE contract_id = $1")
            .bind(contract_id)
            .fetch_optional(&self.read)
            .await?)
    }

    /// Starts the commissioned project of a contract (one per contract).
    pub async fn create_project(&self, contract_id: i64, by: i64) -> Result<i64> {
        let inserted = sqlx::query_scalar(
            "INSERT INTO projects (contract_id, created_by, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(contract_id)
        .bind(by)
        .bind(to_millis(now()))
        .fetch_one(&self.write)
        .await;
        match inserted {
            Ok(id) => Ok(id),
            Err(e) if is_unique_violation(&e) => Err(conflict("该合同已立项")),
            Err(e) => Err(e.into()),
        }
    }

    /// The project with its milestones and progress; `None` when there is none.
    pub async fn project(&self, id: i64, today: NaiveDate) -> Result<Option<Project>> {
        let head: Option<(i64, i64, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT p.id, p.contract_id, c.title, p.created_at, p.accepted_at \
             FROM projects p JOIN contracts c ON c.id = p.contract_id WHERE p.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.write)
        .await?;
        let Some((id, contract_id, title, created_at, accepted_at)) = head else {
            return Ok(None);
        };
        let rows: Vec<MilestoneRow> = sqlx::query_as(
            "SELECT id, name, due_on, deliverable, payment_yuan, status, accepted_at, opinion \
             FROM milestones WHERE project_id = $1 ORDER BY due_on, id",
        )
        .bind(id)
        .fetch_all(&self.write)
        .await?;
        let milestones: Vec<Milestone> = rows
            .into_iter()
            .map(|m| {
                let status = MilestoneStatus::parse(&m.status)
                    .ok_or_else(|| Error::Corrupt(format!("milestone {} status", m.id)))?;
                let due_on = parse_date(&m.due_on, "milestone")?;
                Ok(Milestone {
                    id: m.id,
                    name: m.name,
                    due_on,
                    deliverable: m.deliverable,
                    payment_wan: m.payment_yuan.map(AmountWan::from_yuan),
                    status,
                    accepted_at: m.accepted_at.map(from_millis),
                    opinion: m.opinion,
                    overdue: milestone_overdue(status, due_on, today),
                })
            })
            .collect::<Result<_>>()?;
        let progress: Vec<ProgressRow> = sqlx::query_as(
            "SELECT g.id, g.author_id, u.display_name AS author_name, g.text, g.created_at \
             FROM project_progress g JOIN users u ON u.id = g.author_id WHERE g.project_id = $1 ORDER BY g.id DESC",
        )
        .bind(id)
        .fetch_all(&self.write)
        .await?;
        let statuses: Vec<MilestoneStatus> = milestones.iter().map(|m| m.status).collect();
        Ok(Some(Project {
            id,
            contract_id,
            title,
            status: project_status(&statuses),
            created_at: from_millis(created_at),
            accepted_at: accepted_at.map(from_millis),
            overdue: milestones.iter().any(|m| m.overdue),
            milestones,
            progress: progress
                .into_iter()
                .map(|p| ProgressEntry {
                    id: p.id,
                    author_id: p.author_id,
                    author_name: p.author_name,
                    text: p.text,
                    created_at: from_millis(p.created_at),
                })
                .collect(),
        }))
    }

    pub async fn project_contract_id(&self, project_id: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT contract_id FROM projects WHERE id = $1")
            .bind(project_id)
            .fetch_optional(&self.read)
            .await?)
    }

    pub async fn add_milestone(&self, project_id: i64, m: &MilestoneInput) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO milestones (project_id, name, due_on, deliverable, payment_yuan, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(project_id)
        .bind(&m.name)
        .bind(date_text(m.due_on))
        .bind(&m.deliverable)
        .bind(m.payment_wan.map(|p| p.to_yuan()))
        .bind(MilestoneStatus::Open.code())
        .bind(to_millis(now()))
        .fetch_one(&self.write)
        .await?)
    }

    /// 验收 of an open milestone; the project is accepted with its last milestone.
    pub async fn accept_milestone(
        &self,
        project_id: i64,
        milestone_id: i64,
        by: i64,
        opinion: Option<&str>,
    ) -> Result<()> {
        let t = to_millis(now());
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE milestones SET status = $1, accepted_by = $2, accepted_at = $3, opinion = $4 \
             WHERE id = $5 AND project_id = $6 AND status = $7",
        )
        .bind(MilestoneStatus::Accepted.code())
        .bind(by)
        .bind(t)
        .bind(opinion)
        .bind(milestone_id)
        .bind(project_id)
        .bind(MilestoneStatus::Open.code())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM milestones WHERE id = $1 AND project_id = $2")
                .bind(milestone_id)
                .bind(project_id)
                .fetch_one(&mut *tx)
                .await?;
            return Err(if exists == 0 {
                kejiyun_domain::Error::not_found().into()
            } else {
                conflict("该节点已验收")
            });
        }
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM milestones WHERE project_id = $1 AND status = $2")
            .bind(project_id)
            .bind(MilestoneStatus::Open.code())
            .fetch_one(&mut *tx)
            .await?;
        if open == 0 {
            sqlx::query("UPDATE projects SET accepted_at = $1 WHERE id = $2")
                .bind(t)
                .bind(project_id)
                .execute(&mut *tx)
                .await?;
        }
        let record = AuditRecord {
            actor_id: Some(by),
            entity: "milestone",
            entity_id: milestone_id,
            action: "accept",
            from_status: Some(MilestoneStatus::Open.code()),
            to_status: Some(MilestoneStatus::Accepted.code()),
            detail: opinion,
            at: t,
        };
        audit::write(&mut tx, record).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_progress(&self, project_id: i64, author_id: i64, text: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO project_progress (project_id, author_id, text, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(project_id)
        .bind(author_id)
        .bind(text)
        .bind(to_millis(now()))
        .fetch_one(&self.write)
        .await?)
    }

    /// Projects in a region subtree with a milestone past due and not accepted (ids, oldest due first).
    pub async fn overdue_projects(&self, region_prefix: &str, today: NaiveDate) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT p.id FROM projects p JOIN contracts c ON c.id = p.contract_id \
             JOIN milestones m ON m.project_id = p.id \
             WHERE c.region_code LIKE $1 AND m.status = $2 AND m.due_on < $3 \
             GROUP BY p.id ORDER BY MIN(m.due_on) LIMIT 200",
        )
        .bind(format!("{region_prefix}%"))
        .bind(MilestoneStatus::Open.code())
        .bind(date_text(today))
        .fetch_all(&self.read)
        .await?)
    }
}
