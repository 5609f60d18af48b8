//! Brute-force protection rules: after too many failures within a window, a key (an account, an
//! address) is locked for a while; and quotas (`Gcra`): so many requests at once, refilled over a
//! period. Pure state transitions; the server keeps the states (in memory on one node, in the
//! database's `throttle` table when several nodes share one PostgreSQL database, whose statements
//! compute exactly these transitions).

use std::time::Duration;

use crate::error::Error;

/// How many failures within `window` lock a key, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub max_failures: u32,
    pub window: Duration,
    pub lock_for: Duration,
}

/// Failures of one key. Times are milliseconds since the epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub first_at: i64,
    pub locked_until: i64,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Rule {
    /// `Err(seconds to wait)` while the key is locked.
    pub fn check(&self, f: &Failures, now: i64) -> Result<(), u64> {
        if f.locked_until > now { Err(((f.locked_until - now) as u64).div_ceil(1000)) } else { Ok(()) }
    }

    /// The state after one more failure at `now`: a new window when the old one is over, and a
    /// lock once the count reaches the limit.
    pub fn fail(&self, f: Failures, now: i64) -> Failures {
        let mut next = if now - f.first_at > ms(self.window) || f.locked_until != 0 && f.locked_until <= now {
            Failures { count: 0, first_at: now, locked_until: 0 }
        } else {
            f
        };
        next.count += 1;
        if next.count >= self.max_failures {
            next.locked_until = now + ms(self.lock_for);
        }
        next
    }

    /// Whether a state can be forgotten (no lock, window over).
    pub fn is_stale(&self, f: &Failures, now: i64) -> bool {
        f.locked_until <= now && now - f.first_at > ms(self.window)
    }

    /// How long after a failure its state may still matter: a state last failed at `t` is stale
    /// by `t + forget_after_ms()` (its window began at or before `t`, its lock ends at the latest
    /// `lock_for` after `t`).
    pub fn forget_after_ms(&self) -> i64 {
        ms(self.window).max(ms(self.lock_for))
    }
}

/// A quota as the generic cell rate algorithm computes it (GCRA, as in the `governor` crate):
/// `burst` requests at once, then one more each `emission_ms` (the period divided by the burst).
/// A key's whole state is one time, its theoretical arrival time (`tat`); a key without a state,
/// or whose `tat` has passed, has its full burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    pub emission_ms: i64,
    /// How far `tat` may run ahead of now for a request to pass: `emission_ms × (burst − 1)`.
    pub tolerance_ms: i64,
}

impl Gcra {
    /// `burst` per `period`; `None` when `burst` is 0 (no limit).
    pub fn new(burst: u32, period: Duration) -> Option<Gcra> {
        let burst = i64::from(burst);
        if burst == 0 {
            return None;
        }
        let emission_ms = (ms(period) / burst).max(1);
        Some(Gcra { emission_ms, tolerance_ms: emission_ms.saturating_mul(burst - 1) })
    }

    /// One more request at `now` against the state `tat`: `Ok(next tat)` when it passes,
    /// `Err(milliseconds to wait)` when the quota is used up.
    pub fn take(&self, tat: Option<i64>, now: i64) -> Result<i64, u64> {
        let tat = tat.unwrap_or(now);
        let earliest = tat - self.tolerance_ms;
        if now < earliest { Err((earliest - now) as u64) } else { Ok(tat.max(now) + self.emission_ms) }
    }
}

/// The error shown while an account or address is locked.
pub fn locked(secs: u64) -> Error {
    let minutes = secs.div_ceil(60);
    Error::rate_limited(format!("登录失败次数过多，请在{minutes}分钟后再试"), secs)
}

/// The key quotas and lockouts count a client address under: an IPv6 client is its /64 (one
/// subscriber's network; a client holds a whole /64 and could otherwise take a new quota per
/// address), an IPv4 address mapped into IPv6 is that IPv4 address.
pub fn address_key(ip: std::net::IpAddr) -> std::net::IpAddr {
    use std::net::IpAddr;
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ipv6_clients_count_by_their_64() {
        use super::address_key;
        let key = |s: &str| address_key(s.parse().unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]))).to_string();
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::2"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::");
        assert_eq!(key("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(key("192.0.2.1"), "192.0.2.1");
    }

    use super::*;

    const RULE: Rule = Rule { max_failures: 3, window: Duration::from_secs(60), lock_for: Duration::from_secs(300) };

    #[test]
    fn locks_after_the_limit_and_unlocks_later() {
        let mut f = Failures::default();
        for t in [1_000, 2_000] {
            f = RULE.fail(f, t);
            assert!(RULE.check(&f, t).is_ok());
        }
        f = RULE.fail(f, 3_000);
        assert_eq!(RULE.check(&f, 3_000), Err(300));
        assert_eq!(RULE.check(&f, 302_500), Err(1));
        assert!(RULE.check(&f, 303_000).is_ok());
        // After the lock a new window starts: one failure does not lock again.
        f = RULE.fail(f, 304_000);
        assert_eq!(f.count, 1);
        assert!(RULE.check(&f, 304_000).is_ok());
    }

    #[test]
    fn failures_spread_beyond_the_window_never_lock() {
        let mut f = Failures::default();
        for t in [0, 61_000, 122_000, 183_000] {
            f = RULE.fail(f, t);
            assert!(RULE.check(&f, t).is_ok(), "{f:?}");
        }
        assert!(RULE.is_stale(&f, 183_000 + 61_000));
        assert_eq!(locked(61).retry_after_secs, Some(61));
        assert!(locked(61).message.contains("2分钟"));
        assert_eq!(RULE.forget_after_ms(), 300_000);
    }

    #[test]
    fn a_quota_passes_its_burst_then_one_per_emission() {
        assert_eq!(Gcra::new(0, Duration::from_secs(60)), None);
        let q = Gcra::new(3, Duration::from_secs(60)).unwrap();
        assert_eq!(q, Gcra { emission_ms: 20_000, tolerance_ms: 40_000 });
        let mut tat = None;
        for _ in 0..3 {
            tat = Some(q.take(tat, 1_000).unwrap());
        }
        assert_eq!(tat, Some(61_000));
        assert_eq!(q.take(tat, 1_000), Err(20_000));
        assert_eq!(q.take(tat, 20_999), Err(1));
        // One request back after one emission interval, not the whole burst.
        tat = Some(q.take(tat, 21_000).unwrap());
        assert_eq!(q.take(tat, 21_000), Err(20_000));
        // A key idle for the whole period is full again, as if it had no state.
        assert_eq!(q.take(tat, 200_000), q.take(None, 200_000));
        // A burst of 1 refuses the second request until the period has passed.
        let one = Gcra::new(1, Duration::from_secs(10)).unwrap();
        assert_eq!(one.take(Some(one.take(None, 0).unwrap()), 0), Err(10_000));
    }
}
