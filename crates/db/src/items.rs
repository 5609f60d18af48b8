//! Published items (needs, capabilities, achievements): content, life-cycle transitions (each
//! with its audit entry, atomically), public lists with filters, and the housekeeping of expiry
//! and the 180-day confirmation.

use chrono::NaiveDate;
use kejiyun_domain::item::{AchievementType, Availability, ContactVisibility, ItemAction, ItemContent, Maturity, Mode};
use kejiyun_domain::notice::Notice;
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::time::{from_millis, now, to_millis};
use kejiyun_domain::{AmountWan, Item, ItemKind, ItemStatus};

use crate::audit::{self, AuditRecord};
use sqlx::AssertSqlSafe;

use crate::sql::{Bind, Sql};
use crate::tasks::NewTask;
use crate::users::{json_list, to_json_list};
use crate::{Db, Error, Result, notifications};

const COLUMNS: &str = "i.id, i.kind, i.owner_id, COALESCE(u.org_name, u.display_name) AS owner_name, u.region_code AS owner_region_code, i.title, \
     i.description, i.industry, i.keywords, i.region_code, i.status, i.reject_reason, i.close_reason, i.modes, \
     i.amount_min_yuan, i.amount_max_yuan, i.deadline, i.contact_visibility, i.discipline, i.fields, \
     i.service_area, i.availability, i.achievement_type, i.registration_no, i.maturity, i.duplicate_of, i.version, \
     i.created_at, i.updated_at, i.published_at";

const FROM: &str = " FROM items i JOIN users u ON u.id = i.owner_id";

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    kind: String,
    owner_id: i64,
    owner_name: String,
    owner_region_code: String,
    title: String,
    description: String,
    industry: Option<String>,
    keywords: String,
    region_code: String,
    status: String,
    reject_reason: Option<String>,
    close_reason: Option<String>,
    modes: String,
    amount_min_yuan: Option<i64>,
    amount_max_yuan: Option<i64>,
    deadline: Option<String>,
    contact_visibility: Option<String>,
    discipline: Option<String>,
    fields: String,
    service_area: String,
    availability: Option<String>,
    achievement_type: Option<String>,
    registration_no: Option<String>,
    maturity: Option<String>,
    duplicate_of: Option<i64>,
    version: i64,
    created_at: i64,
    updated_at: i64,
    published_at: Option<i64>,
}

/// An item with its row version, for optimistic updates.
#[derive(Debug, Clone)]
pub struct VersionedItem {
    pub item: Item,
    pub version: i64,
}

impl TryFrom<ItemRow> for VersionedItem {
    type Error = Error;
    fn try_from(r: ItemRow) -> Result<VersionedItem> {
        let corrupt = |what: &str| Error::Corrupt(format!("item {} {what}", r.id));
        let kind = ItemKind::parse(&r.kind).ok_or_else(|| corrupt("kind"))?;
        let status = ItemStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?;
        let item = Item {
            id: r.id,
            kind,
            owner_id: r.owner_id,
            owner_name: r.owner_name,
            owner_region_code: r.owner_region_code,
            title: r.title,
            description: r.description,
            industry: r.industry,
            keywords: json_list(&r.keywords),
            region_code: r.region_code,
            status,
            reject_reason: r.reject_reason,
            close_reason: r.close_reason,
            modes: json_list(&r.modes).iter().filter_map(|m| Mode::parse(m)).collect(),
            amount_min_wan: r.amount_min_yuan.map(AmountWan::from_yuan),
            amount_max_wan: r.amount_max_yuan.map(AmountWan::from_yuan),
            deadline: r.deadline.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
            contact_visibility: r.contact_visibility.as_deref().and_then(ContactVisibility::parse),
            discipline: r.discipline,
            fields: json_list(&r.fields),
            service_area: json_list(&r.service_area),
            availability: r.availability.as_deref().and_then(Availability::parse),
            achievement_type: r.achievement_type.as_deref().and_then(AchievementType::parse),
            registration_no: r.registration_no,
            maturity: r.maturity.as_deref().and_then(Maturity::parse),
            duplicate_of: r.duplicate_of,
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
            published_at: r.published_at.map(from_millis),
        };
        Ok(VersionedItem { item, version: r.version })
    }
}

