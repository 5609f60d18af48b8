//! Amounts in 万元: arbitrary text through `AmountWan::parse`, and arbitrary bytes as a JSON
//! amount (number or string). Never a panic; a refusal has a Chinese message (the HTTP layer
//! answers it with 422 invalid_amount); an accepted amount is within 0..=1,000,000 万元, exact to
//! the yuan, and round-trips through its text, whole yuan and JSON.
#![no_main]

use kejiyun_domain::{AmountWan, Code, Error};
use kejiyun_fuzz::{assert_clear_4xx, assert_clear_message};
use libfuzzer_sys::fuzz_target;

fn check_accepted(a: AmountWan, context: &str) {
    let yuan = a.to_yuan();
    assert!((0..=10_000_000_000).contains(&yuan), "{context}: {a} is {yuan} yuan, out of range");
    assert_eq!(AmountWan::from_yuan(yuan), a, "{context}: whole-yuan round trip of {a}");
    let text = a.to_string();
    assert_eq!(AmountWan::parse(&text), Ok(a), "{context}: text round trip of {text:?}");
    let json = serde_json::to_string(&a).unwrap_or_else(|e| panic!("{context}: {a} does not serialise: {e}"));
    let back: AmountWan =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{context}: {json} does not read: {e}"));
    assert_eq!(back, a, "{context}: JSON round trip of {json}");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match AmountWan::parse(text) {
            Ok(a) => check_accepted(a, "parse"),
            Err(m) => {
                assert_clear_message(m, "parse");
                assert_clear_4xx(&Error::new(Code::InvalidAmount, m), "parse");
            }
        }
    }
    if let Ok(a) = serde_json::from_slice::<AmountWan>(data) {
        check_accepted(a, "json");
    }
});
