//! `kejiyun bench votes`: how fast storage takes public votes and reads the standings when a poll
//! holds hundreds of thousands of votes. Votes go through [`Db::cast_vote`], the same transaction
//! the API uses (daily quota, vote row, candidate counter), from many concurrent tasks; voters vote
//! on successive days so that a few hundred accounts can cast the whole load.
//! Last line: `votes=N seconds=… votes_per_s=… p50_ms=… p99_ms=… standings_p99_ms=… consistent=true`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::Days;
use kejiyun_db::Db;
use kejiyun_domain::time::today;
use kejiyun_domain::user::RegisterInput;
use kejiyun_domain::vote::{NewPoll, PollPhase};
use kejiyun_domain::{Code, Role};

use crate::percentile;

/// Arguments of `kejiyun bench votes`.
#[derive(Debug, Clone, clap::Args)]
pub struct VoteBenchArgs {
    /// Votes cast in total.
    #[arg(long, default_value_t = 100_000)]
    pub votes: usize,
    /// Concurrent voting tasks (as concurrent requests would be).
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Voter accounts; each votes `VOTES_PER_DAY` times a day on as many days as needed.
    #[arg(long, default_value_t = 200)]
    pub voters: usize,
    /// Database to run on (a fresh one: the benchmark adds its accounts and poll). Default: a
    /// temporary SQLite file.
    #[arg(long)]
    pub database_url: Option<String>,
}

const CANDIDATES: usize = 200;
const VOTES_PER_DAY: usize = 50;
/// Reads of the standings timed after the load.
const STANDINGS_READS: usize = 200;

/// (voter index, day offset, candidate index) of the `i`-th vote: consecutive votes go to different
/// voters, and one voter's votes of a day go to different candidates.
fn slot(i: usize, voters: usize) -> (usize, usize, usize) {
    let voter = i % voters;
    let round = i / voters;
    let (day, j) = (round / VOTES_PER_DAY, round % VOTES_PER_DAY);
    // 200 / 50 = 4: the stride keeps a day's 50 candidates distinct.
    let candidate = (voter + day + j * (CANDIDATES / VOTES_PER_DAY)) % CANDIDATES;
    (voter, day, candidate)
}

