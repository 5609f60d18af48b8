//! 投票 (public votes such as 最美科技工作者): a poll of candidates open between two days, with
//! the rules per voter per day: one vote for a candidate per day, and at most `votes_per_day`
//! votes in the poll per day. Storage enforces both atomically; the rules and their messages
//! live here.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Code, Error, Result};
use crate::region::regions;
use crate::time::Timestamp;
use crate::user::{optional_text, required_text};

pub const MAX_CANDIDATES: usize = 200;
pub const MAX_VOTES_PER_DAY: u32 = 50;
/// Longest a poll may run, so that a typo in a year does not open a poll for a decade.
pub const MAX_POLL_DAYS: i64 = 366;

/// Where a poll stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PollPhase {
    Upcoming,
    Open,
    Ended,
}

impl PollPhase {
    pub fn of(starts_on: NaiveDate, ends_on: NaiveDate, today: NaiveDate) -> PollPhase {
        if today < starts_on {
            PollPhase::Upcoming
        } else if today > ends_on {
            PollPhase::Ended
        } else {
            PollPhase::Open
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PollPhase::Upcoming => "未开始",
            PollPhase::Open => "投票中",
            PollPhase::Ended => "已结束",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            PollPhase::Upcoming => "upcoming",
            PollPhase::Open => "open",
            PollPhase::Ended => "ended",
        }
    }
}

/// A candidate as the organiser enters it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CandidateInput {
    /// 候选人或候选项目名称.
    pub name: String,
    /// 简介 (事迹).
    #[serde(default)]
    pub summary: Option<String>,
}

/// A new poll, created by an admin for its region.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PollInput {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The organising region (the admin's scope or below).
    pub region_code: String,
    /// First and last day of voting (China time), both included.
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Votes one voter may cast in this poll per day (each for a different candidate).
    pub votes_per_day: u32,
    pub candidates: Vec<CandidateInput>,
}

/// A poll's fields, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPoll {
    pub title: String,
    pub description: String,
    pub region_code: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub votes_per_day: u32,
    /// (name, summary), in the order shown.
    pub candidates: Vec<(String, String)>,
}

impl PollInput {
    pub fn validate(self, today: NaiveDate) -> Result<NewPoll> {
        let title = required_text("title", "投票标题", &self.title, 2, 100)?;
        let description = optional_text("description", self.description, 2000)?.unwrap_or_default();
        let region_code = regions().require(&self.region_code).map_err(|e| e.with_field("region_code"))?.code.clone();
        if self.ends_on < self.starts_on {
            return Err(Error::field("ends_on", "截止日期不能早于开始日期"));
        }
        if self.ends_on < today {
            return Err(Error::field("ends_on", "截止日期不能早于今天"));
        }
        if (self.starts_on - today).num_days() > MAX_POLL_DAYS {
            return Err(Error::field("starts_on", "开始日期不能晚于一年以后"));
        }
        if (self.ends_on - self.starts_on).num_days() >= MAX_POLL_DAYS {
            return Err(Error::field("ends_on", format!("投票期不能超过{MAX_POLL_DAYS}天")));
        }
        if !(1..=MAX_VOTES_PER_DAY).contains(&self.votes_per_day) {
            return Err(Error::field("votes_per_day", format!("每人每天票数应在1到{MAX_VOTES_PER_DAY}之间")));
        }
        if self.candidates.len() < 2 || self.candidates.len() > MAX_CANDIDATES {
            return Err(Error::field("candidates", format!("候选应有2到{MAX_CANDIDATES}个")));
        }
        let mut seen = HashSet::new();
        let mut candidates = Vec::with_capacity(self.candidates.len());
        for c in self.candidates {
            let name = required_text("candidates", "候选名称", &c.name, 1, 50)?;
            if !seen.insert(name.clone()) {
                return Err(Error::field("candidates", format!("候选“{name}”重复")));
            }
            let summary = optional_text("candidates", c.summary, 500)?.unwrap_or_default();
            candidates.push((name, summary));
        }
        Ok(NewPoll {
            title,
            description,
            region_code,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            votes_per_day: self.votes_per_day,
            candidates,
        })
    }
}

