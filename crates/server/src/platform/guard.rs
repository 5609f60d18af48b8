//! Login brute-force protection: failures are counted per account and per client address; a key
//! over its limit is locked for a while (429 with Retry-After), whatever password it then sends.
//! Kept in process memory: with several processes each enforces its own count.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use kejiyun_domain::Error;
use kejiyun_domain::throttle::{Failures, Rule, locked};
use kejiyun_domain::time::{now, to_millis};

#[derive(Debug, Clone, Copy)]
pub struct LoginRules {
    pub per_account: Rule,
    pub per_address: Rule,
}

impl Default for LoginRules {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        LoginRules {
            per_account: Rule { max_failures: 5, window: minutes(15), lock_for: minutes(15) },
            per_address: Rule { max_failures: 30, window: minutes(15), lock_for: minutes(15) },
        }
    }
}

#[derive(Default)]
pub struct LoginGuard {
    rules: LoginRules,
    accounts: Mutex<HashMap<String, Failures>>,
    addresses: Mutex<HashMap<IpAddr, Failures>>,
}

fn with<K: std::hash::Hash + Eq, T>(
    map: &Mutex<HashMap<K, Failures>>,
    f: impl FnOnce(&mut HashMap<K, Failures>) -> T,
) -> T {
    match map.lock() {
        Ok(mut m) => f(&mut m),
        Err(poisoned) => f(&mut poisoned.into_inner()),
    }
}

/// Counts one failure of `key`; forgets stale keys when the map grows large.
fn record<K: std::hash::Hash + Eq>(map: &Mutex<HashMap<K, Failures>>, key: K, rule: Rule, t: i64) {
    with(map, |m| {
        let next = rule.fail(m.get(&key).copied().unwrap_or_default(), t);
        m.insert(key, next);
        if m.len() > 100_000 {
            m.retain(|_, f| !rule.is_stale(f, t));
        }
    });
}

impl LoginGuard {
    pub fn new(rules: LoginRules) -> Self {
        LoginGuard { rules, ..Default::default() }
    }

    /// Refuses an attempt while the account or the address is locked.
    pub fn check(&self, username: &str, address: Option<IpAddr>) -> Result<(), Error> {
        let t = to_millis(now());
        let key = username.trim().to_lowercase();
        let account = with(&self.accounts, |m| m.get(&key).copied()).unwrap_or_default();
        self.rules.per_account.check(&account, t).map_err(locked)?;
        if let Some(ip) = address {
            let addr = with(&self.addresses, |m| m.get(&ip).copied()).unwrap_or_default();
            self.rules.per_address.check(&addr, t).map_err(locked)?;
        }
        Ok(())
    }

    pub fn failed(&self, username: &str, address: Option<IpAddr>) {
        let t = to_millis(now());
        record(&self.accounts, username.trim().to_lowercase(), self.rules.per_account, t);
        if let Some(ip) = address {
            record(&self.addresses, ip, self.rules.per_address, t);
        }
    }

    /// A successful login clears the account's count (not the address's).
    pub fn succeeded(&self, username: &str) {
        let key = username.trim().to_lowercase();
        with(&self.accounts, |m| m.remove(&key));
    }
}