pub async fn vote_bench(args: VoteBenchArgs) -> anyhow::Result<()> {
    if args.votes == 0 || args.concurrency == 0 || args.voters == 0 {
        bail!("--votes, --concurrency and --voters must be positive");
    }
    if args.votes < args.voters * VOTES_PER_DAY {
        bail!(
            "--votes must fill every voter's first day ({} votes) so that the daily limit is shown refusing",
            args.voters * VOTES_PER_DAY
        );
    }
    let dir = tempfile::tempdir()?;
    let url = args.database_url.clone().unwrap_or_else(|| kejiyun_db::sqlite_url(&dir.path().join("votes.db")));
    let db = Db::connect(&url).await.context("connecting")?;
    db.migrate().await?;
    let backend = format!("{:?}", db.backend());

    let suffix = format!("{:08x}", rand::random::<u32>());
    let admin =
        RegisterInput::new(&format!("bench_admin_{suffix}"), "bench-password-1", Role::Admin, "压测管理员", "510000")
            .validate(true)?;
    let admin_id = db.create_user(&admin, "not-a-login", None).await?;
    let mut voter_ids = Vec::with_capacity(args.voters);
    for v in 0..args.voters {
        let voter =
            RegisterInput::new(&format!("bench_{suffix}_{v}"), "bench-password-1", Role::Public, "投票人", "510104")
                .validate(false)?;
        voter_ids.push(db.create_user(&voter, "not-a-login", None).await?);
    }
    let today = today();
    let days_needed = args.votes.div_ceil(args.voters * VOTES_PER_DAY);
    let poll = NewPoll {
        title: "投票压测".into(),
        description: String::new(),
        region_code: "510000".into(),
        starts_on: today,
        ends_on: today + Days::new(days_needed as u64),
        votes_per_day: VOTES_PER_DAY as u32,
        candidates: (0..CANDIDATES).map(|i| (format!("候选{i}"), String::new())).collect(),
    };
    let poll_id = db.create_poll(&poll, admin_id).await?;
    let poll = db.poll(poll_id, today).await?.context("the poll just made")?;
    let candidates: Vec<i64> = db.poll_candidates(poll_id).await?.iter().map(|c| c.id).collect();
    println!(
        "backend={backend} votes={} voters={} candidates={CANDIDATES} days={days_needed} concurrency={}",
        args.votes, args.voters, args.concurrency
    );

    let next = Arc::new(AtomicUsize::new(0));
    let (db, poll, candidates, voter_ids) = (Arc::new(db), Arc::new(poll), Arc::new(candidates), Arc::new(voter_ids));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (db, poll, candidates, voter_ids, next) =
            (db.clone(), poll.clone(), candidates.clone(), voter_ids.clone(), next.clone());
        let (total, voters) = (args.votes, args.voters);
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let (voter, day, candidate) = slot(i, voters);
                let t = Instant::now();
                db.cast_vote(&poll, candidates[candidate], voter_ids[voter], today + Days::new(day as u64)).await?;
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        });
    }
    let mut latencies = Vec::with_capacity(args.votes);
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done??);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);

    // The rules still hold at the end of the load: voter 0 has used its first day, and a vote for a
    // candidate it has not voted for that day (its candidates are multiples of 4) is refused by the
    // daily limit itself, not by the one-vote-per-candidate rule.
    debug_assert!((0..VOTES_PER_DAY).all(|j| slot(j * args.voters, args.voters) != (0, 0, 1)));
    let refused = db.cast_vote(&poll, candidates[1], voter_ids[0], today).await;
    let refusal_ok = matches!(&refused, Err(kejiyun_db::Error::Domain(e)) if e.code == Code::DailyVoteLimit);

    let mut reads = Vec::with_capacity(STANDINGS_READS);
    for _ in 0..STANDINGS_READS {
        let t = Instant::now();
        let p = db.poll(poll_id, today).await?.context("poll")?;
        let standings = db.poll_candidates(poll_id).await?;
        reads.push(t.elapsed().as_secs_f64() * 1000.0);
        debug_assert!(p.phase == PollPhase::Open && standings.len() == CANDIDATES);
    }
    reads.sort_by(f64::total_cmp);
    let counted: i64 = db.counted_votes(poll_id).await?.iter().map(|(_, n)| n).sum();
    let counters: i64 = db.poll_candidates(poll_id).await?.iter().map(|c| c.vote_count).sum();
    let consistent = refusal_ok && counted == args.votes as i64 && counters == counted;
    println!(
        "votes={} seconds={seconds:.1} votes_per_s={:.0} p50_ms={:.2} p99_ms={:.2} standings_p50_ms={:.2} \
         standings_p99_ms={:.2} daily_limit_refused={refusal_ok} consistent={consistent}",
        args.votes,
        args.votes as f64 / seconds,
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&reads, 50.0),
        percentile(&reads, 99.0),
    );
    db.close().await;
    if !consistent {
        bail!("inconsistent: {counted} vote rows, {counters} counted on candidates, refusal {refusal_ok}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_never_repeat_a_candidate_for_a_voter_on_a_day() {
        let voters = 7;
        let mut seen = std::collections::HashSet::new();
        for i in 0..voters * VOTES_PER_DAY * 3 {
            let (voter, day, candidate) = slot(i, voters);
            assert!(candidate < CANDIDATES);
            assert!(seen.insert((voter, day, candidate)), "vote {i} repeats {voter}/{day}/{candidate}");
        }
        let per_day = (0..voters * VOTES_PER_DAY).filter(|i| slot(*i, voters).1 == 0).count();
        assert_eq!(per_day, voters * VOTES_PER_DAY, "each voter fills a day before the next");
    }
}