/// A poll without its candidates (lists).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Poll {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub region_code: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub votes_per_day: u32,
    pub phase: PollPhase,
    pub candidate_count: i64,
    pub total_votes: i64,
    pub created_by: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl Poll {
    /// Votes a voter with `my_votes` in this poll may still cast on `day`; `None` unless the poll is open.
    /// Each vote row took one of the day's votes in the same transaction, so counting rows is exact.
    pub fn remaining_on(&self, my_votes: &[CastVote], day: NaiveDate) -> Option<u32> {
        if self.phase != PollPhase::Open {
            return None;
        }
        let used = my_votes.iter().filter(|v| v.voted_on == day).count();
        Some(self.votes_per_day.saturating_sub(u32::try_from(used).unwrap_or(u32::MAX)))
    }

    /// Voting is taken only while the poll is open.
    pub fn check_open(&self) -> Result<()> {
        match self.phase {
            PollPhase::Open => Ok(()),
            PollPhase::Upcoming => Err(Error::new(Code::PollNotOpen, format!("投票将于{}开始", self.starts_on))),
            PollPhase::Ended => Err(Error::new(Code::PollNotOpen, format!("投票已于{}结束", self.ends_on))),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub id: i64,
    pub name: String,
    pub summary: String,
    pub vote_count: i64,
}

/// One vote the caller cast.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CastVote {
    pub id: i64,
    pub candidate_id: i64,
    pub voted_on: NaiveDate,
}

/// A poll with its candidates (in the organiser's order) and, for a signed-in caller, their votes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PollDetail {
    pub poll: Poll,
    pub candidates: Vec<Candidate>,
    /// The caller's votes in this poll, all days, newest first (empty when not signed in).
    pub my_votes: Vec<CastVote>,
    /// Votes the caller may still cast today (absent when not signed in or not open).
    pub remaining_today: Option<u32>,
}

impl PollDetail {
    /// Candidates the caller already voted for on `today`.
    pub fn voted_today(&self, today: NaiveDate) -> HashSet<i64> {
        self.my_votes.iter().filter(|v| v.voted_on == today).map(|v| v.candidate_id).collect()
    }
}

/// What a vote request asks for.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteInput {
    pub candidate_id: i64,
}

/// The receipt of an accepted vote.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoteReceipt {
    pub vote_id: i64,
    pub candidate_id: i64,
    pub voted_on: NaiveDate,
    /// The candidate's count including this vote.
    pub vote_count: i64,
    pub remaining_today: u32,
}

/// Why storage refused a vote; turned into the caller's error here so the wording is one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteRefusal {
    AlreadyVotedForCandidate,
    DailyLimitReached { votes_per_day: u32 },
}

