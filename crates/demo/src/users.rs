//! Demo accounts: experts at real Sichuan universities and institutes, enterprises named after their
//! place and industry, university/institute/hospital accounts, and a few public readers.

use std::collections::HashSet;

use kejiyun_domain::credit_code::check_char;
use kejiyun_domain::regions;
use kejiyun_domain::user::{OrgType, RegisterInput, Role};

use crate::DEMO_PASSWORD;
use crate::industries::{Ind, Industry};
use crate::names::{BRANDS, GIVEN_NAMES, MOBILE_PREFIXES, SURNAMES};
use crate::places::{EMPLOYERS, Employer, EmployerKind, HOSPITALS, PREFECTURES, Prefecture};
use crate::rng::Rng;

pub(crate) const EXPERTS: usize = 150;
/// Universities and institutes with an organisation account (besides the hospitals).
pub(crate) const LAB_ORGS: usize = 16;
pub(crate) const PUBLIC_USERS: usize = 3;
/// Where the public readers live: 成都武侯、南充顺庆、绵阳涪城.
const PUBLIC_COUNTIES: [&str; 3] = ["510107", "511302", "510703"];

/// A generated account plus what the item generator needs to know about it.
pub(crate) struct Member {
    pub input: RegisterInput,
    pub industry: Ind,
    pub profile: Profile,
}

pub(crate) enum Profile {
    Expert {
        employer: &'static str,
        title: String,
        field: &'static str,
    },
    /// An enterprise; cooperatives (农民专业合作社) speak of themselves as 本社.
    Enterprise {
        cooperative: bool,
    },
    /// A university, institute or hospital: `subject` is how it says "we" (我校/我院/我所).
    Lab {
        subject: &'static str,
        platform: &'static str,
    },
    Public,
}

impl Member {
    pub(crate) fn region(&self) -> &str {
        &self.input.region_code
    }

    pub(crate) fn username(&self) -> &str {
        &self.input.username
    }
}

/// The prefecture a county code belongs to ("510321" → "510300").
pub(crate) fn prefecture_of(code: &str) -> String {
    format!("{}00", &code[..4])
}

#[derive(Default)]
struct Taken {
    names: HashSet<String>,
    codes: HashSet<String>,
}

pub(crate) fn generate(rng: &mut Rng) -> Vec<Member> {
    let mut taken = Taken::default();
    let weights: Vec<u32> = EMPLOYERS.iter().map(|e| e.weight).collect();
    let mut experts = Vec::new();
    for _ in 0..EXPERTS {
        let employer = &EMPLOYERS[rng.weighted(&weights)];
        experts.push(expert(rng, employer, &mut taken));
    }

    let mut orgs = Vec::new();
    for pref in &PREFECTURES {
        for _ in 0..pref.enterprises {
            orgs.push(enterprise(rng, pref, &mut taken));
        }
    }
    let mut labs: Vec<&Employer> = EMPLOYERS.iter().filter(|e| e.kind != EmployerKind::Company).collect();
    rng.shuffle(&mut labs);
    orgs.extend(labs.into_iter().take(LAB_ORGS).map(|e| lab(rng, e, &mut taken)));
    orgs.extend(HOSPITALS.iter().map(|&(name, county)| hospital(rng, name, county, &mut taken)));
    rng.shuffle(&mut orgs);

    for (i, m) in experts.iter_mut().enumerate() {
        m.input.username = format!("expert{:03}", i + 1);
    }
    for (i, m) in orgs.iter_mut().enumerate() {
        m.input.username = format!("org{:03}", i + 1);
        if rng.percent(40) {
            m.input.email = Some(format!("{}@example.com", m.input.username));
        }
    }
    let mut members = experts;
    members.extend(orgs);
    for i in 0..PUBLIC_USERS {
        let (name, _) = person_name(rng, &mut taken);
        let mut input = blank(Role::Public, name, PUBLIC_COUNTIES[i % PUBLIC_COUNTIES.len()]);
        input.username = format!("public{:03}", i + 1);
        input.phone = Some(mobile(rng));
        members.push(Member { input, industry: Ind::Software, profile: Profile::Public });
    }
    members
}

