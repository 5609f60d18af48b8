//! Property tests of the domain's parsers and validators with arbitrary input: they never panic,
//! every refusal is a 4xx with a Chinese message, and what they accept round-trips.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, NaiveDate, Utc};
use kejiyun_domain::service::{OrderInput, OrderType, Period, first_response_due};
use kejiyun_domain::{AmountWan, Error, ItemInput, ItemKind, credit_code, regions};
use proptest::prelude::*;

fn is_clear_4xx(e: &Error) -> bool {
    (400..500).contains(&e.status()) && e.message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

proptest! {
    #[test]
    fn amounts_never_panic_and_round_trip(text in "\\PC{0,24}", digits in "[0-9]{1,6}(\\.[0-9]{1,4})?") {
        let _ = AmountWan::parse(&text);
        let a = AmountWan::parse(&digits).unwrap();
        prop_assert_eq!(AmountWan::from_yuan(a.to_yuan()), a);
        prop_assert_eq!(AmountWan::parse(&a.to_string()).unwrap(), a);
    }

    #[test]
    fn credit_codes_accept_exactly_their_check_character(body in "[0-9A-HJ-NPQRTUWXY]{17}", junk in "\\PC{0,30}") {
        let _ = credit_code::validate(&junk);
        let check = credit_code::check_char(&body).unwrap();
        let good = format!("{body}{check}");
        prop_assert!(credit_code::validate(&good).is_ok());
        for other in "0123456789ABCDEFGHJKLMNPQRTUWXY".chars().filter(|c| *c != check) {
            let bad = format!("{body}{other}");
            prop_assert!(credit_code::validate(&bad).is_err());
        }
    }

    #[test]
    fn unknown_region_codes_are_a_422(code in "\\PC{0,12}") {
        if let Err(e) = regions().require(&code) {
            prop_assert!(is_clear_4xx(&e), "{e:?}");
        }
    }

    #[test]
    fn order_text_is_refused_cleanly(title in "\\PC{0,120}", description in "\\PC{0,40}") {
        let input = OrderInput { order_type: OrderType::Other, title: Some(title), description: Some(description),
            need_id: None, org_id: None };
        if let Err(e) = input.text(None) {
            prop_assert!(is_clear_4xx(&e), "{e:?}");
        }
    }

    #[test]
    fn first_response_falls_within_the_working_days(secs in 1_600_000_000i64..2_000_000_000, days in 1u32..=10) {
        let opened: DateTime<Utc> = DateTime::from_timestamp(secs, 0).unwrap();
        let due = first_response_due(opened, days);
        // N working days need at least N calendar days and at most N plus two per week, plus one.
        prop_assert!(due > opened + Duration::days(i64::from(days)) - Duration::days(1));
        prop_assert!(due <= opened + Duration::days(i64::from(days) + 2 * (i64::from(days) / 5 + 1) + 1));
    }

    #[test]
    fn periods_reject_reversed_ranges(a in 0i64..20_000, b in 0i64..20_000) {
        let day = |n| NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + Duration::days(n);
        match Period::new(Some(day(a)), Some(day(b))) {
            Ok(p) => { let (s, e) = p.millis(); prop_assert!(a <= b && s < e); }
            Err(e) => prop_assert!(a > b && is_clear_4xx(&e)),
        }
    }
}

/// Arbitrary text in every text field, with amounts and dates drawn valid or absent (free text
/// there fails deserialisation, so the validator would almost never run): each refusal is a clear
/// 4xx, and most cases do reach the validator.
#[test]
fn item_input_from_arbitrary_json_is_refused_cleanly() {
    use proptest::test_runner::{Config, TestRunner};
    use std::cell::Cell;
    let amount = prop_oneof![Just(None), "[0-9]{1,5}(\\.[0-9]{1,2})?".prop_map(Some)];
    let deadline = prop_oneof![
        Just(None),
        (2020i32..2040, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| Some(format!("{y}-{m:02}-{d:02}")))
    ];
    let strategy = ("\\PC{0,300}", "\\PC{0,50}", amount, deadline);
    let (cases, reached) = (Cell::new(0u32), Cell::new(0u32));
    let mut runner = TestRunner::new(Config { cases: 400, ..Config::default() });
    runner
        .run(&strategy, |(title, description, budget, deadline)| {
            cases.set(cases.get() + 1);
            let json = serde_json::json!({"title": title, "description": description, "budget_min_wan": budget,
                "deadline": deadline, "industry": "白酒"});
            if let Ok(input) = serde_json::from_value::<ItemInput>(json) {
                reached.set(reached.get() + 1);
                let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
                let base = kejiyun_domain::item::ItemContent { region_code: "510321".into(), ..Default::default() };
                if let Err(e) = input.apply(ItemKind::Need, base, today) {
                    prop_assert!(is_clear_4xx(&e), "{e:?}");
                }
            }
            Ok(())
        })
        .unwrap();
    assert!(
        reached.get() * 10 >= cases.get() * 9,
        "only {} of {} cases reached the validator",
        reached.get(),
        cases.get()
    );
}
