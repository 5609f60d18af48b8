//! Login brute-force protection: failures are counted per account and per client address (an IPv6
//! client by its /64). An account over its limit is locked for a while (429 with Retry-After),
//! whatever password it then sends. An address over its limit only slows: its attempts wait a
//! second before the password is checked and its wrong passwords are answered 429 with
//! Retry-After, but a right password still signs in, so strangers failing from a shared address
//! (a campus, a proxy) cannot lock out a user whose own account is under its limit.
//! On PostgreSQL the counts live in the database's `throttle` table, so every node behind a load
//! balancer sees the same counts and locks (one atomic upsert per failure, one read per attempt).
//! On SQLite (one node) they live in process memory. The rules are `kejiyun_domain::throttle`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use kejiyun_db::{Backend, Db};
use kejiyun_domain::Error;
use kejiyun_domain::throttle::{Failures, Rule, address_key as address_of, locked};
use kejiyun_domain::time::{now, to_millis};
use sha2::{Digest, Sha256};

use crate::platform::from_db;

#[derive(Debug, Clone, Copy)]
pub struct LoginRules {
    pub per_account: Rule,
    pub per_address: Rule,
}

impl Default for LoginRules {
    fn default() -> Self {
        use crate::platform::config::defaults::{ACCOUNT_FAILURES, ADDRESS_FAILURES, LOCKOUT_MINUTES};
        let minutes = Duration::from_secs(LOCKOUT_MINUTES * 60);
        LoginRules {
            per_account: Rule { max_failures: ACCOUNT_FAILURES, window: minutes, lock_for: minutes },
            per_address: Rule { max_failures: ADDRESS_FAILURES, window: minutes, lock_for: minutes },
        }
    }
}

#[derive(Default)]
pub struct LoginGuard {
    rules: LoginRules,
    store: Store,
}

/// Where the counts live.
enum Store {
    /// One process: maps in memory.
    Memory { accounts: Mutex<HashMap<String, Failures>>, addresses: Mutex<HashMap<IpAddr, Failures>> },
    /// All nodes on one PostgreSQL database: the `throttle` table.
    Shared(Db),
}

impl Default for Store {
    fn default() -> Self {
        Store::Memory { accounts: Mutex::default(), addresses: Mutex::default() }
    }
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

/// The account a login names: trimmed, case-folded.
fn account(username: &str) -> String {
    username.trim().to_lowercase()
}

/// The account's row key. Names longer than any account's (3–32 characters) are hashed, so a
/// huge name in a login attempt makes a short key.
fn account_key(account: &str) -> String {
    if account.len() <= 64 {
        format!("login:account:{account}")
    } else {
        format!("login:account:sha256:{}", hex::encode(Sha256::digest(account.as_bytes())))
    }
}

fn address_key(ip: IpAddr) -> String {
    format!("login:address:{ip}")
}

impl LoginGuard {
    /// Counts in process memory (one node).
    pub fn new(rules: LoginRules) -> Self {
        LoginGuard { rules, ..Default::default() }
    }

    /// Counts shared through the database on PostgreSQL, in memory on SQLite.
    pub fn for_db(rules: LoginRules, db: &Db) -> Self {
        match db.backend() {
            Backend::Postgres => LoginGuard { rules, store: Store::Shared(db.clone()) },
            Backend::Sqlite => LoginGuard::new(rules),
        }
    }

    /// Refuses an attempt while the account is locked; `Ok(Some(seconds))` while the address is
    /// over its limit (the attempt is slowed, see the module).
    pub async fn check(&self, username: &str, address: Option<IpAddr>) -> Result<Option<u64>, Error> {
        let t = to_millis(now());
        let name = account(username);
        let address = address.map(address_of);
        let (account, addr) = match &self.store {
            Store::Memory { accounts, addresses } => (
                with(accounts, |m| m.get(&name).copied()).unwrap_or_default(),
                address.and_then(|ip| with(addresses, |m| m.get(&ip).copied())).unwrap_or_default(),
            ),
            Store::Shared(db) => {
                let mut keys = vec![account_key(&name)];
                keys.extend(address.map(address_key));
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                let states = db.failures(&keys).await.map_err(from_db)?;
                (states.first().copied().unwrap_or_default(), states.get(1).copied().unwrap_or_default())
            }
        };
        self.rules.per_account.check(&account, t).map_err(locked)?;
        Ok(self.rules.per_address.check(&addr, t).err())
    }

    pub async fn failed(&self, username: &str, address: Option<IpAddr>) {
        let t = to_millis(now());
        let name = account(username);
        let address = address.map(address_of);
        match &self.store {
            Store::Memory { accounts, addresses } => {
                record(accounts, name, self.rules.per_account, t);
                if let Some(ip) = address {
                    record(addresses, ip, self.rules.per_address, t);
                }
            }
            Store::Shared(db) => {
                let mut writes = vec![(account_key(&name), self.rules.per_account)];
                writes.extend(address.map(|ip| (address_key(ip), self.rules.per_address)));
                for (key, rule) in writes {
                    if let Err(e) = db.record_failure(&key, &rule, t).await {
                        tracing::error!(error = %e, "login failure not counted");
                    }
                }
            }
        }
    }

    /// A successful login clears the account's count (not the address's).
    pub async fn succeeded(&self, username: &str) {
        let name = account(username);
        match &self.store {
            Store::Memory { accounts, .. } => {
                with(accounts, |m| m.remove(&name));
            }
            Store::Shared(db) => {
                if let Err(e) = db.clear_throttle(&account_key(&name)).await {
                    tracing::error!(error = %e, "login failures not cleared");
                }
            }
        }
    }
}