impl From<VoteRefusal> for Error {
    fn from(r: VoteRefusal) -> Error {
        match r {
            VoteRefusal::AlreadyVotedForCandidate => Error::new(Code::AlreadyVoted, "今天已为该候选投过票，明天再来吧"),
            VoteRefusal::DailyLimitReached { votes_per_day } => {
                Error::new(Code::DailyVoteLimit, format!("每人每天最多投{votes_per_day}票，今天的票已用完"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn input() -> PollInput {
        PollInput {
            title: "2026年度最美科技工作者".into(),
            description: Some("  评选表彰扎根基层的科技工作者  ".into()),
            region_code: "510300".into(),
            starts_on: day("2026-12-01"),
            ends_on: day("2026-12-15"),
            votes_per_day: 3,
            candidates: vec![
                CandidateInput { name: "张三".into(), summary: Some("酿酒微生物专家".into()) },
                CandidateInput { name: " 李四 ".into(), summary: None },
            ],
        }
    }

    #[test]
    fn a_valid_poll_is_trimmed_and_kept_in_order() {
        let p = input().validate(day("2026-11-26")).unwrap();
        assert_eq!(p.description, "评选表彰扎根基层的科技工作者");
        assert_eq!(p.candidates, vec![("张三".into(), "酿酒微生物专家".into()), ("李四".into(), String::new())]);
    }

    #[test]
    fn bad_polls_name_the_field() {
        let today = day("2026-11-26");
        let field = |p: PollInput| p.validate(today).unwrap_err().field;
        assert_eq!(field(PollInput { ends_on: day("2026-11-30"), ..input() }), Some("ends_on"));
        assert_eq!(
            field(PollInput { starts_on: day("2026-11-01"), ends_on: day("2026-11-25"), ..input() }),
            Some("ends_on")
        );
        assert_eq!(field(PollInput { ends_on: day("2027-12-15"), ..input() }), Some("ends_on"));
        let far = PollInput { starts_on: day("2028-01-01"), ends_on: day("2028-01-10"), ..input() };
        assert_eq!(field(far), Some("starts_on"));
        assert_eq!(field(PollInput { votes_per_day: 0, ..input() }), Some("votes_per_day"));
        assert_eq!(field(PollInput { votes_per_day: MAX_VOTES_PER_DAY + 1, ..input() }), Some("votes_per_day"));
        assert_eq!(field(PollInput { region_code: "999999".into(), ..input() }), Some("region_code"));
        let one = PollInput { candidates: input().candidates.into_iter().take(1).collect(), ..input() };
        assert_eq!(field(one), Some("candidates"));
        let twice = PollInput {
            candidates: vec![
                CandidateInput { name: "张三".into(), summary: None },
                CandidateInput { name: "张三 ".into(), summary: None },
            ],
            ..input()
        };
        assert_eq!(field(twice), Some("candidates"));
        let long = "长".repeat(501);
        let wordy = PollInput {
            candidates: vec![
                CandidateInput { name: "张三".into(), summary: Some(long) },
                CandidateInput { name: "李四".into(), summary: None },
            ],
            ..input()
        };
        assert_eq!(field(wordy), Some("candidates"));
    }

    #[test]
    fn phases_include_both_end_days() {
        let (start, end) = (day("2026-12-01"), day("2026-12-15"));
        assert_eq!(PollPhase::of(start, end, day("2026-11-30")), PollPhase::Upcoming);
        assert_eq!(PollPhase::of(start, end, start), PollPhase::Open);
        assert_eq!(PollPhase::of(start, end, end), PollPhase::Open);
        assert_eq!(PollPhase::of(start, end, day("2026-12-16")), PollPhase::Ended);
    }

    #[test]
    fn what_is_left_counts_only_the_day_and_only_while_open() {
        let today = day("2026-12-02");
        let mut poll = Poll {
            id: 1,
            title: "最美科技工作者".into(),
            description: String::new(),
            region_code: "510000".into(),
            starts_on: day("2026-12-01"),
            ends_on: day("2026-12-15"),
            votes_per_day: 3,
            phase: PollPhase::Open,
            candidate_count: 3,
            total_votes: 3,
            created_by: 1,
            created_at: crate::time::now(),
        };
        let cast = |id, candidate_id, on: &str| CastVote { id, candidate_id, voted_on: day(on) };
        let mine = [cast(3, 2, "2026-12-02"), cast(2, 1, "2026-12-02"), cast(1, 1, "2026-12-01")];
        assert_eq!(poll.remaining_on(&mine, today), Some(1));
        assert_eq!(poll.remaining_on(&mine[..2], day("2026-12-03")), Some(3));
        poll.votes_per_day = 1;
        assert_eq!(poll.remaining_on(&mine, today), Some(0), "never below zero");
        poll.phase = PollPhase::Ended;
        assert_eq!(poll.remaining_on(&mine, today), None);
    }

    #[test]
    fn refusals_are_conflicts_with_their_own_codes() {
        let already: Error = VoteRefusal::AlreadyVotedForCandidate.into();
        assert_eq!((already.code, already.status()), (Code::AlreadyVoted, 409));
        let spent: Error = VoteRefusal::DailyLimitReached { votes_per_day: 3 }.into();
        assert_eq!(spent.code, Code::DailyVoteLimit);
        assert!(spent.message.contains('3'), "{}", spent.message);
    }
}