/// Filters of item lists. `region_prefix` selects a region subtree.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub kind: Option<ItemKind>,
    pub statuses: Vec<ItemStatus>,
    pub region_prefix: Option<String>,
    pub industry: Option<String>,
    pub achievement_type: Option<AchievementType>,
    pub mode: Option<Mode>,
    pub owner_id: Option<i64>,
    /// Items whose owner's region lies in this subtree (the admins in charge of them).
    pub owner_region_prefix: Option<String>,
}

impl ItemFilter {
    pub fn published(kind: Option<ItemKind>) -> Self {
        ItemFilter { kind, statuses: vec![ItemStatus::Published], ..Default::default() }
    }

    fn push_where(&self, sql: &mut Sql) {
        sql.push(" WHERE 1 = 1");
        if let Some(kind) = self.kind {
            sql.push(" AND i.kind = ").bind(kind.code());
        }
        if !self.statuses.is_empty() {
            sql.push(" AND i.status IN (").bind_list(self.statuses.iter().map(|s| s.code())).push(")");
        }
        if let Some(prefix) = &self.region_prefix {
            sql.push(" AND i.region_code LIKE ").bind(format!("{prefix}%"));
        }
        if let Some(industry) = &self.industry {
            sql.push(" AND i.industry = ").bind(industry.as_str());
        }
        if let Some(t) = self.achievement_type {
            sql.push(" AND i.achievement_type = ").bind(t.code());
        }
        if let Some(m) = self.mode {
            // Modes are stored as a JSON array of codes; the quotes make the match exact.
            sql.push(" AND i.modes LIKE ").bind(format!("%\"{}\"%", m.code()));
        }
        if let Some(owner) = self.owner_id {
            sql.push(" AND i.owner_id = ").bind(owner);
        }
        if let Some(prefix) = &self.owner_region_prefix {
            sql.push(" AND u.region_code LIKE ").bind(format!("{prefix}%"));
        }
    }
}

/// A change of state with its audit entry and an optional notice to the owner.
pub struct Transition<'a> {
    pub item: &'a VersionedItem,
    pub action: ItemAction,
    pub to: ItemStatus,
    pub actor_id: Option<i64>,
    /// Rejection or closing reason.
    pub reason: Option<&'a str>,
    /// Notices of the change (delivered by the task queue).
    pub notices: Vec<Notice>,
    /// Other work the change causes, enqueued in its transaction.
    pub tasks: Vec<NewTask>,
}

fn content_binds(c: &ItemContent) -> Vec<Bind> {
    vec![
        c.title.clone().into(),
        c.description.clone().into(),
        c.industry.clone().into(),
        to_json_list(&c.keywords).into(),
        c.region_code.clone().into(),
        to_json_list(&c.modes.iter().map(|m| m.code().to_string()).collect::<Vec<_>>()).into(),
        c.amount_min_wan.map(|a| a.to_yuan()).into(),
        c.amount_max_wan.map(|a| a.to_yuan()).into(),
        c.deadline.map(crate::date_text).into(),
        c.contact_visibility.map(|v| v.code().to_string()).into(),
        c.discipline.clone().into(),
        to_json_list(&c.fields).into(),
        to_json_list(&c.service_area).into(),
        c.availability.map(|v| v.code().to_string()).into(),
        c.achievement_type.map(|v| v.code().to_string()).into(),
        c.registration_no.clone().into(),
        c.maturity.map(|v| v.code().to_string()).into(),
    ]
}

const CONTENT_COLUMNS: [&str; 17] = [
    "title",
    "description",
    "industry",
    "keywords",
    "region_code",
    "modes",
    "amount_min_yuan",
    "amount_max_yuan",
    "deadline",
    "contact_visibility",
    "discipline",
    "fields",
    "service_area",
    "availability",
    "achievement_type",
    "registration_no",
    "maturity",
];

/// Appends to the change log, inside the caller's transaction.
async fn log_change(conn: &mut sqlx::AnyConnection, item_id: i64, at: i64) -> Result<()> {
    sqlx::query("INSERT INTO item_changes (item_id, changed_at) VALUES ($1, $2)")
        .bind(item_id)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// One entry of the change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Change {
    pub seq: i64,
    pub item_id: i64,
    pub changed_at: i64,
}

fn stale() -> Error {
    kejiyun_domain::Error::illegal_transition("内容已被他人修改或状态已变化，请刷新后重试").into()
}

