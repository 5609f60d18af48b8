//! The audit log's rules: what one record holds, and the hash chain that makes the log
//! tamper-evident. Each record's hash is SM3 (GM/T 0004-2012, the 国密 hash) over the previous
//! record's hash and this record's fields in a fixed encoding, so altering, removing or reordering
//! any record breaks every hash after it; `verify` names the first record that does not match.

use serde::Serialize;
use sm3::{Digest, Sm3};

/// The `prev_hash` of the first record of the chain.
pub const GENESIS: &str = "";

/// Results a record may carry.
pub const OK: &str = "ok";
pub const FAILED: &str = "failed";
pub const REFUSED: &str = "refused";

/// The fields of one record that its hash covers (everything but its id and its hashes).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Sealed<'a> {
    pub at: i64,
    pub actor_id: Option<i64>,
    pub address: Option<&'a str>,
    pub entity: &'a str,
    pub entity_id: i64,
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub result: &'a str,
    pub region_code: Option<&'a str>,
}

/// The hash of a record whose predecessor's hash is `prev` (hex, lower case).
pub fn chain_hash(prev: &str, record: &Sealed<'_>) -> String {
    // A JSON array: fixed order, every string escaped, so no two records encode alike.
    let fields = serde_json::json!([
        record.at,
        record.actor_id,
        record.address,
        record.entity,
        record.entity_id,
        record.action,
        record.from_status,
        record.to_status,
        record.detail,
        record.result,
        record.region_code,
    ]);
    let mut h = Sm3::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(fields.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// Where a chain first goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The record's `prev_hash` is not the hash of the record before it (one was removed, inserted
    /// or reordered, or a hash was rewritten).
    Link { id: i64 },
    /// The record's fields do not give its hash (the record was altered).
    Content { id: i64 },
}

/// Checks records in id order, each `(id, prev_hash, hash, fields)`. `Ok(n)` with the number checked.
pub fn verify<'a>(records: impl IntoIterator<Item = (i64, &'a str, &'a str, Sealed<'a>)>) -> Result<u64, Break> {
    let mut prev = GENESIS.to_string();
    let mut n = 0;
    for (id, prev_hash, hash, fields) in records {
        if prev_hash != prev {
            return Err(Break::Link { id });
        }
        if chain_hash(prev_hash, &fields) != hash {
            return Err(Break::Content { id });
        }
        prev = hash.to_string();
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(action: &'static str) -> Sealed<'static> {
        Sealed {
            at: 1_700_000_000_000,
            actor_id: Some(7),
            address: Some("203.0.113.5"),
            entity: "user",
            entity_id: 7,
            action,
            from_status: None,
            to_status: None,
            detail: Some("登录"),
            result: OK,
            region_code: Some("510104"),
        }
    }

    #[test]
    fn sm3_is_the_standard_one() {
        // GM/T 0004-2012, example 1: SM3("abc").
        assert_eq!(
            hex::encode(Sm3::digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn an_altered_removed_or_reordered_record_breaks_the_chain() {
        let actions = ["login", "logout", "password_change"];
        let mut chain = Vec::new();
        let mut prev = GENESIS.to_string();
        for (i, a) in actions.into_iter().enumerate() {
            let hash = chain_hash(&prev, &record(a));
            chain.push((i as i64 + 1, prev.clone(), hash.clone(), record(a)));
            prev = hash;
        }
        let view = |c: &[(i64, String, String, Sealed<'static>)]| {
            verify(c.iter().map(|(id, p, h, f)| (*id, p.as_str(), h.as_str(), f.clone())))
        };
        assert_eq!(view(&chain), Ok(3));
        let mut altered = chain.clone();
        altered[1].3.detail = Some("改过");
        assert_eq!(view(&altered), Err(Break::Content { id: 2 }));
        let mut removed = chain.clone();
        removed.remove(1);
        assert_eq!(view(&removed), Err(Break::Link { id: 3 }));
        let mut swapped = chain.clone();
        swapped.swap(0, 1);
        assert_eq!(view(&swapped), Err(Break::Link { id: 2 }));
        assert_ne!(chain_hash("", &record("a")), chain_hash("x", &record("a")), "the link is hashed");
    }
}
