//! Item create/update bodies: arbitrary bytes as JSON `ItemInput`, applied to each kind, onto an
//! empty item (create) and onto a complete one (update). Never a panic; a refusal is a 4xx naming
//! its field with a Chinese message; an accepted item meets every documented limit, and
//! validating it again changes nothing.
#![no_main]

use kejiyun_domain::item::{ContactVisibility, ItemContent};
use kejiyun_domain::{AmountWan, ItemInput, ItemKind, regions};
use kejiyun_fuzz::{assert_field_error, assert_optional_text, assert_required_text, assert_tag_list, today};
use libfuzzer_sys::fuzz_target;

fn bases() -> [ItemContent; 2] {
    let empty = ItemContent { region_code: "510321".into(), ..Default::default() };
    let complete = ItemContent {
        title: "白酒丢糟饲料化处理".into(),
        description: "每天产生大量白酒糟，堆放发臭，希望找到饲料化或资源化利用的办法。".into(),
        industry: Some("白酒".into()),
        keywords: vec!["丢糟".into(), "饲料".into()],
        region_code: "510300".into(),
        amount_min_wan: AmountWan::parse("5").ok(),
        amount_max_wan: AmountWan::parse("20.5").ok(),
        ..Default::default()
    };
    [empty, complete]
}

fn check_accepted(kind: ItemKind, input: &ItemInput, base: &ItemContent, c: &ItemContent) {
    let ctx = format!("{kind:?}");
    assert_required_text(&c.title, 4, 100, &format!("{ctx} title"));
    assert_required_text(&c.description, 10, 5000, &format!("{ctx} description"));
    assert_optional_text(c.industry.as_deref(), 30, &format!("{ctx} industry"));
    assert_optional_text(c.discipline.as_deref(), 30, &format!("{ctx} discipline"));
    assert_optional_text(c.registration_no.as_deref(), 40, &format!("{ctx} registration_no"));
    assert_tag_list(&c.keywords, 10, 20, &format!("{ctx} keywords"));
    assert_tag_list(&c.fields, 10, 30, &format!("{ctx} fields"));
    assert!(regions().get(&c.region_code).is_some(), "{ctx}: unknown region accepted: {:?}", c.region_code);
    for (i, code) in c.service_area.iter().enumerate() {
        assert!(regions().get(code).is_some(), "{ctx}: unknown service area accepted: {code:?}");
        assert!(!c.service_area[..i].contains(code), "{ctx}: duplicate service area {code:?}");
    }
    for (i, m) in c.modes.iter().enumerate() {
        assert!(kind.allowed_modes().contains(m), "{ctx}: mode {m:?} not allowed");
        assert!(!c.modes[..i].contains(m), "{ctx}: duplicate mode {m:?}");
    }
    if let (Some(a), Some(b)) = (c.amount_min_wan, c.amount_max_wan) {
        assert!(a <= b, "{ctx}: amount range reversed: {a} > {b}");
    }
    if input.deadline.is_some() {
        assert!(c.deadline.is_some_and(|d| d >= today()), "{ctx}: past deadline accepted: {:?}", c.deadline);
    }
    // Fields of other kinds are refused, never silently kept.
    let foreign = match kind {
        ItemKind::Need => {
            assert!(c.contact_visibility.is_some(), "{ctx}: need without contact visibility");
            input.discipline.is_some()
                || input.fields.is_some()
                || input.service_area.is_some()
                || input.availability.is_some()
                || input.achievement_type.is_some()
                || input.registration_no.is_some()
                || input.maturity.is_some()
        }
        ItemKind::Capability => {
            input.deadline.is_some()
                || input.contact_visibility.is_some()
                || input.achievement_type.is_some()
                || input.registration_no.is_some()
                || input.maturity.is_some()
        }
        ItemKind::Achievement => {
            input.deadline.is_some()
                || input.contact_visibility.is_some()
                || input.discipline.is_some()
                || input.fields.is_some()
                || input.service_area.is_some()
                || input.availability.is_some()
        }
    };
    assert!(!foreign, "{ctx}: a field of another kind was accepted: {input:?}");
    if kind != ItemKind::Need {
        assert_eq!(c.contact_visibility, base.contact_visibility, "{ctx}: contact visibility set on a non-need");
    } else if input.contact_visibility.is_none() && base.contact_visibility.is_none() {
        assert_eq!(c.contact_visibility, Some(ContactVisibility::Matched), "{ctx}: default contact visibility");
    }

    // What apply() accepted is a fixed point: validating it again (an empty update) keeps it.
    let again = ItemInput::default().apply(kind, c.clone(), today());
    assert_eq!(again.as_ref(), Ok(c), "{ctx}: accepted content does not validate again");
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<ItemInput>(data) else {
        // The HTTP layer answers a body serde refuses with 400 invalid_body.
        return;
    };
    for kind in ItemKind::ALL.iter().copied() {
        for base in bases() {
            match input.clone().apply(kind, base.clone(), today()) {
                Ok(c) => check_accepted(kind, &input, &base, &c),
                Err(e) => assert_field_error(&e, &format!("{kind:?} apply")),
            }
        }
    }
});
