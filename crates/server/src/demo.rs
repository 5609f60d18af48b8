//! `kejiyun demo`: fills an empty database with the demo dataset of `kejiyun-demo`, through the
//! same actions as real users (so every rule and the index apply).

use kejiyun_domain::{Code, Error, ItemStatus, Role};

use crate::platform::from_db;
use crate::platform::state::AppState;

/// Loads the demo data. Refuses a database that has users unless `force`.
pub async fn load(state: &AppState, seed: u64, force: bool) -> Result<(usize, usize), Error> {
    if !force && state.db.count_users().await.map_err(from_db)? > 0 {
        return Err(Error::new(Code::DatabaseExists, "数据库中已有数据；如确需追加演示数据，请使用 --force"));
    }
    let data = kejiyun_demo::generate(seed, kejiyun_domain::time::today_in_china(kejiyun_domain::time::now()));
    let mut users = std::collections::HashMap::new();
    for u in data.users {
        let username = u.input.username.clone();
        let user = match crate::features::accounts::actions::register(state, u.input).await {
            Ok(user) => user,
            Err(e) if force && e.code == Code::UsernameTaken => continue,
            Err(e) => return Err(e),
        };
        users.insert(username, user);
    }
    let reviewer = demo_reviewer(state).await?;
    let mut items = 0;
    let mut needs = Vec::new();
    for d in data.items {
        let Some(owner) = users.get(&d.owner_username) else {
            continue;
        };
        let submit = !matches!(d.status, kejiyun_demo::DemoStatus::Draft);
        let item = crate::features::items::actions::create(state, owner, d.kind, d.input, submit).await?;
        if matches!(d.status, kejiyun_demo::DemoStatus::Published) && item.status == ItemStatus::Pending {
            crate::features::items::actions::review(
                state,
                &reviewer,
                d.kind,
                item.id,
                crate::features::items::actions::Decision::Approve,
                None,
            )
            .await?;
            if d.kind == kejiyun_domain::ItemKind::Need {
                needs.push((owner.clone(), item.id));
            }
        }
        items += 1;
    }
    let stewards = services(state, &reviewer, &needs).await?;
    let mut people: Vec<&kejiyun_domain::User> = users.values().collect();
    people.sort_by_key(|u| u.id);
    poll(state, &reviewer, &people).await?;
    Ok((users.len() + stewards, items))
}