fn blank(role: Role, display_name: String, region: &str) -> RegisterInput {
    RegisterInput::new("", DEMO_PASSWORD, role, &display_name, region)
}

fn expert(rng: &mut Rng, employer: &'static Employer, taken: &mut Taken) -> Member {
    let industry = *rng.pick(employer.industries);
    let data = industry.data();
    let (name, pinyin) = person_name(rng, taken);
    let title = expert_title(rng, employer.kind, data);
    let n_disciplines = 1 + rng.below(2);
    let disciplines = rng.sample(data.disciplines, n_disciplines);
    let n_fields = 2 + rng.below(2);
    let fields = rng.sample(data.fields, n_fields);
    let mut input = blank(Role::Expert, name, employer.county);
    input.phone = Some(mobile(rng));
    if rng.percent(60) {
        input.email = Some(format!("{pinyin}{}@example.com", rng.between(1, 99)));
    }
    input.title = Some(title.clone());
    input.employer = Some(employer.name.to_string());
    input.disciplines = Some(disciplines.iter().map(|d| d.to_string()).collect());
    input.fields = Some(fields.iter().map(|f| f.to_string()).collect());
    input.industry = Some(data.name.to_string());
    let field = fields.first().copied().unwrap_or(data.name);
    Member { input, industry, profile: Profile::Expert { employer: employer.name, title, field } }
}

fn expert_title(rng: &mut Rng, kind: EmployerKind, industry: &Industry) -> String {
    let p = industry.practitioner;
    match (kind, rng.below(6)) {
        (EmployerKind::University, 0 | 1) => "教授".into(),
        (EmployerKind::University, 2..=4) => "副教授".into(),
        (EmployerKind::University, _) => "讲师".into(),
        (EmployerKind::Institute, 0 | 1) => "研究员".into(),
        (EmployerKind::Institute, 2 | 3) => "副研究员".into(),
        (EmployerKind::Institute, 4) => format!("高级{p}"),
        (EmployerKind::Institute, _) => format!("正高级{p}"),
        (EmployerKind::Company, 0 | 1) => format!("正高级{p}"),
        (EmployerKind::Company, _) => format!("高级{p}"),
    }
}

/// A unique Chinese name and its pinyin.
fn person_name(rng: &mut Rng, taken: &mut Taken) -> (String, String) {
    loop {
        let (surname, s_py) = *rng.pick(SURNAMES);
        let (given, g_py) = *rng.pick(GIVEN_NAMES);
        let name = format!("{surname}{given}");
        if taken.names.insert(name.clone()) {
            return (name, format!("{s_py}{g_py}"));
        }
    }
}

fn mobile(rng: &mut Rng) -> String {
    format!("1{}{:08}", rng.pick(MOBILE_PREFIXES), rng.below(100_000_000))
}

/// A valid 18-character unified social credit code: `kind` (91 enterprise, 93 cooperative,
/// 12 public institution), the 6-digit region, 9 random symbols and the GB 32100 check character.
fn credit_code(rng: &mut Rng, kind: &str, county: &str, taken: &mut Taken) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    loop {
        let mut code = format!("{kind}{county}");
        for _ in 0..9 {
            code.push(char::from(*rng.pick(ALPHABET)));
        }
        if let Some(check) = check_char(&code) {
            code.push(check);
            if taken.codes.insert(code.clone()) {
                return code;
            }
        }
    }
}

fn org(org_type: OrgType, name: String, county: &str, industry: Ind, code: String, rng: &mut Rng) -> RegisterInput {
    let mut input = blank(Role::Org, name.clone(), county);
    input.org_name = Some(name);
    input.credit_code = Some(code);
    input.org_type = Some(org_type);
    input.industry = Some(industry.data().name.to_string());
    input.phone = Some(mobile(rng));
    input
}

