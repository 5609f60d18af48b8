//! Abuse limits (GCRA quotas from the `governor` crate): registrations, searches and votes per
//! client address, publishing per account. Over a quota the caller gets 429 with `Retry-After`.
//! Kept in process memory, like the login guard: with several processes each enforces its own.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use kejiyun_domain::Error;

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

impl Default for RateRules {
    fn default() -> Self {
        RateRules {
            registration: Rate::per(10, Duration::from_secs(3600)),
            publishing: Rate::per(30, Duration::from_secs(3600)),
            search: Rate::per(200, Duration::from_secs(10)),
            voting: Rate::per(60, Duration::from_secs(60)),
        }
    }
}

pub struct Limits {
    registration: Option<DefaultKeyedRateLimiter<IpAddr>>,
    publishing: Option<DefaultKeyedRateLimiter<i64>>,
    search: Option<DefaultKeyedRateLimiter<IpAddr>>,
    voting: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(RateRules::default())
    }
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: &Option<DefaultKeyedRateLimiter<K>>,
    key: &K,
    what: &str,
) -> Result<(), Error> {
    let Some(limiter) = limiter else { return Ok(()) };
    if limiter.len() > 100_000 {
        // Keys that are full again carry no state worth keeping.
        limiter.retain_recent();
    }
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Error::rate_limited(format!("{what}过于频繁，请{secs}秒后再试"), secs)
    })
}

impl Limits {
    pub fn new(rules: RateRules) -> Limits {
        Limits {
            registration: rules.registration.quota().map(RateLimiter::keyed),
            publishing: rules.publishing.quota().map(RateLimiter::keyed),
            search: rules.search.quota().map(RateLimiter::keyed),
            voting: rules.voting.quota().map(RateLimiter::keyed),
        }
    }

    pub fn registration(&self, address: Option<IpAddr>) -> Result<(), Error> {
        address.map_or(Ok(()), |a| check(&self.registration, &a, "注册"))
    }

    pub fn publishing(&self, user_id: i64) -> Result<(), Error> {
        check(&self.publishing, &user_id, "发布")
    }

    pub fn search(&self, address: Option<IpAddr>) -> Result<(), Error> {
        address.map_or(Ok(()), |a| check(&self.search, &a, "检索"))
    }

    pub fn voting(&self, address: Option<IpAddr>) -> Result<(), Error> {
        address.map_or(Ok(()), |a| check(&self.voting, &a, "投票"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_its_quota_waits_and_others_do_not() {
        let limits = Limits::new(RateRules {
            registration: Rate::per(2, Duration::from_secs(3600)),
            publishing: Rate::per(0, Duration::from_secs(1)),
            search: Rate::per(1, Duration::from_secs(60)),
            voting: Rate::per(3, Duration::from_secs(60)),
        });
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        assert!(limits.registration(Some(a)).is_ok());
        assert!(limits.registration(Some(a)).is_ok());
        let refused = limits.registration(Some(a)).err().map(|e| (e.status(), e.retry_after_secs));
        assert!(matches!(refused, Some((429, Some(secs))) if secs > 1000 && secs <= 1800), "{refused:?}");
        assert!(limits.registration(Some(b)).is_ok(), "another address has its own quota");
        assert!(limits.registration(None).is_ok(), "unknown addresses are not limited");
        for _ in 0..1000 {
            assert!(limits.publishing(7).is_ok(), "burst 0 switches the limit off");
        }
        assert!(limits.search(Some(a)).is_ok());
        assert_eq!(limits.search(Some(a)).err().map(|e| e.status()), Some(429));
        for _ in 0..3 {
            assert!(limits.voting(Some(b)).is_ok());
        }
        let refused = limits.voting(Some(b)).err().map(|e| (e.status(), e.retry_after_secs));
        assert!(matches!(refused, Some((429, Some(secs))) if (1..=20).contains(&secs)), "{refused:?}");
        assert!(limits.voting(Some(a)).is_ok(), "votes are counted per address");
    }
}
