//! 投票: polls, candidates and votes. A vote is one transaction: take one of the voter's votes
//! for the day (an upsert that cannot go past the poll's limit), insert the vote
//! (unique per candidate, voter and day) and count it on the candidate.

use chrono::NaiveDate;
use kejiyun_domain::page::{Page, PageRequest};
use kejiyun_domain::time::{from_millis, now, to_millis};
use kejiyun_domain::vote::{Candidate, CastVote, NewPoll, Poll, PollPhase, VoteReceipt, VoteRefusal};
use sqlx::AssertSqlSafe;

use crate::audit::{self, AuditRecord};
use crate::sql::Sql;
use crate::{Db, Error, Result, date_text, is_unique_violation, parse_date};

const COLUMNS: &str = "p.id, p.title, p.description, p.region_code, p.starts_on, p.ends_on, p.votes_per_day, \
     p.created_by, p.created_at, \
     (SELECT COUNT(*) FROM poll_candidates c WHERE c.poll_id = p.id) AS candidate_count, \
     (SELECT CAST(COALESCE(SUM(c.vote_count), 0) AS BIGINT) FROM poll_candidates c WHERE c.poll_id = p.id) AS total_votes";

#[derive(sqlx::FromRow)]
struct PollRow {
    id: i64,
    title: String,
    description: String,
    region_code: String,
    starts_on: String,
    ends_on: String,
    votes_per_day: i64,
    created_by: i64,
    created_at: i64,
    candidate_count: i64,
    total_votes: i64,
}

