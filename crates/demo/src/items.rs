//! Demo items: needs of enterprises, capabilities of experts and labs, achievements of experts and
//! labs, each completed from its industry template with the owner's place, numbers and wishes.

use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate};
use kejiyun_domain::item::{AchievementType, Availability, ContactVisibility, Mode};
use kejiyun_domain::{AmountWan, ItemInput, ItemKind, regions};

use crate::industries::{INDUSTRIES, NeedTpl, OfferTpl, ResultTpl};
use crate::places::PREFECTURES;
use crate::rng::Rng;
use crate::users::{Member, Profile, prefecture_of};
use crate::{DemoItem, DemoStatus};

pub(crate) const NEEDS: usize = 160;
pub(crate) const CAPABILITIES: usize = 160;
/// Capabilities published by university, institute and hospital accounts (the rest by experts).
pub(crate) const LAB_CAPABILITIES: usize = 25;
pub(crate) const ACHIEVEMENTS: usize = 80;

const NEED_MODES: &[(Mode, u32)] = &[
    (Mode::Development, 30),
    (Mode::Transfer, 15),
    (Mode::Consulting, 15),
    (Mode::Service, 15),
    (Mode::Onsite, 8),
    (Mode::Talent, 7),
    (Mode::Licensing, 5),
];
const CAPABILITY_MODES: &[(Mode, u32)] = &[
    (Mode::Consulting, 25),
    (Mode::Service, 25),
    (Mode::Development, 20),
    (Mode::CoDevelopment, 12),
    (Mode::Onsite, 10),
    (Mode::Talent, 8),
];
const ACHIEVEMENT_MODES: &[(Mode, u32)] =
    &[(Mode::Transfer, 35), (Mode::Licensing, 25), (Mode::CoDevelopment, 25), (Mode::Equity, 15)];

const TECH_FIRMS: &[&str] = &["国家高新技术企业", "省级专精特新中小企业", "民营科技企业"];
const AGRI_FIRMS: &[&str] = &["省级农业产业化重点龙头企业", "市级农业产业化重点龙头企业", "农业科技型企业"];
const NEED_ENDINGS: &[&str] = &[
    "欢迎有相关成果和经验的高校院所、企业联系对接。",
    "可先提供技术方案，合作经费根据效果协商。",
    "诚邀省内外专家团队来企业实地交流。",
    "有意向者请通过平台联系，我们将尽快安排技术交流。",
];
const RESULT_ENDINGS: &[&str] = &["欢迎有意向的企业洽谈。", "可提供技术培训和后续服务。", "欢迎实地考察交流。"];

pub(crate) fn generate(rng: &mut Rng, members: &[Member], today: NaiveDate) -> Vec<DemoItem> {
    let mut items = needs(rng, members, today);
    items.extend(capabilities(rng, members));
    items.extend(achievements(rng, members));
    rng.shuffle(&mut items);
    items
}

/// Exactly 85% published, 10% pending and the rest drafts, in random order.
fn statuses(rng: &mut Rng, n: usize) -> Vec<DemoStatus> {
    let published = n * 85 / 100;
    let pending = n / 10;
    let mut out = vec![DemoStatus::Published; published];
    out.extend(vec![DemoStatus::Pending; pending]);
    out.extend(vec![DemoStatus::Draft; n - published - pending]);
    rng.shuffle(&mut out);
    out
}

fn item(owner: &Member, kind: ItemKind, input: ItemInput, status: DemoStatus) -> DemoItem {
    DemoItem { owner_username: owner.username().to_string(), kind, input, status }
}

// ---------------------------------------------------------------------------------------- needs

