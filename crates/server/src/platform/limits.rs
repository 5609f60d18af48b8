//! Abuse limits (GCRA quotas): registrations, searches and votes per client address, publishing
//! per account (an IPv6 client counts by its /64). Over a quota the caller gets 429 with `Retry-After`.
//!
//! Where the counts live:
//! - On PostgreSQL every quota is shared by all nodes through the database's `throttle` table (one
//!   atomic upsert per request, `Db::take_quota`, computing `kejiyun_domain::throttle::Gcra`), so a
//!   quota spent on one node is spent on all, and an address gets its quota once whatever the number
//!   of nodes. The table is UNLOGGED: an upsert there writes no WAL and waits for no flush, so even
//!   search, the hottest route, pays one short round trip. One address hammering the platform
//!   serialises on its own row, which is what a quota is for; other addresses have their own rows.
//! - On SQLite (one node) every quota is in memory (the `governor` crate).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use kejiyun_db::throttle::Quota as SharedQuota;
use kejiyun_db::{Backend, Db};
use kejiyun_domain::Error;
use kejiyun_domain::throttle::{Gcra, address_key};
use kejiyun_domain::time::{now, to_millis};

use crate::platform::from_db;

/// `burst` requests at once, refilled at `burst` per `period`. `burst = 0` switches a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub period: Duration,
}

impl Rate {
    pub const fn per(burst: u32, period: Duration) -> Rate {
        Rate { burst, period }
    }

    fn quota(self) -> Option<Quota> {
        let burst = NonZeroU32::new(self.burst)?;
        let replenish = self.period / self.burst;
        Quota::with_period(replenish.max(Duration::from_nanos(1))).map(|q| q.allow_burst(burst))
    }

    /// The same quota for the shared table (the same GCRA as `governor`'s); `None` when off.
    fn cells(self) -> Option<Gcra> {
        Gcra::new(self.burst, self.period)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RateRules {
    /// New accounts per client address.
    pub registration: Rate,
    /// Items created per account.
    pub publishing: Rate,
    /// Searches and match lists per client address.
    pub search: Rate,
    /// Votes per client address (on top of each poll's per-voter daily rule), against ballot stuffing
    /// with many accounts from one machine.
    pub voting: Rate,
}

pub struct Limits {
    registration: Limit<IpAddr>,
    publishing: Limit<i64>,
    search: Limit<IpAddr>,
    voting: Limit<IpAddr>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(RateRules::default())
    }
}

/// One quota and where its counts live.
enum Limit<K: std::hash::Hash + Eq + Clone> {
    Off,
    Memory(DefaultKeyedRateLimiter<K>),
    /// Rows `quota:<name>:<key>` of the `throttle` table.
    Shared {
        db: Db,
        name: &'static str,
        cells: Gcra,
    },
}

impl<K: std::hash::Hash + Eq + Clone + std::fmt::Display> Limit<K> {
    fn memory(rate: Rate) -> Self {
        rate.quota().map_or(Limit::Off, |q| Limit::Memory(RateLimiter::keyed(q)))
    }

    /// Shared on PostgreSQL, in memory on SQLite.
    fn for_db(rate: Rate, db: &Db, name: &'static str) -> Self {
        match (db.backend(), rate.cells()) {
            (Backend::Postgres, Some(cells)) => Limit::Shared { db: db.clone(), name, cells },
            _ => Limit::memory(rate),
        }
    }

    /// Counts one request of `key` in memory.
    fn check_here(&self, key: &K, what: &str) -> Result<(), Error> {
        let Limit::Memory(limiter) = self else { return Ok(()) };
        if limiter.len() > 100_000 {
            // Keys that are full again carry no state worth keeping.
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            refused(what, wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        })
    }

    async fn check(&self, key: &K, what: &str) -> Result<(), Error> {
        let Limit::Shared { db, name, cells } = self else { return self.check_here(key, what) };
        let row = format!("quota:{name}:{key}");
        match db.take_quota(&row, cells, to_millis(now())).await.map_err(from_db)? {
            SharedQuota::Taken => Ok(()),
            SharedQuota::Exhausted { retry_after_ms } => Err(refused(what, retry_after_ms.div_ceil(1000))),
        }
    }
}

fn refused(what: &str, secs: u64) -> Error {
    Error::rate_limited(format!("{what}过于频繁，请{secs}秒后再试"), secs)
}

impl Limits {
    /// Every quota in process memory (one node).
    pub fn new(rules: RateRules) -> Limits {
        Limits {
            registration: Limit::memory(rules.registration),
            publishing: Limit::memory(rules.publishing),
            search: Limit::memory(rules.search),
            voting: Limit::memory(rules.voting),
        }
    }

    /// Every quota shared through the database on PostgreSQL, in memory on SQLite.
    pub fn for_db(rules: RateRules, db: &Db) -> Limits {
        Limits {
            registration: Limit::for_db(rules.registration, db, "registration"),
            publishing: Limit::for_db(rules.publishing, db, "publishing"),
            search: Limit::for_db(rules.search, db, "search"),
            voting: Limit::for_db(rules.voting, db, "voting"),
        }
    }

    pub async fn registration(&self, address: Option<IpAddr>) -> Result<(), Error> {
        let Some(a) = address else { return Ok(()) };
        self.registration.check(&address_key(a), "注册").await
    }

    pub async fn publishing(&self, user_id: i64) -> Result<(), Error> {
        self.publishing.check(&user_id, "发布").await
    }

    pub async fn search(&self, address: Option<IpAddr>) -> Result<(), Error> {
        let Some(a) = address else { return Ok(()) };
        self.search.check(&address_key(a), "检索").await
    }

    pub async fn voting(&self, address: Option<IpAddr>) -> Result<(), Error> {
        let Some(a) = address else { return Ok(()) };
        self.voting.check(&address_key(a), "投票").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_over_its_quota_waits_and_others_do_not() {
        let limits = Limits::new(RateRules {
            registration: Rate::per(2, Duration::from_secs(3600)),
            publishing: Rate::per(0, Duration::from_secs(1)),
            search: Rate::per(1, Duration::from_secs(60)),
            voting: Rate::per(3, Duration::from_secs(60)),
        });
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        assert!(limits.registration(Some(a)).await.is_ok());
        assert!(limits.registration(Some(a)).await.is_ok());
        let refused = limits.registration(Some(a)).await.err().map(|e| (e.status(), e.retry_after_secs));
        assert!(matches!(refused, Some((429, Some(secs))) if secs > 1000 && secs <= 1800), "{refused:?}");
        assert!(limits.registration(Some(b)).await.is_ok(), "another address has its own quota");
        assert!(limits.registration(None).await.is_ok(), "unknown addresses are not limited");
        for _ in 0..1000 {
            assert!(limits.publishing(7).await.is_ok(), "burst 0 switches the limit off");
        }
        assert!(limits.search(Some(a)).await.is_ok());
        assert_eq!(limits.search(Some(a)).await.err().map(|e| e.status()), Some(429));
        for _ in 0..3 {
            assert!(limits.voting(Some(b)).await.is_ok());
        }
        let refused = limits.voting(Some(b)).await.err().map(|e| (e.status(), e.retry_after_secs));
        assert!(matches!(refused, Some((429, Some(secs))) if (1..=20).contains(&secs)), "{refused:?}");
        assert!(limits.voting(Some(a)).await.is_ok(), "votes are counted per address");
    }
}