impl Db {
    /// Creates an item as a draft (or straight to review when `submit`), with its audit entry.
    pub async fn create_item(
        &self,
        kind: ItemKind,
        owner_id: i64,
        content: &ItemContent,
        status: ItemStatus,
    ) -> Result<i64> {
        let t = to_millis(now());
        let mut sql = Sql::new("INSERT INTO items (kind, owner_id, status, created_at, updated_at, submitted_at");
        for col in CONTENT_COLUMNS {
            sql.push(", ").push(col);
        }
        sql.push(") VALUES (").bind(kind.code()).push(", ").bind(owner_id).push(", ").bind(status.code());
        sql.push(", ").bind(t).push(", ").bind(t).push(", ");
        sql.bind(if status == ItemStatus::Pending { Some(t) } else { None });
        for b in content_binds(content) {
            sql.push(", ").bind(b);
        }
        sql.push(") RETURNING id");
        let mut tx = self.write.begin().await?;
        let id: i64 = sql.query_scalar().fetch_one(&mut *tx).await?;
        let record = AuditRecord {
            actor_id: Some(owner_id),
            entity: kind.code(),
            entity_id: id,
            action: "create",
            from_status: None,
            to_status: Some(status.code()),
            detail: None,
            at: t,
        };
        log_change(&mut tx, id, t).await?;
        audit::write(&mut tx, record).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn item(&self, id: i64) -> Result<Option<VersionedItem>> {
        let row: Option<ItemRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS}{FROM} WHERE i.id = $1")))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(VersionedItem::try_from).transpose()
    }