fn needs(rng: &mut Rng, members: &[Member], today: NaiveDate) -> Vec<DemoItem> {
    let owners: Vec<&Member> = members.iter().filter(|m| matches!(m.profile, Profile::Enterprise { .. })).collect();
    let statuses = statuses(rng, NEEDS);
    let mut usage = Usage::default();
    let mut out = Vec::new();
    for (i, status) in statuses.into_iter().enumerate() {
        // Every enterprise publishes at least one need; the rest go to random enterprises.
        let owner = owners.get(i).copied().unwrap_or_else(|| *rng.pick(&owners));
        let pref = prefecture_of(owner.region());
        let all = owner.industry.data().needs;
        let fits: Vec<&'static NeedTpl> =
            all.iter().filter(|t| t.places.is_empty() || t.places.contains(&pref.as_str())).collect();
        let candidates = if fits.is_empty() { all.iter().collect() } else { fits };
        let tpl = usage.template(rng, owner, candidates, |t| t.topic);
        let input = need_input(rng, owner, tpl, today, &mut usage);
        out.push(item(owner, ItemKind::Need, input, status));
    }
    out
}

fn need_input(rng: &mut Rng, owner: &Member, tpl: &NeedTpl, today: NaiveDate, usage: &mut Usage) -> ItemInput {
    let data = owner.industry.data();
    let cooperative = matches!(owner.profile, Profile::Enterprise { cooperative: true });
    let intro = need_intro(rng, owner, cooperative);
    let mut problem = tpl.problem.replace("{n}", &rng.between(tpl.n.0, tpl.n.1).to_string());
    if cooperative {
        problem = problem.replace("公司", "本社");
    }
    let n_modes = 1 + rng.below(3);
    let modes = pick_modes(rng, NEED_MODES, n_modes);
    let wish = format!("合作方式可为{}，{}", mode_labels(&modes), rng.pick(NEED_ENDINGS));
    let mut keywords: Vec<String> = tpl.keywords.iter().map(|k| k.to_string()).collect();
    if rng.percent(40) {
        keywords.push(data.name.to_string());
    }
    let (amount_min_wan, amount_max_wan) =
        if rng.percent(10) { (None, None) } else { amount_range(rng, &[3, 5, 8, 10, 15, 20, 30, 50], (2, 5), 200) };
    let days = u64::from(rng.between(30, 300));
    ItemInput {
        title: Some(need_title(rng, tpl.topic, usage)),
        description: Some(format!("{intro}{problem}{}{wish}", tpl.goal)),
        industry: Some(data.name.to_string()),
        keywords: Some(keywords),
        region_code: Some(owner.region().to_string()),
        modes: Some(modes),
        amount_min_wan,
        amount_max_wan,
        deadline: today.checked_add_days(Days::new(days)),
        contact_visibility: Some(ContactVisibility::Matched),
        ..ItemInput::default()
    }
}

/// "我公司位于宜宾市翠屏区，主要从事…，现有员工约300人。"
fn need_intro(rng: &mut Rng, owner: &Member, cooperative: bool) -> String {
    let data = owner.industry.data();
    let place: String = regions().short_name(owner.region()).split_whitespace().collect();
    let business = rng.pick(data.business);
    if cooperative {
        return format!("我社位于{place}，主要从事{business}，带动周边农户{}户。", rng.between(50, 800));
    }
    if rng.percent(50) {
        return format!("我公司位于{place}，主要从事{business}，现有员工约{}人。", rng.between(30, 1500));
    }
    let label = rng.pick(if data.agri { AGRI_FIRMS } else { TECH_FIRMS });
    let output = tenths(rng.between(3, 200));
    format!("我公司是{place}的一家{label}，主要从事{business}，年产值约{output}亿元。")
}

fn need_title(rng: &mut Rng, topic: &str, usage: &mut Usage) -> String {
    // Topics naming a thing to build read badly with "…技术"; topics naming a problem read well.
    let is_product = ["平台", "体系", "设计", "系统", "开发", "建设"].iter().any(|s| topic.ends_with(s));
    let patterns: &[&str] = if is_product {
        &["{t}", "{t}需求", "征集{t}解决方案", "{t}合作需求"]
    } else {
        &["{t}技术需求", "{t}", "寻求{t}技术", "{t}技术攻关", "征集{t}解决方案"]
    };
    usage.title(rng, topic, patterns)
}

