//! Synonym lists: arbitrary text as a synonym file (`Synonyms::parse`, the shipped list's format),
//! as a group an admin adds (`synonyms::validate_group`) and as a text to expand. Never a panic;
//! a refused group is a 4xx naming its field with a Chinese message; an accepted group has 2–20
//! distinct terms of 1–20 characters without control characters; expansions are bounded, new
//! and distinct.
#![no_main]

use std::sync::LazyLock;

use kejiyun_domain::synonyms::{Synonyms, validate_group};
use kejiyun_fuzz::assert_field_error;
use libfuzzer_sys::fuzz_target;

static SHIPPED: LazyLock<Synonyms> = LazyLock::new(Synonyms::shipped);

fn check_expansion(list: &Synonyms, text: &str) {
    let out = list.expand(text);
    assert!(out.len() <= 40, "{} expansions", out.len());
    let lower = text.to_lowercase();
    for (i, term) in out.iter().enumerate() {
        assert!(!out[..i].contains(term), "duplicate expansion {term:?}");
        assert!(!lower.contains(&term.to_lowercase()), "expanded with {term:?}, already in the text");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let list = Synonyms::parse(text);
    for group in list.groups() {
        assert!(group.len() >= 2, "a group of one: {group:?}");
        for (i, t) in group.iter().enumerate() {
            assert!(!t.is_empty() && !t.contains(char::is_whitespace), "term {t:?}");
            assert!(!group[..i].contains(t), "duplicate term {t:?}");
        }
    }
    let terms: Vec<String> = text.split('\n').map(str::to_string).collect();
    match validate_group(&terms) {
        Ok(group) => {
            assert!((2..=20).contains(&group.len()), "{} terms", group.len());
            for (i, t) in group.iter().enumerate() {
                assert!((1..=20).contains(&t.chars().count()), "term {t:?}");
                assert!(!t.chars().any(char::is_control), "control character in {t:?}");
                assert!(!group[..i].contains(t), "duplicate term {t:?}");
            }
            check_expansion(&Synonyms::default().with_groups([group]), text);
        }
        Err(e) => assert_field_error(&e, "group"),
    }
    check_expansion(&SHIPPED, text);
    check_expansion(&list, text);
});