    /// The item of `kind` with `id`, as read by the writer (sees the latest commit).
    pub async fn item_of_kind(&self, kind: ItemKind, id: i64) -> Result<Option<VersionedItem>> {
        let row: Option<ItemRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS}{FROM} WHERE i.id = $1 AND i.kind = $2")))
                .bind(id)
                .bind(kind.code())
                .fetch_optional(&self.read)
                .await?;
        row.map(VersionedItem::try_from).transpose()
    }

    /// Writes new content and status if the row is still at `version`; audits the edit.
    pub async fn update_item_content(
        &self,
        current: &VersionedItem,
        content: &ItemContent,
        to: ItemStatus,
        actor_id: i64,
    ) -> Result<()> {
        let t = to_millis(now());
        let mut sql = Sql::new("UPDATE items SET version = version + 1, updated_at = ");
        sql.bind(t).push(", status = ").bind(to.code());
        for (col, b) in CONTENT_COLUMNS.iter().zip(content_binds(content)) {
            sql.push(", ").push(col).push(" = ").bind(b);
        }
        if to == ItemStatus::Pending && current.item.status != ItemStatus::Pending {
            sql.push(", submitted_at = ").bind(t);
        }
        sql.push(" WHERE id = ").bind(current.item.id).push(" AND version = ").bind(current.version);
        let mut tx = self.write.begin().await?;
        let done = sql.query().execute(&mut *tx).await?;
        if done.rows_affected() != 1 {
            return Err(stale());
        }
        let record = AuditRecord {
            actor_id: Some(actor_id),
            entity: current.item.kind.code(),
            entity_id: current.item.id,
            action: ItemAction::Edit.code(),
            from_status: Some(current.item.status.code()),
            to_status: Some(to.code()),
            detail: None,
            at: t,
        };
        log_change(&mut tx, current.item.id, t).await?;
        audit::write(&mut tx, record).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves an item to a new state if it is still at the version that was checked.
    pub async fn transition_item(&self, tr: Transition<'_>) -> Result<()> {
        let t = to_millis(now());
        let item = &tr.item.item;
        let mut sql = Sql::new("UPDATE items SET version = version + 1, updated_at = ");
        sql.bind(t).push(", status = ").bind(tr.to.code());
        match tr.action {
            ItemAction::Submit => {
                sql.push(", submitted_at = ").bind(t).push(", reject_reason = NULL");
            }
            ItemAction::Approve => {
                sql.push(", published_at = ").bind(t).push(", reject_reason = NULL, confirm_requested_at = NULL");
            }
            ItemAction::Reject => {
                sql.push(", reject_reason = ").bind(tr.reason.map(str::to_string));
            }
            ItemAction::Close => {
                sql.push(", closed_at = ").bind(t).push(", close_reason = ").bind(tr.reason.map(str::to_string));
            }
            ItemAction::Confirm => {
                sql.push(", confirm_requested_at = NULL");
            }
            ItemAction::Edit => {}
        }
        sql.push(" WHERE id = ").bind(item.id).push(" AND version = ").bind(tr.item.version);
        let mut tx = self.write.begin().await?;
        let done = sql.query().execute(&mut *tx).await?;
        if done.rows_affected() != 1 {
            return Err(stale());
        }
        let record = AuditRecord {
            actor_id: tr.actor_id,
            entity: item.kind.code(),
            entity_id: item.id,
            action: tr.action.code(),
            from_status: Some(item.status.code()),
            to_status: Some(tr.to.code()),
            detail: tr.reason,
            at: t,
        };
        log_change(&mut tx, item.id, t).await?;
        audit::write(&mut tx, record).await?;
        notifications::enqueue_all(&mut tx, &tr.notices).await?;
        for task in &tr.tasks {
            crate::tasks::enqueue_in(&mut tx, task).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A page of items matching `filter`, newest first (by publication, then creation).
    pub async fn list_items(&self, filter: &ItemFilter, page: PageRequest) -> Result<Page<Item>> {
        let mut count = Sql::new("SELECT COUNT(*) FROM items i");
        filter.push_where(&mut count);
        let total: i64 = count.query_scalar().fetch_one(&self.read).await?;
        let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
        filter.push_where(&mut sql);
        sql.push(" ORDER BY COALESCE(i.published_at, i.updated_at) DESC, i.id DESC LIMIT ")
            .bind(page.limit())
            .push(" OFFSET ")
            .bind(page.offset());
        let rows: Vec<ItemRow> = sql.query_as().fetch_all(&self.read).await?;
        let items = rows.into_iter().map(|r| VersionedItem::try_from(r).map(|v| v.item)).collect::<Result<_>>()?;
        Ok(Page::new(items, total, page))
    }

    /// Items by id, in the order of `ids` (for search hits); missing ids are skipped.
    pub async fn items_by_ids(&self, ids: &[i64]) -> Result<Vec<Item>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM} WHERE i.id IN ("));
        sql.bind_list(ids.iter().copied()).push(")");
        let rows: Vec<ItemRow> = sql.query_as().fetch_all(&self.read).await?;
        let mut items: Vec<Item> =
            rows.into_iter().map(|r| VersionedItem::try_from(r).map(|v| v.item)).collect::<Result<_>>()?;
        items.sort_by_key(|i| ids.iter().position(|id| *id == i.id));
        Ok(items)
    }

    /// Every published item, for (re)building the search index, in id order from `after_id`.
    pub async fn published_items_after(&self, after_id: i64, limit: i64) -> Result<Vec<Item>> {
        let rows: Vec<ItemRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COLUMNS}{FROM} WHERE i.status = $1 AND i.id > $2 ORDER BY i.id LIMIT $3"
        )))
        .bind(ItemStatus::Published.code())
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(|r| VersionedItem::try_from(r).map(|v| v.item)).collect()
    }

    pub async fn count_items(&self, kind: Option<ItemKind>, status: ItemStatus) -> Result<i64> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM items WHERE status = ");
        sql.bind(status.code());
        if let Some(k) = kind {
            sql.push(" AND kind = ").bind(k.code());
        }
        Ok(sql.query_scalar().fetch_one(&self.read).await?)
    }

    /// Pending items whose owners are in a region subtree (the admins in charge), oldest submission first.
    pub async fn review_queue(&self, region_prefix: &str, page: PageRequest) -> Result<Page<Item>> {
        let filter = ItemFilter {
            statuses: vec![ItemStatus::Pending],
            owner_region_prefix: Some(region_prefix.to_string()),
            ..Default::default()
        };
        let mut count = Sql::new(&format!("SELECT COUNT(*){FROM}"));
        filter.push_where(&mut count);
        let total: i64 = count.query_scalar().fetch_one(&self.read).await?;
        let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
        filter.push_where(&mut sql);
        sql.push(" ORDER BY i.submitted_at, i.id LIMIT ").bind(page.limit()).push(" OFFSET ").bind(page.offset());
        let rows: Vec<ItemRow> = sql.query_as().fetch_all(&self.read).await?;
        let items = rows.into_iter().map(|r| VersionedItem::try_from(r).map(|v| v.item)).collect::<Result<_>>()?;
        Ok(Page::new(items, total, page))
    }

    /// Records (or clears) the possible duplicate found at submission.
    pub async fn set_duplicate_of(&self, id: i64, duplicate_of: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE items SET duplicate_of = $1 WHERE id = $2")
            .bind(duplicate_of)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Sends a match notice to `user_id` unless one was sent for this pair already. Returns
    /// whether it was sent.
    pub async fn notify_match_once(&self, source_id: i64, target_id: i64, notice: &Notice) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "INSERT INTO match_notices (user_id, source_id, target_id, sent_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(notice.user_id)
        .bind(source_id)
        .bind(target_id)
        .bind(to_millis(now()))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            notifications::write(&mut tx, notice).await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Change-log entries after `seq`, oldest first.
    pub async fn changes_after(&self, seq: i64, limit: i64) -> Result<Vec<Change>> {
        Ok(sqlx::query_as("SELECT seq, item_id, changed_at FROM item_changes WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.read)
            .await?)
    }

    /// The newest change-log position (0 when empty).
    pub async fn last_change_seq(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM item_changes")
            .fetch_one(&self.read)
            .await?)
    }

    /// Closes published needs whose deadline is before `today`, telling each owner `notice(need)`;
    /// returns their ids.
    pub async fn expire_needs(&self, today: NaiveDate, notice: &(dyn Fn(&Item) -> Notice + Sync)) -> Result<Vec<i64>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM items WHERE kind = $1 AND status = $2 AND deadline IS NOT NULL AND deadline < $3",
        )
        .bind(ItemKind::Need.code())
        .bind(ItemStatus::Published.code())
        .bind(crate::date_text(today))
        .fetch_all(&self.read)
        .await?;
        self.close_by_system(ids, "已过截止日期，自动关闭", notice).await
    }

    /// The 180-day check as of `at` (ms): asks owners of published items untouched since
    /// `stale_before` to confirm them (once), and closes those asked before `close_before` without
    /// an answer; `ask(item)` and `closed(item)` are the owners' notices. Returns the ids closed.
    pub async fn check_stale_items(
        &self,
        at: i64,
        stale_before: i64,
        close_before: i64,
        ask: &(dyn Fn(&Item) -> Notice + Sync),
        closed: &(dyn Fn(&Item) -> Notice + Sync),
    ) -> Result<Vec<i64>> {
        let t = at;
        let to_ask: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM items WHERE status = $1 AND confirm_requested_at IS NULL AND updated_at < $2",
        )
        .bind(ItemStatus::Published.code())
        .bind(stale_before)
        .fetch_all(&self.read)
        .await?;
        for id in to_ask {
            let Some(v) = self.item(id).await? else { continue };
            let mut tx = self.write.begin().await?;
            let done = sqlx::query(
                "UPDATE items SET confirm_requested_at = $1 WHERE id = $2 AND version = $3 AND confirm_requested_at IS NULL",
            )
            .bind(t)
            .bind(id)
            .bind(v.version)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                notifications::enqueue(&mut tx, &ask(&v.item)).await?;
            }
            tx.commit().await?;
        }
        let to_close: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM items WHERE status = $1 AND confirm_requested_at IS NOT NULL AND confirm_requested_at < $2",
        )
        .bind(ItemStatus::Published.code())
        .bind(close_before)
        .fetch_all(&self.read)
        .await?;
        self.close_by_system(to_close, "超过180天未更新且未确认，自动关闭", closed).await
    }

    /// Closes items on the platform's own account (no actor), telling each owner. Items changed
    /// meanwhile are skipped; the next run looks at them again. Returns the ids closed.
    async fn close_by_system(
        &self,
        ids: Vec<i64>,
        reason: &str,
        notice: &(dyn Fn(&Item) -> Notice + Sync),
    ) -> Result<Vec<i64>> {
        let mut closed = Vec::new();
        for id in ids {
            let Some(item) = self.item(id).await? else { continue };
            let tr = Transition {
                item: &item,
                action: ItemAction::Close,
                to: ItemStatus::Closed,
                actor_id: None,
                reason: Some(reason),
                notices: vec![notice(&item.item)],
                tasks: Vec::new(),
            };
            match self.transition_item(tr).await {
                Ok(()) => closed.push(id),
                Err(Error::Domain(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(closed)
    }
}
