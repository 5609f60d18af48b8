use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use kejiyun_domain::item::{AchievementType, ItemContent};
use kejiyun_domain::policy::can_publish;
use kejiyun_domain::region::RegionLevel;
use kejiyun_domain::user::Role;
use kejiyun_domain::{ItemKind, credit_code, regions};

use crate::industries::INDUSTRIES;
use crate::places::{EMPLOYERS, HOSPITALS, PREFECTURES};
use crate::users::prefecture_of;
use crate::{DEMO_PASSWORD, DemoData, DemoStatus, generate};

const SEEDS: [u64; 4] = [0, 1, 42, 2026];

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
}

fn datasets() -> impl Iterator<Item = (u64, DemoData)> {
    SEEDS.into_iter().map(|seed| (seed, generate(seed, today())))
}

fn chars(text: &Option<String>) -> usize {
    text.as_deref().map_or(0, |t| t.chars().count())
}

#[test]
fn every_user_passes_registration_rules() {
    for (seed, data) in datasets() {
        for user in &data.users {
            let input = &user.input;
            assert_eq!(input.password, DEMO_PASSWORD);
            if let Err(e) = input.clone().validate(false) {
                panic!("seed {seed}: {} ({}) is invalid: {e:?}", input.username, input.display_name);
            }
            let phone = input.phone.as_deref().unwrap_or_default();
            assert!(phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}

#[test]
fn every_item_applies_and_its_owner_may_publish_it() {
    for (seed, data) in datasets() {
        let owners: HashMap<&str, (Role, &str)> = data
            .users
            .iter()
            .map(|u| (u.input.username.as_str(), (u.input.role, u.input.region_code.as_str())))
            .collect();
        for item in &data.items {
            let title = item.input.title.clone().unwrap_or_default();
            let Some(&(role, region)) = owners.get(item.owner_username.as_str()) else {
                panic!("seed {seed}: owner {} of {title} is not a user", item.owner_username);
            };
            assert!(can_publish(role, item.kind), "seed {seed}: {role:?} may not publish {:?} {title}", item.kind);
            let base = ItemContent { region_code: region.to_string(), ..Default::default() };
            let content = item
                .input
                .clone()
                .apply(item.kind, base, today())
                .unwrap_or_else(|e| panic!("seed {seed}: {title} does not apply: {e:?}"));
            assert_eq!(content.region_code, region, "{title}");
            assert!(!content.modes.is_empty(), "{title}");
        }
    }
}

#[test]
fn texts_have_realistic_lengths_and_fields() {
    for (seed, data) in datasets() {
        for item in &data.items {
            let input = &item.input;
            let title = input.title.clone().unwrap_or_default();
            assert!((8..=30).contains(&chars(&input.title)), "seed {seed}: title length of {title}");
            let description = input.description.as_deref().unwrap_or_default();
            assert!(
                (60..=300).contains(&chars(&input.description)),
                "seed {seed}: description length {} of {title}: {description}",
                chars(&input.description)
            );
            assert!(!description.contains('{'), "unfilled placeholder in {title}");
            let keywords = input.keywords.clone().unwrap_or_default();
            assert!((2..=5).contains(&keywords.len()), "keywords of {title}");
            assert!(input.industry.is_some(), "{title}");
            if let (Some(a), Some(b)) = (input.amount_min_wan, input.amount_max_wan) {
                assert!(a <= b && a.to_yuan() > 0, "{title}");
            }
            match item.kind {
                ItemKind::Need => {
                    let deadline = input.deadline.unwrap_or_else(|| panic!("no deadline on {title}"));
                    assert!((30..=300).contains(&(deadline - today()).num_days()), "{title}");
                    if let Some(max) = input.amount_max_wan {
                        assert!(max.to_yuan() <= 200 * 10_000, "{title}");
                    }
                }
                ItemKind::Capability => {
                    assert!(input.discipline.is_some() && input.availability.is_some(), "{title}");
                    assert!(!input.fields.clone().unwrap_or_default().is_empty(), "{title}");
                }
                ItemKind::Achievement => {
                    let kind = input.achievement_type.unwrap_or_else(|| panic!("no type on {title}"));
                    assert!(input.maturity.is_some(), "{title}");
                    let no = input.registration_no.as_deref();
                    match kind {
                        AchievementType::InventionPatent | AchievementType::UtilityModel => {
                            let no = no.unwrap_or_else(|| panic!("no patent number on {title}"));
                            let (digits, check) = no[2..].split_once('.').unwrap();
                            assert_eq!(digits.len(), 12, "{no}");
                            assert_eq!(check.chars().next(), Some(crate::items::patent_check(digits)), "{no}");
                            assert!(description.contains(no), "{title}");
                        }
                        AchievementType::KnowHow => assert!(no.is_none()),
                        _ => assert!(no.is_some_and(|n| description.contains(n)), "{title}"),
                    }
                }
            }
        }
    }
}

#[test]
fn patent_check_digit_follows_the_mod_11_rule() {
    // ZL201310123456.? computed by hand: 2·2+0·3+1·4+3·5+1·6+0·7+1·8+2·9+3·2+4·3+5·4+6·5 = 123 = 11·11+2.
    assert_eq!(crate::items::patent_no(2013, 1, 123_456), "ZL201310123456.2");
}

#[test]
fn names_and_codes_are_unique() {
    for (seed, data) in datasets() {
        let mut usernames = HashSet::new();
        let mut codes = HashSet::new();
        let mut org_names = HashSet::new();
        for u in &data.users {
            assert!(usernames.insert(u.input.username.clone()), "seed {seed}: {}", u.input.username);
            if let Some(code) = &u.input.credit_code {
                assert!(codes.insert(code.clone()), "seed {seed}: {code}");
                assert_eq!(credit_code::validate(code).as_deref(), Ok(code.as_str()));
                assert_eq!(&code[2..8], u.input.region_code, "credit code carries the region");
            }
            if let Some(name) = &u.input.org_name {
                assert!(org_names.insert(name.clone()), "seed {seed}: {name}");
            }
        }
        let mut achievement_titles = HashSet::new();
        for item in data.items.iter().filter(|i| i.kind == ItemKind::Achievement) {
            let title = item.input.title.clone().unwrap_or_default();
            assert!(achievement_titles.insert(title.clone()), "seed {seed}: two achievements called {title}");
        }
    }
}

#[test]
fn users_cover_every_prefecture() {
    for (seed, data) in datasets() {
        let present: HashSet<String> = data.users.iter().map(|u| prefecture_of(&u.input.region_code)).collect();
        for pref in regions().children("510000") {
            assert!(present.contains(&pref.code), "seed {seed}: nobody in {}", pref.name);
        }
        for u in &data.users {
            let region = regions().get(&u.input.region_code).map(|r| r.level);
            assert_eq!(region, Some(RegionLevel::County), "{}", u.input.username);
        }
        let chengdu = data.users.iter().filter(|u| u.input.region_code.starts_with("5101")).count();
        let ganzi = data.users.iter().filter(|u| u.input.region_code.starts_with("5133")).count();
        assert!(chengdu > 4 * ganzi && chengdu >= 60, "seed {seed}: 成都 {chengdu}, 甘孜 {ganzi}");
    }
}

#[test]
fn same_seed_same_data() {
    let titles = |data: &DemoData| -> Vec<String> {
        data.items
            .iter()
            .map(|i| format!("{}:{}", i.owner_username, i.input.title.clone().unwrap_or_default()))
            .collect()
    };
    let names = |data: &DemoData| -> Vec<String> { data.users.iter().map(|u| u.input.display_name.clone()).collect() };
    let (a, b) = (generate(7, today()), generate(7, today()));
    assert_eq!(titles(&a), titles(&b));
    assert_eq!(names(&a), names(&b));
    assert_eq!(format!("{:?}", a.items), format!("{:?}", b.items));
    assert_ne!(titles(&a), titles(&generate(8, today())));
}

#[test]
fn counts_are_within_the_intended_ranges() {
    for (seed, data) in datasets() {
        let role = |r: Role| data.users.iter().filter(|u| u.input.role == r).count();
        assert!((140..=160).contains(&role(Role::Expert)), "seed {seed}");
        assert!((110..=130).contains(&role(Role::Org)), "seed {seed}");
        assert_eq!(role(Role::Public), 3);
        let kind = |k: ItemKind| data.items.iter().filter(|i| i.kind == k).count();
        assert!((150..=170).contains(&kind(ItemKind::Need)), "seed {seed}");
        assert!((150..=170).contains(&kind(ItemKind::Capability)), "seed {seed}");
        assert!((70..=90).contains(&kind(ItemKind::Achievement)), "seed {seed}");
        let total = data.items.len();
        let status = |s: DemoStatus| data.items.iter().filter(|i| i.status == s).count() * 100 / total;
        assert!((80..=90).contains(&status(DemoStatus::Published)), "seed {seed}");
        assert!((7..=13).contains(&status(DemoStatus::Pending)), "seed {seed}");
        assert!((2..=8).contains(&status(DemoStatus::Draft)), "seed {seed}");
        let industries: HashSet<_> = data.items.iter().filter_map(|i| i.input.industry.clone()).collect();
        assert!(industries.len() >= 20, "seed {seed}: only {} industries", industries.len());
    }
}

#[test]
fn tables_are_consistent_with_the_region_tree() {
    let tree = regions();
    for (i, industry) in INDUSTRIES.iter().enumerate() {
        assert_eq!(industry.id as usize, i, "{}", industry.name);
        assert!(industry.name.chars().count() <= 30);
    }
    let is_county_of = |county: &str, pref: &str| {
        tree.get(county).is_some_and(|r| r.level == RegionLevel::County && r.parent_code.as_deref() == Some(pref))
    };
    let prefs: HashSet<&str> = PREFECTURES.iter().map(|p| p.code).collect();
    assert_eq!(prefs.len(), 21);
    assert_eq!(PREFECTURES.iter().map(|p| p.enterprises).sum::<usize>(), 100);
    assert!(PREFECTURES.iter().all(|p| p.enterprises >= 1 && !p.industries.is_empty()));
    for pref in &PREFECTURES {
        for (industry, counties) in pref.industries {
            for county in *counties {
                assert!(is_county_of(county, pref.code), "{county} is not a county of {}", pref.code);
            }
            // Every local industry has at least one need that fits the place.
            let fits = industry.data().needs.iter().any(|t| t.places.is_empty() || t.places.contains(&pref.code));
            assert!(fits, "no need of {} fits {}", industry.data().name, pref.code);
        }
    }
    for industry in &INDUSTRIES {
        assert!(PREFECTURES.iter().any(|p| p.industries.iter().any(|(i, _)| *i == industry.id)), "{}", industry.name);
        for tpl in industry.needs {
            assert!(tpl.problem.contains("{n}") && tpl.n.0 <= tpl.n.1, "{}", tpl.topic);
            assert!(tpl.places.iter().all(|p| prefs.contains(p)), "{}", tpl.topic);
        }
    }
    for e in EMPLOYERS {
        assert!(tree.get(e.county).is_some_and(|r| r.level == RegionLevel::County), "{}", e.name);
    }
    for (name, county) in HOSPITALS {
        assert!(tree.get(county).is_some_and(|r| r.level == RegionLevel::County), "{name}");
    }
}