/// A 最美科技工作者 public vote of twelve demo experts, open for three weeks, with every other
/// demo account's votes of today (three each, spread by a fixed rule so the standings differ).
async fn poll(
    state: &AppState,
    reviewer: &kejiyun_domain::User,
    people: &[&kejiyun_domain::User],
) -> Result<(), Error> {
    use kejiyun_domain::vote::{CandidateInput, PollInput, VoteInput};
    let experts: Vec<_> = people.iter().filter(|u| u.role == Role::Expert).take(12).collect();
    if experts.len() < 2 {
        return Ok(());
    }
    let today = kejiyun_domain::time::today_in_china(kejiyun_domain::time::now());
    let candidates = experts
        .iter()
        .map(|u| CandidateInput {
            name: u.display_name.clone(),
            summary: Some(
                [u.title.clone(), u.employer.clone(), u.fields.first().cloned()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("，"),
            ),
        })
        .collect();
    let input = PollInput {
        title: "2026年度四川省“最美科技工作者”公众投票".into(),
        description: Some(
            "推荐扎根基层、服务企业和乡村振兴的科技工作者。每人每天可投3票，同一候选每天限投1票。".into(),
        ),
        region_code: "510000".into(),
        starts_on: today,
        ends_on: today + chrono::Days::new(21),
        votes_per_day: 3,
        candidates,
    };
    let detail = crate::features::votes::actions::create(state, reviewer, input).await?;
    let ids: Vec<i64> = detail.candidates.iter().map(|c| c.id).collect();
    for (n, voter) in people.iter().enumerate() {
        // Earlier candidates are favoured, so the standings have a clear order.
        for k in 0..3 {
            let pick = (n * (k + 1) + k) % ids.len();
            let pick = pick.min(((n + k) * 7) % ids.len());
            let input = VoteInput { candidate_id: ids[pick] };
            match crate::features::votes::actions::vote(state, voter, detail.poll.id, input, None).await {
                Ok(_) => {}
                Err(e) if matches!(e.code, Code::AlreadyVoted | Code::DailyVoteLimit) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Service work on top of the items: a steward per city, assigned to organisations with needs,
/// and orders at every stage (waiting, matching, introduced, signed with a verified contract,
/// completed and rated, one declined proposal). Returns the number of stewards made.
async fn services(
    state: &AppState,
    admin: &kejiyun_domain::User,
    needs: &[(kejiyun_domain::User, i64)],
) -> Result<usize, Error> {
    use kejiyun_domain::contract::{ContractInput, ContractType, PartyInput};
    use kejiyun_domain::service::{DeclineReason, OrderInput, OrderType, RatingInput, ResponseInput};
    let mut stewards: std::collections::BTreeMap<String, kejiyun_domain::User> = Default::default();
    let today = kejiyun_domain::time::today_in_china(kejiyun_domain::time::now());
    let accept = || ResponseInput { accept: true, reason: None, text: None };
    for (i, (org, need_id)) in needs.iter().take(24).enumerate() {
        let city = format!("{}00", &org.region_code[..4]);
        let steward = match stewards.get(&city) {
            Some(s) => s.clone(),
            None => {
                let n = stewards.len() + 1;
                let name = format!("{}科服专员{n}", kejiyun_domain::regions().short_name(&city));
                let input = kejiyun_domain::user::RegisterInput::new(
                    &format!("steward{n:03}"),
                    "demo2026pass",
                    Role::Steward,
                    &name,
                    &city,
                );
                let s = match crate::features::accounts::actions::create_staff(state, admin, input).await {
                    Ok(s) => s,
                    // `demo --force` on a database that has them already.
                    Err(e) if e.code == Code::UsernameTaken => return Ok(0),
                    Err(e) => return Err(e),
                };
                stewards.insert(city.clone(), s.clone());
                s
            }
        };
        crate::features::stewards::actions::assign_steward(state, admin, org.id, steward.id).await?;
        let input = OrderInput {
            order_type: OrderType::NeedMatching,
            title: None,
            description: None,
            need_id: Some(*need_id),
            org_id: None,
        };
        let order = crate::features::orders::actions::open_order(state, org, input).await?.order;
        let stage = i % 6;
        if stage == 0 {
            continue; // waiting for the steward's first response
        }
        let suggested = crate::features::orders::actions::suggestions(state, &steward, order.id, None, 2).await?;
        let Some(first) = suggested.first() else { continue };
        let proposal_input =
            crate::features::orders::actions::ProposalInput { provider_id: Some(first.id), item_id: None, note: None };
        let detail = crate::features::orders::actions::propose(state, &steward, order.id, proposal_input).await?;
        let proposal = detail.proposals[0].id;
        let Some(expert) = state.db.user(first.id).await.map_err(from_db)? else { continue };
        if stage == 1 {
            continue; // the expert has not answered yet
        }
        if stage == 5 {
            let no = ResponseInput { accept: false, reason: Some(DeclineReason::Schedule), text: None };
            crate::features::orders::actions::respond(state, &expert, order.id, proposal, no).await?;
            continue;
        }
        crate::features::orders::actions::respond(state, &expert, order.id, proposal, accept()).await?;
        crate::features::orders::actions::respond(state, org, order.id, proposal, accept()).await?;
        if stage == 2 {
            continue; // introduced, talking
        }
        let contract = ContractInput {
            contract_type: ContractType::Development,
            title: format!("{}技术开发合同", order.title.trim_end_matches("需求")),
            buyer: PartyInput { user_id: Some(org.id), name: None, region_code: None },
            seller: PartyInput { user_id: Some(expert.id), name: None, region_code: None },
            amount_wan: kejiyun_domain::AmountWan::parse(&format!("{}.5", 8 + i * 3))
                .map_err(|m| Error::new(Code::InvalidAmount, m))?,
            signed_on: today - chrono::Duration::days(i as i64),
            need_id: Some(*need_id),
            achievement_id: None,
            order_id: Some(order.id),
        };
        // The org registers it and the expert confirms it (the order is then 已签约).
        let contract = crate::features::contracts::actions::register(state, org, contract).await?;
        let yes = kejiyun_domain::contract::ConfirmInput { accept: true, reason: None };
        let contract = crate::features::contracts::actions::confirm(state, &expert, contract.id, yes).await?;
        let verify = crate::features::contracts::actions::VerifyInput { approve: true, reason: None };
        crate::features::contracts::actions::verify(state, admin, contract.id, verify).await?;
        if stage == 4 {
            crate::features::orders::actions::complete(state, &steward, order.id).await?;
            let rating = RatingInput { score: 4 + (i % 2) as i64, comment: Some("专员服务及时、专业".into()) };
            crate::features::orders::actions::rate(state, org, order.id, rating).await?;
        }
    }
    Ok(stewards.len())
}

/// The province admin that approves demo items (created if missing; it cannot log in until its
/// password is set with `kejiyun admin create`).
async fn demo_reviewer(state: &AppState) -> Result<kejiyun_domain::User, Error> {
    let password = format!("{}x9", crate::http::auth::new_token());
    let input =
        kejiyun_domain::user::RegisterInput::new("demo-reviewer", &password, Role::Admin, "演示审核员", "510000");
    match crate::features::accounts::actions::create_admin_unchecked(state, input).await {
        Ok(user) => Ok(user),
        Err(e) if e.code == Code::UsernameTaken => {
            let found = state.db.user_for_login("demo-reviewer").await.map_err(from_db)?;
            found.map(|(u, _)| u).ok_or_else(Error::internal)
        }
        Err(e) => Err(e),
    }
}