// --------------------------------------------------------------------------------- capabilities

fn capabilities(rng: &mut Rng, members: &[Member]) -> Vec<DemoItem> {
    let mut experts: Vec<&Member> = members.iter().filter(|m| matches!(m.profile, Profile::Expert { .. })).collect();
    rng.shuffle(&mut experts);
    let labs: Vec<&Member> = members.iter().filter(|m| matches!(m.profile, Profile::Lab { .. })).collect();
    let mut owners: Vec<&Member> = experts.into_iter().take(CAPABILITIES - LAB_CAPABILITIES).collect();
    owners.extend((0..LAB_CAPABILITIES).filter_map(|i| labs.get(i % labs.len().max(1)).copied()));
    let statuses = statuses(rng, owners.len());
    let mut usage = Usage::default();
    let mut out = Vec::new();
    for (owner, status) in owners.into_iter().zip(statuses) {
        let tpl = usage.template(rng, owner, owner.industry.data().capabilities.iter().collect(), |t| t.topic);
        let input = capability_input(rng, owner, tpl, &mut usage);
        out.push(item(owner, ItemKind::Capability, input, status));
    }
    out
}

fn capability_input(rng: &mut Rng, owner: &Member, tpl: &OfferTpl, usage: &mut Usage) -> ItemInput {
    let data = owner.industry.data();
    let intro = match &owner.profile {
        Profile::Expert { employer, title, field } => format!("本人现任{employer}{title}，主要研究方向为{field}。"),
        Profile::Lab { subject, platform } => {
            format!("{subject}在该领域建有{platform}，拥有一支专业技术团队。")
        }
        _ => String::new(),
    };
    let (projects, firms) = (rng.between(3, 20), rng.between(5, 60));
    let record = match rng.below(3) {
        0 => format!("近五年主持或参与相关科研项目{projects}项，为{firms}家企业解决了技术难题。"),
        1 => format!("已为省内{firms}家企业提供技术服务，发表相关论文{projects}篇。"),
        _ => format!("相关技术已在{firms}家企业推广应用，获省部级科技奖励{}项。", rng.between(1, 3)),
    };
    let availability = match rng.below(100) {
        0..70 => Availability::Available,
        70..95 => Availability::Limited,
        _ => Availability::Paused,
    };
    let when = match availability {
        Availability::Available => "可随时对接。".to_string(),
        Availability::Limited => format!("因在研任务较多，每月可安排{}天左右对接服务。", rng.between(2, 6)),
        Availability::Paused => "目前在研项目较多，暂不接受新的委托，欢迎先行留言。".to_string(),
    };
    let n_modes = 2 + rng.below(2);
    let modes = pick_modes(rng, CAPABILITY_MODES, n_modes);
    let (discipline, fields) = match &owner.profile {
        Profile::Expert { .. } => {
            let disciplines = owner.input.disciplines.clone().unwrap_or_default();
            let fields = owner.input.fields.clone().unwrap_or_default();
            (disciplines.into_iter().next(), fields)
        }
        _ => {
            let fields = rng.sample(data.fields, 2).into_iter().map(String::from).collect();
            (Some(rng.pick(data.disciplines).to_string()), fields)
        }
    };
    let (amount_min_wan, amount_max_wan) =
        if rng.percent(50) { amount_range(rng, &[1, 2, 3, 5, 10], (2, 6), 100) } else { (None, None) };
    ItemInput {
        title: Some(capability_title(rng, tpl.topic, usage)),
        description: Some(format!("{intro}{}{record}可采用{}等方式合作，{when}", tpl.body, mode_labels(&modes))),
        industry: Some(data.name.to_string()),
        keywords: Some(tpl.keywords.iter().map(|k| k.to_string()).collect()),
        region_code: Some(owner.region().to_string()),
        modes: Some(modes),
        amount_min_wan,
        amount_max_wan,
        discipline,
        fields: Some(fields),
        service_area: Some(service_area(rng, owner)).filter(|area| !area.is_empty()),
        availability: Some(availability),
        ..ItemInput::default()
    }
}