impl PollRow {
    fn into_poll(self, today: NaiveDate) -> Result<Poll> {
        let starts_on = parse_date(&self.starts_on, "poll")?;
        let ends_on = parse_date(&self.ends_on, "poll")?;
        Ok(Poll {
            id: self.id,
            title: self.title,
            description: self.description,
            region_code: self.region_code,
            starts_on,
            ends_on,
            votes_per_day: u32::try_from(self.votes_per_day)
                .map_err(|_| Error::Corrupt(format!("poll {} votes_per_day", self.id)))?,
            phase: PollPhase::of(starts_on, ends_on, today),
            candidate_count: self.candidate_count,
            total_votes: self.total_votes,
            created_by: self.created_by,
            created_at: from_millis(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: i64,
    name: String,
    summary: String,
    vote_count: i64,
}

#[derive(sqlx::FromRow)]
struct CastRow {
    id: i64,
    candidate_id: i64,
    voted_on: String,
}

/// Filters of poll lists.
#[derive(Debug, Clone, Default)]
pub struct PollFilter {
    /// Polls organised in this region subtree.
    pub region_prefix: Option<String>,
}

impl Db {
    /// Creates a poll with its candidates; returns its id.
    pub async fn create_poll(&self, p: &NewPoll, by: i64) -> Result<i64> {
        let t = to_millis(now());
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO polls (title, description, region_code, starts_on, ends_on, votes_per_day, created_by, \
               created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&p.title)
        .bind(&p.description)
        .bind(&p.region_code)
        .bind(date_text(p.starts_on))
        .bind(date_text(p.ends_on))
        .bind(i64::from(p.votes_per_day))
        .bind(by)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        for (position, (name, summary)) in (0_i64..).zip(&p.candidates) {
            sqlx::query(
                "INSERT INTO poll_candidates (poll_id, position, name, summary, vote_count) VALUES ($1, $2, $3, $4, 0)",
            )
            .bind(id)
            .bind(position)
            .bind(name)
            .bind(summary)
            .execute(&mut *tx)
            .await?;
        }
        let record = AuditRecord {
            actor_id: Some(by),
            entity: "poll",
            entity_id: id,
            action: "create",
            from_status: None,
            to_status: None,
            detail: None,
            at: t,
        };
        audit::write(&mut tx, record).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The poll, its phase on `today`.
    pub async fn poll(&self, id: i64, today: NaiveDate) -> Result<Option<Poll>> {
        let row: Option<PollRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM polls p WHERE p.id = $1")))
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
        row.map(|r| r.into_poll(today)).transpose()
    }

    /// Polls, the latest to end first.
    pub async fn list_polls(&self, f: &PollFilter, page: PageRequest, today: NaiveDate) -> Result<Page<Poll>> {
        let mut filter = Sql::new(" WHERE 1 = 1");
        if let Some(prefix) = &f.region_prefix {
            filter.push(" AND p.region_code LIKE ").bind(format!("{prefix}%"));
        }
        let mut count = Sql::new("SELECT COUNT(*) FROM polls p");
        count.push(&filter.text);
        count.binds = filter.binds.clone();
        let total: i64 = count.query_scalar().fetch_one(&self.read).await?;
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM polls p"));
        sql.push(&filter.text);
        sql.binds = filter.binds;
        sql.push(" ORDER BY p.ends_on DESC, p.id DESC LIMIT ").bind(page.limit()).push(" OFFSET ").bind(page.offset());
        let rows: Vec<PollRow> = sql.query_as().fetch_all(&self.read).await?;
        let polls = rows.into_iter().map(|r| r.into_poll(today)).collect::<Result<_>>()?;
        Ok(Page::new(polls, total, page))
    }

    /// The poll's candidates in the organiser's order, with their counts.
    pub async fn poll_candidates(&self, poll_id: i64) -> Result<Vec<Candidate>> {
        let rows: Vec<CandidateRow> = sqlx::query_as(
            "SELECT id, name, summary, vote_count FROM poll_candidates WHERE poll_id = $1 ORDER BY position, id",
        )
        .bind(poll_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Candidate { id: r.id, name: r.name, summary: r.summary, vote_count: r.vote_count })
            .collect())
    }

    /// The voter's votes in the poll, newest first.
    pub async fn votes_of(&self, poll_id: i64, voter_id: i64) -> Result<Vec<CastVote>> {
        let rows: Vec<CastRow> = sqlx::query_as(
            "SELECT id, candidate_id, voted_on FROM votes WHERE poll_id = $1 AND voter_id = $2 ORDER BY id DESC",
        )
        .bind(poll_id)
        .bind(voter_id)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(CastVote { id: r.id, candidate_id: r.candidate_id, voted_on: parse_date(&r.voted_on, "vote")? })
            })
            .collect()
    }

    /// Casts one vote for `candidate_id` (which must belong to the poll) on `day`. The refusals
    /// of the daily rules come back as domain errors and leave nothing written.
    pub async fn cast_vote(
        &self,
        poll: &Poll,
        candidate_id: i64,
        voter_id: i64,
        day: NaiveDate,
    ) -> Result<VoteReceipt> {
        let t = to_millis(now());
        let day_text = date_text(day);
        let mut tx = self.write.begin().await?;
        let belongs: Option<i64> = sqlx::query_scalar("SELECT id FROM poll_candidates WHERE id = $1 AND poll_id = $2")
            .bind(candidate_id)
            .bind(poll.id)
            .fetch_optional(&mut *tx)
            .await?;
        if belongs.is_none() {
            return Err(Error::Domain(kejiyun_domain::Error::field("candidate_id", "该投票中没有这个候选")));
        }
        // Takes one of the voter's votes of the day, unless they are used up: the upsert inserts the
        // day's first vote or increments under the limit, and returns no row at the limit. Its row
        // lock also serialises one voter's concurrent votes on PostgreSQL.
        let used: Option<i64> = sqlx::query_scalar(
            "INSERT INTO vote_quotas (poll_id, voter_id, voted_on, used) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (poll_id, voter_id, voted_on) DO UPDATE SET used = vote_quotas.used + 1 \
             WHERE vote_quotas.used < $4 RETURNING used",
        )
        .bind(poll.id)
        .bind(voter_id)
        .bind(&day_text)
        .bind(i64::from(poll.votes_per_day))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(used) = used else {
            return Err(Error::Domain(VoteRefusal::DailyLimitReached { votes_per_day: poll.votes_per_day }.into()));
        };
        let inserted = sqlx::query_scalar(
            "INSERT INTO votes (poll_id, candidate_id, voter_id, voted_on, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id",
        )
        .bind(poll.id)
        .bind(candidate_id)
        .bind(voter_id)
        .bind(&day_text)
        .bind(t)
        .fetch_one(&mut *tx)
        .await;
        let vote_id: i64 = match inserted {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => {
                return Err(Error::Domain(VoteRefusal::AlreadyVotedForCandidate.into()));
            }
            Err(e) => return Err(e.into()),
        };
        let vote_count: i64 = sqlx::query_scalar(
            "UPDATE poll_candidates SET vote_count = vote_count + 1 WHERE id = $1 RETURNING vote_count",
        )
        .bind(candidate_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let remaining_today = u32::try_from(i64::from(poll.votes_per_day) - used).unwrap_or(0);
        Ok(VoteReceipt { vote_id, candidate_id, voted_on: day, vote_count, remaining_today })
    }

    /// Votes recorded per candidate of the poll, counted from the vote rows (for consistency checks).
    pub async fn counted_votes(&self, poll_id: i64) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT candidate_id, COUNT(*) FROM votes WHERE poll_id = $1 GROUP BY candidate_id ORDER BY candidate_id",
        )
        .bind(poll_id)
        .fetch_all(&self.read)
        .await?)
    }
}
