//! 科服保姆, contract and vote bodies: arbitrary bytes as JSON of every input type of
//! `kejiyun_domain::service`, `kejiyun_domain::contract` and `kejiyun_domain::vote`, then their validation. Never a panic;
//! every refusal is a 4xx with a Chinese message (field refusals name the field); what is accepted
//! meets the documented limits.
#![no_main]

use kejiyun_domain::contract::{AcceptanceInput, ContractInput, MilestoneInput, PartyInput, ProgressInput};
use kejiyun_domain::service::{
    CloseInput, ContactLogInput, DeclineReason, OrderInput, PlanActionInput, PlanInput, RatingInput, Response,
    ResponseInput,
};
use kejiyun_domain::vote::{MAX_CANDIDATES, MAX_POLL_DAYS, MAX_VOTES_PER_DAY, PollInput};
use kejiyun_domain::{AmountWan, regions};
use kejiyun_fuzz::{assert_clear_4xx, assert_field_error, assert_optional_text, assert_required_text, today};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;

fn parse<T: DeserializeOwned>(data: &[u8]) -> Option<T> {
    serde_json::from_slice(data).ok()
}

fn order(input: OrderInput) {
    let need = ("白酒丢糟处理需求", "每年产生大量丢糟，希望找到饲料化技术。");
    for need in [None, Some(need)] {
        match input.text(need) {
            Ok(t) => {
                assert_required_text(&t.title, 4, 100, "order title");
                assert_required_text(&t.description, 10, 5000, "order description");
            }
            Err(e) => assert_field_error(&e, "order text"),
        }
    }
}

fn response(input: ResponseInput) {
    let accept = input.accept;
    match input.validate() {
        Ok((r, reason, text)) => {
            assert_optional_text(text.as_deref(), 500, "response text");
            if accept {
                assert_eq!((r, reason), (Response::Accepted, None));
            } else {
                assert_eq!(r, Response::Declined);
                assert!(reason.is_some(), "a decline without a reason");
                assert!(reason != Some(DeclineReason::Other) || text.is_some(), "“其他” without words");
            }
        }
        Err(e) => assert_field_error(&e, "response"),
    }
}

fn party(p: &PartyInput, field: &'static str, need_region: bool) {
    match p.outside(field, need_region) {
        Ok(party) => {
            assert_required_text(&party.name, 2, 100, "party name");
            assert!(party.user_id.is_none());
            match &party.region_code {
                Some(code) => assert!(regions().get(code).is_some(), "unknown party region {code:?}"),
                None => assert!(!need_region, "a buyer without a region"),
            }
        }
        Err(e) => assert_clear_4xx(&e, "party"),
    }
}

fn contract(input: ContractInput) {
    match input.validate(today()) {
        Ok(title) => {
            assert_required_text(&title, 4, 200, "contract title");
            assert!(input.signed_on <= today(), "contract signed in the future");
            assert!(input.amount_wan.to_yuan() > 0, "contract of no amount");
            assert!(input.buyer.user_id.is_none() || input.buyer.user_id != input.seller.user_id, "same parties");
        }
        Err(e) => assert_clear_4xx(&e, "contract"),
    }
    party(&input.buyer, "buyer", true);
    party(&input.seller, "seller", false);
}

fn milestone(input: MilestoneInput) {
    for amount in ["30", "0", "1000000"] {
        let amount = AmountWan::parse(amount).unwrap_or_default();
        match input.clone().validate(amount) {
            Ok(m) => {
                assert_required_text(&m.name, 2, 100, "milestone name");
                assert_required_text(&m.deliverable, 2, 500, "milestone deliverable");
                assert!(m.payment_wan.is_none_or(|p| p <= amount), "payment above the contract");
                assert_eq!(m.due_on, input.due_on);
            }
            Err(e) => assert_field_error(&e, "milestone"),
        }
    }
}