fn enterprise(rng: &mut Rng, pref: &Prefecture, taken: &mut Taken) -> Member {
    let weights: Vec<u32> = (0..pref.industries.len()).map(|i| if i == 0 { 2 } else { 1 }).collect();
    let (industry, counties) = pref.industries[rng.weighted(&weights)];
    let county = if counties.is_empty() {
        let children = regions().children(pref.code);
        rng.pick(&children).code.clone()
    } else {
        rng.pick(counties).to_string()
    };
    let suffix = *rng.pick(industry.data().suffixes);
    let cooperative = suffix.ends_with("合作社");
    let name = loop {
        let name = enterprise_name(rng, pref.code, &county, suffix, cooperative);
        if taken.names.insert(name.clone()) {
            break name;
        }
    };
    let (kind, org_type) = if cooperative { ("93", OrgType::Other) } else { ("91", OrgType::Enterprise) };
    let code = credit_code(rng, kind, &county, taken);
    let input = org(org_type, name, &county, industry, code, rng);
    Member { input, industry, profile: Profile::Enterprise { cooperative } }
}

/// "宜宾市金泰酒业有限公司", "四川锦程锂电科技有限公司", "苍溪县绿源猕猴桃专业合作社".
fn enterprise_name(rng: &mut Rng, pref: &str, county: &str, suffix: &str, cooperative: bool) -> String {
    let tree = regions();
    let pref_name = tree.get(pref).map_or("四川", |r| r.name.as_str());
    let city = match pref_name.strip_suffix("自治州") {
        Some(_) => format!("{}州", pref_name.chars().take(2).collect::<String>()),
        None => pref_name.to_string(),
    };
    let short = city.trim_end_matches(['市', '州']).to_string();
    let county_name = tree.get(county).map_or("", |r| r.name.as_str());
    let county_ok = (county_name.ends_with('县') || county_name.ends_with('市')) && county_name.chars().count() <= 4;
    let brand = rng.pick(BRANDS);
    let roll = rng.below(100);
    let prefix = match () {
        _ if (cooperative || roll >= 85) && county_ok => county_name.to_string(),
        _ if cooperative || roll < 40 => city,
        _ if roll < 60 => short,
        _ => "四川".to_string(),
    };
    format!("{prefix}{brand}{suffix}")
}

fn lab(rng: &mut Rng, employer: &Employer, taken: &mut Taken) -> Member {
    let industry = *rng.pick(employer.industries);
    let (org_type, subject, platforms): (_, _, &[&'static str]) = match employer.kind {
        EmployerKind::University => {
            (OrgType::University, "我校", &["省级重点实验室", "工程技术研究中心", "校企联合实验室", "产业技术研究院"])
        }
        _ => {
            let subject = if employer.name.ends_with('所') {
                "我所"
            } else if employer.name.ends_with("中心") {
                "我中心"
            } else {
                "我院"
            };
            (OrgType::Institute, subject, &["省级重点实验室", "工程技术研究中心", "中试基地"])
        }
    };
    taken.names.insert(employer.name.to_string());
    let code = credit_code(rng, "12", employer.county, taken);
    let input = org(org_type, employer.name.to_string(), employer.county, industry, code, rng);
    let platform = *rng.pick(platforms);
    Member { input, industry, profile: Profile::Lab { subject, platform } }
}

fn hospital(rng: &mut Rng, name: &str, county: &str, taken: &mut Taken) -> Member {
    taken.names.insert(name.to_string());
    let code = credit_code(rng, "12", county, taken);
    let input = org(OrgType::Hospital, name.to_string(), county, Ind::Pharma, code, rng);
    let platform = *rng.pick(&["国家药物临床试验机构", "临床医学研究中心", "转化医学中心"]);
    Member { input, industry: Ind::Pharma, profile: Profile::Lab { subject: "我院", platform } }
}
