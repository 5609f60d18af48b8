//! Brute-force protection rules: after too many failures within a window, a key (an account, an
//! address) is locked for a while. Pure state transitions; the server keeps the states.

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
}

/// The error shown while an account or address is locked.
pub fn locked(secs: u64) -> Error {
    let minutes = secs.div_ceil(60);
    Error::rate_limited(format!("登录失败次数过多，请在{minutes}分钟后再试"), secs)
}

#[cfg(test)]
mod tests {
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
    }
}