fn capability_title(rng: &mut Rng, topic: &str, usage: &mut Usage) -> String {
    let patterns: &[&str] = if topic.ends_with("技术") {
        &["{t}", "{t}服务", "提供{t}服务"]
    } else if ["服务", "指导", "咨询"].iter().any(|s| topic.ends_with(s)) {
        &["{t}", "提供{t}"]
    } else {
        &["{t}", "{t}技术服务", "提供{t}技术服务"]
    };
    usage.title(rng, topic, patterns)
}

/// Most offers serve the whole province (empty); some name their own and a few other prefectures
/// where the industry is.
fn service_area(rng: &mut Rng, owner: &Member) -> Vec<String> {
    if !rng.percent(40) {
        return Vec::new();
    }
    let home = prefecture_of(owner.region());
    let others: Vec<&str> = PREFECTURES
        .iter()
        .filter(|p| p.code != home && p.industries.iter().any(|(ind, _)| *ind == owner.industry))
        .map(|p| p.code)
        .collect();
    let n_others = rng.below(3);
    let mut area = vec![home];
    area.extend(rng.sample(&others, n_others).into_iter().map(String::from));
    area
}

// --------------------------------------------------------------------------------- achievements

fn achievements(rng: &mut Rng, members: &[Member]) -> Vec<DemoItem> {
    let owners: Vec<&Member> =
        members.iter().filter(|m| matches!(m.profile, Profile::Expert { .. } | Profile::Lab { .. })).collect();
    let mut plan: Vec<(&Member, &'static ResultTpl, String)> = Vec::new();
    let mut titles = HashSet::new();
    // Every template once, by someone working in its industry …
    let mut templates: Vec<_> = INDUSTRIES.iter().flat_map(|d| d.achievements.iter().map(move |t| (d.id, t))).collect();
    rng.shuffle(&mut templates);
    for (industry, tpl) in templates {
        let candidates: Vec<&Member> = owners.iter().copied().filter(|m| m.industry == industry).collect();
        if plan.len() < ACHIEVEMENTS && !candidates.is_empty() {
            let title = first_title(tpl);
            titles.insert(title.clone());
            plan.push((*rng.pick(&candidates), tpl, title));
        }
    }
    // … then improved versions of patents and software, so that no two achievements share a title.
    for _ in 0..10_000 {
        if plan.len() >= ACHIEVEMENTS {
            break;
        }
        let owner = *rng.pick(&owners);
        let tpl = rng.pick(owner.industry.data().achievements);
        if let Some(title) = variant_title(tpl)
            && titles.insert(title.clone())
        {
            plan.push((owner, tpl, title));
        }
    }
    let statuses = statuses(rng, plan.len());
    plan.into_iter()
        .zip(statuses)
        .map(|((owner, tpl, title), status)| {
            item(owner, ItemKind::Achievement, achievement_input(rng, owner, tpl, title), status)
        })
        .collect()
}

fn first_title(tpl: &ResultTpl) -> String {
    match tpl.kind {
        AchievementType::SoftwareCopyright => format!("{}V1.0", tpl.title),
        _ => tpl.title.to_string(),
    }
}

fn variant_title(tpl: &ResultTpl) -> Option<String> {
    let title = match tpl.kind {
        AchievementType::SoftwareCopyright => format!("{}V2.0", tpl.title),
        AchievementType::InventionPatent if !tpl.title.contains("及其") => {
            format!("{}及其应用", tpl.title)
        }
        AchievementType::UtilityModel => format!("一种改进型{}", tpl.title.strip_prefix("一种")?),
        _ => return None,
    };
    (title.chars().count() <= 30).then_some(title)
}

fn achievement_input(rng: &mut Rng, owner: &Member, tpl: &ResultTpl, title: String) -> ItemInput {
    let data = owner.industry.data();
    let by = match &owner.profile {
        Profile::Expert { employer, title, .. } => {
            format!("该成果由{employer}{}{title}团队完成。", owner.input.display_name)
        }
        Profile::Lab { subject, .. } => format!("该成果由{subject}科研团队完成。"),
        _ => String::new(),
    };
    let registration_no = registration_no(rng, tpl.kind);
    let protection = match (tpl.kind, &registration_no) {
        (AchievementType::InventionPatent, Some(no)) => {
            format!("已获国家发明专利授权（专利号{no}）。")
        }
        (AchievementType::UtilityModel, Some(no)) => {
            format!("已获实用新型专利授权（专利号{no}）。")
        }
        (AchievementType::SoftwareCopyright, Some(no)) => {
            format!("已取得计算机软件著作权登记（登记号{no}）。")
        }
        (AchievementType::NewVariety, Some(no)) => {
            format!("已通过品种审定并获植物新品种权（品种权号{no}）。")
        }
        _ => "该成果以技术秘密形式保护。".to_string(),
    };
    let n_modes = 1 + rng.below(3);
    let modes = pick_modes(rng, ACHIEVEMENT_MODES, n_modes);
    let tail = format!(
        "目前处于{}阶段，拟以{}方式转化，{}",
        tpl.maturity.label(),
        mode_labels(&modes),
        rng.pick(RESULT_ENDINGS)
    );
    let (amount_min_wan, amount_max_wan) = if rng.percent(15) {
        (None, None)
    } else {
        match tpl.kind {
            AchievementType::InventionPatent => amount_range(rng, &[10, 20, 30, 50, 80], (2, 4), 500),
            AchievementType::UtilityModel => amount_range(rng, &[3, 5, 8, 10], (2, 3), 50),
            AchievementType::SoftwareCopyright => amount_range(rng, &[5, 10, 20, 30], (2, 3), 100),
            _ => amount_range(rng, &[20, 30, 50, 100], (2, 3), 300),
        }
    };
    ItemInput {
        title: Some(title),
        description: Some(format!("{}{by}{protection}{tail}", tpl.body)),
        industry: Some(data.name.to_string()),
        keywords: Some(tpl.keywords.iter().map(|k| k.to_string()).collect()),
        region_code: Some(owner.region().to_string()),
        modes: Some(modes),
        amount_min_wan,
        amount_max_wan,
        achievement_type: Some(tpl.kind),
        registration_no,
        maturity: Some(tpl.maturity),
        ..ItemInput::default()
    }
}

/// Plausible numbers: "ZL202310123456.7" (with the real mod-11 check digit), "2023SR0123456",
/// "CNA20201001234"; none for know-how.
fn registration_no(rng: &mut Rng, kind: AchievementType) -> Option<String> {
    let year = rng.between(2016, 2024);
    match kind {
        AchievementType::InventionPatent => Some(patent_no(year, 1, rng.between(0, 9_999_999))),
        AchievementType::UtilityModel => Some(patent_no(year, 2, rng.between(0, 9_999_999))),
        AchievementType::SoftwareCopyright => Some(format!("{year}SR{:07}", rng.between(0, 1_999_999))),
        AchievementType::NewVariety => Some(format!("CNA{year}100{:04}", rng.between(0, 9999))),
        _ => None,
    }
}

/// A Chinese patent number: application year, type digit, 7-digit serial and the check digit
/// (weights 2..9,2..5 modulo 11, 10 written as X).
pub(crate) fn patent_no(year: u32, type_digit: u32, serial: u32) -> String {
    let digits = format!("{year}{type_digit}{serial:07}");
    format!("ZL{digits}.{}", patent_check(&digits))
}

pub(crate) fn patent_check(digits: &str) -> char {
    const WEIGHTS: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
    let sum: u32 = digits.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    match sum % 11 {
        10 => 'X',
        d => char::from_digit(d, 10).unwrap_or('0'),
    }
}

// ---------------------------------------------------------------------------------------- shared

/// What templates and titles have been used, so that items spread over the templates and read
/// differently even when two come from the same one.
#[derive(Default)]
struct Usage {
    by_owner: HashSet<(String, &'static str)>,
    count: HashMap<&'static str, usize>,
    titles: HashSet<String>,
}

impl Usage {
    /// A template the owner has not used yet (if any) and, of those, one used least so far.
    fn template<T>(
        &mut self,
        rng: &mut Rng,
        owner: &Member,
        candidates: Vec<&'static T>,
        key: fn(&T) -> &'static str,
    ) -> &'static T {
        let fresh: Vec<&'static T> = candidates
            .iter()
            .copied()
            .filter(|t| !self.by_owner.contains(&(owner.username().to_string(), key(t))))
            .collect();
        let pool = if fresh.is_empty() { candidates } else { fresh };
        let least = pool.iter().map(|t| self.count.get(key(t)).copied().unwrap_or(0)).min().unwrap_or(0);
        let pool: Vec<&'static T> =
            pool.into_iter().filter(|t| self.count.get(key(t)).copied().unwrap_or(0) == least).collect();
        let tpl = *rng.pick(&pool);
        self.by_owner.insert((owner.username().to_string(), key(tpl)));
        *self.count.entry(key(tpl)).or_default() += 1;
        tpl
    }

    /// One of the patterns (with `{t}` the topic) whose result has 8 to 30 characters, preferring a
    /// title not given yet.
    fn title(&mut self, rng: &mut Rng, topic: &str, patterns: &[&str]) -> String {
        let fitting: Vec<String> = patterns
            .iter()
            .map(|p| p.replace("{t}", topic))
            .filter(|t| (8..=30).contains(&t.chars().count()))
            .collect();
        let fresh: Vec<&String> = fitting.iter().filter(|t| !self.titles.contains(*t)).collect();
        let title = match (fresh.is_empty(), fitting.is_empty()) {
            (false, _) => (*rng.pick(&fresh)).clone(),
            (true, false) => rng.pick(&fitting).clone(),
            (true, true) => topic.to_string(),
        };
        self.titles.insert(title.clone());
        title
    }
}

/// `k` distinct modes drawn by weight.
fn pick_modes(rng: &mut Rng, table: &[(Mode, u32)], k: usize) -> Vec<Mode> {
    let weights: Vec<u32> = table.iter().map(|&(_, w)| w).collect();
    let mut modes = Vec::new();
    for _ in 0..50 {
        if modes.len() >= k {
            break;
        }
        let mode = table[rng.weighted(&weights)].0;
        if !modes.contains(&mode) {
            modes.push(mode);
        }
    }
    modes
}

fn mode_labels(modes: &[Mode]) -> String {
    modes.iter().map(|m| m.label()).collect::<Vec<_>>().join("、")
}

/// A range in 万元: a lower bound from `lows`, the upper one a multiple of it, capped at `cap`.
fn amount_range(rng: &mut Rng, lows: &[u32], factor: (u32, u32), cap: u32) -> (Option<AmountWan>, Option<AmountWan>) {
    let low = *rng.pick(lows);
    let high = (low * rng.between(factor.0, factor.1)).min(cap).max(low);
    (wan(low), wan(high))
}

fn wan(value: u32) -> Option<AmountWan> {
    AmountWan::parse(&value.to_string()).ok()
}

/// 37 → "3.7", 40 → "4".
fn tenths(value: u32) -> String {
    if value.is_multiple_of(10) { (value / 10).to_string() } else { format!("{}.{}", value / 10, value % 10) }
}