fn poll(input: PollInput) {
    match input.validate(today()) {
        Ok(p) => {
            assert_required_text(&p.title, 2, 100, "poll title");
            assert_optional_text(Some(p.description.as_str()).filter(|d| !d.is_empty()), 2000, "poll description");
            assert!(regions().get(&p.region_code).is_some(), "unknown poll region");
            assert!(p.starts_on <= p.ends_on && p.ends_on >= today(), "poll dates");
            assert!((p.ends_on - p.starts_on).num_days() < MAX_POLL_DAYS, "poll too long");
            assert!((p.starts_on - today()).num_days() <= MAX_POLL_DAYS, "poll starts too late");
            assert!((1..=MAX_VOTES_PER_DAY).contains(&p.votes_per_day), "votes per day");
            assert!((2..=MAX_CANDIDATES).contains(&p.candidates.len()), "candidate count");
            let mut names: Vec<&String> = p.candidates.iter().map(|(n, _)| n).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), p.candidates.len(), "duplicate candidates");
            for (name, summary) in &p.candidates {
                assert_required_text(name, 1, 50, "candidate name");
                assert_optional_text(Some(summary.as_str()).filter(|s| !s.is_empty()), 500, "candidate summary");
            }
        }
        Err(e) => assert_clear_4xx(&e, "poll"),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some(input) = parse::<PollInput>(data) {
        poll(input);
    }
    if let Some(input) = parse::<OrderInput>(data) {
        order(input);
    }
    if let Some(input) = parse::<ResponseInput>(data) {
        response(input);
    }
    if let Some(input) = parse::<CloseInput>(data) {
        match input.validate() {
            Ok(reason) => assert_required_text(&reason, 2, 500, "close reason"),
            Err(e) => assert_field_error(&e, "close"),
        }
    }
    if let Some(input) = parse::<RatingInput>(data) {
        match input.validate() {
            Ok((score, comment)) => {
                assert!((1..=5).contains(&score), "score {score}");
                assert_optional_text(comment.as_deref(), 1000, "rating comment");
            }
            Err(e) => assert_field_error(&e, "rating"),
        }
    }
    if let Some(input) = parse::<PlanInput>(data) {
        match input.validate() {
            Ok(plan) => {
                assert_required_text(&plan.situation, 0, 5000, "plan situation");
                assert_required_text(&plan.goals, 0, 5000, "plan goals");
            }
            Err(e) => assert_field_error(&e, "plan"),
        }
    }
    if let Some(input) = parse::<PlanActionInput>(data) {
        match input.validate() {
            Ok(action) => assert_required_text(&action.title, 2, 200, "plan action"),
            Err(e) => assert_field_error(&e, "plan action"),
        }
    }
    if let Some(input) = parse::<ContactLogInput>(data) {
        match input.validate(today()) {
            Ok(log) => {
                assert!(log.contact_on <= today(), "contact in the future");
                assert_required_text(&log.summary, 2, 2000, "contact summary");
                assert_optional_text(log.follow_up.as_deref(), 1000, "contact follow-up");
            }
            Err(e) => assert_field_error(&e, "contact log"),
        }
    }
    if let Some(input) = parse::<ContractInput>(data) {
        contract(input);
    }
    if let Some(input) = parse::<PartyInput>(data) {
        party(&input, "buyer", true);
    }
    if let Some(input) = parse::<MilestoneInput>(data) {
        milestone(input);
    }
    if let Some(input) = parse::<ProgressInput>(data) {
        match input.validate() {
            Ok(text) => assert_required_text(&text, 2, 2000, "progress"),
            Err(e) => assert_field_error(&e, "progress"),
        }
    }
    if let Some(input) = parse::<AcceptanceInput>(data) {
        match input.validate() {
            Ok(opinion) => assert_optional_text(opinion.as_deref(), 1000, "acceptance opinion"),
            Err(e) => assert_field_error(&e, "acceptance"),
        }
    }
});
