//! Helpers shared by the fuzz targets: the invariants every refusal must meet.

use chrono::NaiveDate;
use kejiyun_domain::Error;

/// Whether `text` contains a CJK ideograph (the messages people read are Chinese).
pub fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// A refusal must be a client error (4xx, never a 500) with a Chinese message.
#[track_caller]
pub fn assert_clear_4xx(e: &Error, context: &str) {
    assert!((400..500).contains(&e.status()), "{context}: refusal is not a 4xx: {e:?}");
    assert!(has_chinese(&e.message), "{context}: refusal without a Chinese message: {e:?}");
}

/// A refusal of one input field: a clear 4xx that names the field.
#[track_caller]
pub fn assert_field_error(e: &Error, context: &str) {
    assert_clear_4xx(e, context);
    assert!(e.field.is_some(), "{context}: field refusal without a field: {e:?}");
}

/// A plain-text refusal (`Result<_, &'static str>` validators): non-empty Chinese.
#[track_caller]
pub fn assert_clear_message(message: &str, context: &str) {
    assert!(has_chinese(message), "{context}: refusal without a Chinese message: {message:?}");
}

/// The China date the targets validate against.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
}

/// What `required_text` guarantees of an accepted text: trimmed, `min..=max` characters, no
/// control characters except line breaks and tabs.
#[track_caller]
pub fn assert_required_text(value: &str, min: usize, max: usize, context: &str) {
    let n = value.chars().count();
    assert!((min..=max).contains(&n), "{context}: {n} characters, expected {min}..={max}: {value:?}");
    assert_eq!(value, value.trim(), "{context}: not trimmed");
    assert!(
        !value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')),
        "{context}: control character accepted: {value:?}"
    );
}

/// What `optional_text` guarantees: absent, or trimmed, non-empty and at most `max` characters.
#[track_caller]
pub fn assert_optional_text(value: Option<&str>, max: usize, context: &str) {
    if let Some(v) = value {
        assert!(!v.is_empty(), "{context}: empty text kept instead of None");
        assert_eq!(v, v.trim(), "{context}: not trimmed");
        assert!(v.chars().count() <= max, "{context}: longer than {max} characters: {v:?}");
    }
}

/// What `tag_list` guarantees: at most `max_items` distinct, trimmed, non-empty tags of at most
/// `max_chars` characters.
#[track_caller]
pub fn assert_tag_list(tags: &[String], max_items: usize, max_chars: usize, context: &str) {
    assert!(tags.len() <= max_items, "{context}: {} tags, at most {max_items}", tags.len());
    for (i, t) in tags.iter().enumerate() {
        assert!(!t.is_empty() && t == t.trim(), "{context}: tag not trimmed or empty: {t:?}");
        assert!(t.chars().count() <= max_chars, "{context}: tag longer than {max_chars}: {t:?}");
        assert!(!tags[..i].contains(t), "{context}: duplicate tag {t:?}");
    }
}
