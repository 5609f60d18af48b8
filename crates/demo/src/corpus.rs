//! A synthetic corpus of any size for benchmarks (`kejiyun bench match`): offers (capabilities and
//! achievements) and needs, built combinationally from the per-industry vocabulary of
//! `industries.rs` (fields, keywords, topics, template sentences) with generic methods,
//! technologies, problems and places, so that texts vary like real listings and every need has
//! offers of its own industry that share its words.
//!
//! Every item is a pure function of `(seed, id)`: the corpus is streamed (nothing is held), the
//! same seed gives the same corpus, and any item can be regenerated alone from its id.

use crate::industries::{INDUSTRIES, Industry};
use crate::rng::Rng;

/// One generated listing. `kind` is `capability`, `achievement` or `need`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusItem {
    pub id: u64,
    pub kind: &'static str,
    pub title: String,
    pub description: String,
    pub industry: &'static str,
    pub keywords: Vec<String>,
}

/// Bounds of generated texts, in characters.
pub const TITLE_CHARS: (usize, usize) = (8, 30);
pub const DESCRIPTION_CHARS: (usize, usize) = (60, 200);

/// Offers with ids `1..=n`, in id order.
pub fn offers(seed: u64, n: usize) -> impl Iterator<Item = CorpusItem> {
    (1..=n as u64).map(move |id| offer(seed, id))
}

/// Needs with ids `1..=n` (a stream independent of the offers of the same seed).
pub fn needs(seed: u64, n: usize) -> impl Iterator<Item = CorpusItem> {
    (1..=n as u64).map(move |id| need(seed, id))
}

/// The offer with this id (as yielded by [`offers`]).
pub fn offer(seed: u64, id: u64) -> CorpusItem {
    let mut rng = item_rng(seed, id, 0x006F_6666_6572);
    let ind = industry(&mut rng);
    if rng.percent(65) { capability(&mut rng, id, ind) } else { achievement(&mut rng, id, ind) }
}

/// The need with this id (as yielded by [`needs`]).
pub fn need(seed: u64, id: u64) -> CorpusItem {
    let mut rng = item_rng(seed, id, 0x6E65_6564);
    let ind = industry(&mut rng);
    need_item(&mut rng, id, ind)
}

fn item_rng(seed: u64, id: u64, stream: u64) -> Rng {
    // Decorrelate neighbouring ids: one SplitMix step over a mix of the three.
    let mut mix = Rng::new(seed ^ stream.rotate_left(32) ^ id.wrapping_mul(0xD1B5_4A32_D192_ED03));
    Rng::new(mix.next_u64())
}

/// Relative sizes of the industries, in the order of `INDUSTRIES` (bigger sectors list more).
const INDUSTRY_WEIGHTS: [u32; 23] = [8, 4, 2, 4, 8, 3, 9, 6, 5, 6, 3, 6, 3, 5, 3, 7, 4, 5, 6, 8, 4, 6, 3];

fn industry(rng: &mut Rng) -> &'static Industry {
    &INDUSTRIES[rng.weighted(&INDUSTRY_WEIGHTS)]
}

const PLACES: &[&str] = &[
    "成都",
    "自贡",
    "攀枝花",
    "泸州",
    "德阳",
    "绵阳",
    "广元",
    "遂宁",
    "内江",
    "乐山",
    "南充",
    "眉山",
    "宜宾",
    "广安",
    "达州",
    "雅安",
    "巴中",
    "资阳",
    "阿坝",
    "甘孜",
    "凉山",
    "天府新区",
    "成都高新区",
    "绵阳科技城",
    "宜宾三江新区",
];
const METHODS: &[&str] = &[
    "智能化",
    "数字化",
    "绿色",
    "低碳",
    "高效",
    "精准",
    "在线",
    "新型",
    "低成本",
    "自动化",
    "模块化",
    "连续化",
    "柔性",
    "高值化",
    "标准化",
    "快速",
    "无损",
    "节能型",
    "一体化",
    "轻量化",
];
const TECHS: &[&str] = &[
    "机器视觉",
    "物联网",
    "大数据分析",
    "人工智能",
    "数字孪生",
    "膜分离",
    "微生物发酵",
    "近红外光谱",
    "区块链溯源",
    "北斗定位",
    "边缘计算",
    "余热回收",
    "超临界萃取",
    "低温等离子",
    "深度学习",
    "高通量测序",
    "3D打印",
    "激光加工",
    "热泵",
    "光伏储能",
    "超声波",
    "微波干燥",
    "酶解",
    "纳米材料",
    "工业机器人",
    "无人机遥感",
    "有限元仿真",
    "5G通信",
];
const SERVICES: &[&str] = &[
    "技术服务",
    "关键技术",
    "工艺优化",
    "解决方案",
    "检测评价",
    "装备研制",
    "系统开发",
    "咨询服务",
    "中试验证",
    "示范应用",
    "成套技术",
    "集成应用",
    "技术攻关",
    "质量控制",
];
const SYSTEMS: &[&str] = &["系统", "平台", "装置", "装备", "软件", "生产线", "监测系统", "控制系统"];
const ACTIONS: &[&str] = &["制备", "检测", "处理", "控制", "评价", "加工", "提取", "改性", "回收", "识别"];
const PROBLEMS: &[&str] = &[
    "成本偏高",
    "效率偏低",
    "质量不稳定",
    "能耗高",
    "依赖人工经验",
    "损耗大",
    "排放难以稳定达标",
    "产品同质化严重",
    "检测周期长",
    "良品率低",
    "附加值低",
    "设备老化",
    "数据无法共享",
    "批次差异大",
    "安全隐患多",
];
const BENEFITS: &[&str] = &[
    "降低生产成本",
    "提高产品合格率",
    "缩短研发周期",
    "减少能源消耗",
    "提升自动化水平",
    "实现稳定达标排放",
    "延长产品保质期",
    "提高资源利用率",
    "减少人工投入",
    "提升品牌附加值",
];
const METRICS: &[&str] = &["生产效率", "产品收率", "合格率", "能效", "检测精度", "资源利用率", "处理能力"];
const PARTNERS: &[&str] = &["高校院所", "科研团队", "科技型企业", "省内外专家", "技术服务机构"];
const ENDINGS: &[&str] = &[
    "欢迎有意向的企业洽谈合作。",
    "可提供技术培训和后续服务。",
    "欢迎实地考察交流。",
    "合作方式可协商。",
    "欢迎有相关成果的单位联系对接。",
    "可先提供技术方案，经费根据效果协商。",
];

/// One word of a non-empty table.
fn word(rng: &mut Rng, words: &'static [&'static str]) -> &'static str {
    words[rng.below(words.len())]
}

/// One of the industry's own terms: a field or a keyword of one of its templates.
fn subject(rng: &mut Rng, ind: &'static Industry) -> &'static str {
    match rng.below(4) {
        0 => word(rng, ind.fields),
        1 => {
            let tpl = rng.pick(ind.needs);
            word(rng, tpl.keywords)
        }
        2 => {
            let tpl = rng.pick(ind.capabilities);
            word(rng, tpl.keywords)
        }
        _ => {
            let tpl = rng.pick(ind.achievements);
            word(rng, tpl.keywords)
        }
    }
}

fn keywords(rng: &mut Rng, ind: &'static Industry, first: &str, tech: &str) -> Vec<String> {
    let mut out = vec![first.to_string()];
    for candidate in [subject(rng, ind), tech, word(rng, ind.fields)] {
        if out.len() < 4 && !out.iter().any(|k| k == candidate) && (out.len() < 2 || rng.percent(60)) {
            out.push(candidate.to_string());
        }
    }
    out
}

/// A title within [`TITLE_CHARS`]: short ones get a place in front, long ones fall back to `plain`.
fn fit_title(rng: &mut Rng, title: String, plain: &str) -> String {
    let title = if title.chars().count() > TITLE_CHARS.1 { plain.to_string() } else { title };
    let mut title = title;
    while title.chars().count() < TITLE_CHARS.0 {
        title = format!("{}{title}", rng.pick(PLACES));
    }
    if title.chars().count() > TITLE_CHARS.1 {
        title = title.chars().take(TITLE_CHARS.1).collect();
    }
    title
}

/// Joins sentences drawn from `next` until a length drawn in [`DESCRIPTION_CHARS`] is reached,
/// never passing the maximum (a sentence that does not fit, or is already there, is skipped).
fn describe(rng: &mut Rng, first: String, mut next: impl FnMut(&mut Rng) -> String) -> String {
    let target = DESCRIPTION_CHARS.0 + rng.below(DESCRIPTION_CHARS.1 - DESCRIPTION_CHARS.0 + 1);
    let mut text = String::new();
    let mut len = 0;
    let mut sentence = first;
    for _ in 0..24 {
        let n = sentence.chars().count();
        if len + n <= DESCRIPTION_CHARS.1 && !text.contains(&sentence) {
            text.push_str(&sentence);
            len += n;
        }
        if len >= target {
            break;
        }
        sentence = next(rng);
    }
    // Rarely short after skipping: pad with short generic sentences.
    while len < DESCRIPTION_CHARS.0 {
        let s = rng.pick(ENDINGS);
        text.push_str(s);
        len += s.chars().count();
    }
    text
}

fn capability(rng: &mut Rng, id: u64, ind: &'static Industry) -> CorpusItem {
    let tpl = rng.pick(ind.capabilities);
    let subj = subject(rng, ind);
    let tech = rng.pick(TECHS);
    let method = rng.pick(METHODS);
    let service = rng.pick(SERVICES);
    let place = rng.pick(PLACES);
    let title = match rng.below(5) {
        0 => tpl.topic.to_string(),
        1 => format!("{method}{subj}{service}"),
        2 => format!("{tech}在{subj}中的应用"),
        3 => format!("{place}{}{subj}{service}", ind.name),
        _ => format!("面向{}的{tech}{service}", ind.name),
    };
    let title = fit_title(rng, title, tpl.topic);
    let first = match rng.below(3) {
        0 => tpl.body.to_string(),
        1 => format!("团队长期从事{}领域研究，在{subj}方面积累了丰富经验。", rng.pick(ind.fields)),
        _ => format!("可为{place}及周边{}企业提供{subj}{service}。", ind.name),
    };
    let description = describe(rng, first, |rng| match rng.below(6) {
        0 => format!("拥有{}等分析平台，可开展{}的{}。", rng.pick(TECHS), subject(rng, ind), rng.pick(SERVICES)),
        1 => format!("已为{}家企业提供服务，帮助企业{}。", rng.between(3, 120), rng.pick(BENEFITS)),
        2 => format!("主要方向包括{}、{}和{}。", subject(rng, ind), subject(rng, ind), rng.pick(ind.fields)),
        3 => format!("可承担{}{}项目，提供从方案设计到现场实施的全过程服务。", rng.pick(METHODS), subject(rng, ind)),
        4 => rng.pick(ind.capabilities).body.to_string(),
        _ => rng.pick(ENDINGS).to_string(),
    });
    CorpusItem {
        id,
        kind: "capability",
        title,
        description,
        industry: ind.name,
        keywords: keywords(rng, ind, subj, tech),
    }
}

fn achievement(rng: &mut Rng, id: u64, ind: &'static Industry) -> CorpusItem {
    let tpl = rng.pick(ind.achievements);
    let subj = subject(rng, ind);
    let tech = rng.pick(TECHS);
    let method = rng.pick(METHODS);
    let title = match rng.below(4) {
        0 => tpl.title.to_string(),
        1 => format!("一种{method}{subj}的{}方法", rng.pick(ACTIONS)),
        2 => format!("基于{tech}的{subj}{}", rng.pick(SYSTEMS)),
        _ => format!("{subj}{method}{}关键技术及产业化", rng.pick(ACTIONS)),
    };
    let title = fit_title(rng, title, tpl.title);
    let first = match rng.below(2) {
        0 => tpl.body.to_string(),
        _ => format!("本成果采用{tech}，实现了{subj}的{method}{}。", rng.pick(ACTIONS)),
    };
    let description = describe(rng, first, |rng| match rng.below(5) {
        0 => format!("与传统工艺相比，{}提高{}%以上。", rng.pick(METRICS), rng.between(10, 60)),
        1 => format!("已在{}等地{}家企业推广应用。", rng.pick(PLACES), rng.between(2, 40)),
        2 => format!("获授权发明专利{}项，适用于{}和{}。", rng.between(1, 8), subject(rng, ind), subject(rng, ind)),
        3 => rng.pick(ind.achievements).body.to_string(),
        _ => rng.pick(ENDINGS).to_string(),
    });
    CorpusItem {
        id,
        kind: "achievement",
        title,
        description,
        industry: ind.name,
        keywords: keywords(rng, ind, subj, tech),
    }
}

fn need_item(rng: &mut Rng, id: u64, ind: &'static Industry) -> CorpusItem {
    let tpl = rng.pick(ind.needs);
    let subj = subject(rng, ind);
    let problem = rng.pick(PROBLEMS);
    let place = rng.pick(PLACES);
    let title = match rng.below(5) {
        0 => format!("{}技术需求", tpl.topic),
        1 => format!("寻求{subj}{}", rng.pick(SERVICES)),
        2 => format!("{subj}{problem}问题求解"),
        3 => format!("{place}{}企业{subj}技术需求", ind.name),
        _ => format!("{}{subj}改造", rng.pick(METHODS)),
    };
    let title = fit_title(rng, title, tpl.topic);
    let first =
        format!("我公司位于{place}，主要从事{}，现有员工约{}人。", rng.pick(ind.business), rng.between(20, 1500));
    let description = describe(rng, first, |rng| match rng.below(5) {
        0 => tpl.problem.replace("{n}", &rng.between(tpl.n.0, tpl.n.1).to_string()),
        1 => format!("目前{}环节{}，{}。", subject(rng, ind), rng.pick(PROBLEMS), rng.pick(PROBLEMS)),
        2 => tpl.goal.to_string(),
        3 => format!(
            "希望与{}合作，引进{}或{}{}技术，{}。",
            rng.pick(PARTNERS),
            rng.pick(TECHS),
            rng.pick(METHODS),
            subject(rng, ind),
            rng.pick(BENEFITS)
        ),
        _ => rng.pick(ENDINGS).to_string(),
    });
    let mut kw: Vec<String> = tpl.keywords.iter().map(|k| k.to_string()).collect();
    if !kw.iter().any(|k| k == subj) {
        kw.push(subj.to_string());
    }
    CorpusItem { id, kind: "need", title, description, industry: ind.name, keywords: kw }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_of_the_requested_size() {
        let a: Vec<CorpusItem> = offers(7, 3000).collect();
        let b: Vec<CorpusItem> = offers(7, 3000).collect();
        assert_eq!(a.len(), 3000);
        assert_eq!(a, b);
        assert_eq!(needs(7, 250).count(), 250);
        assert_eq!(needs(7, 250).collect::<Vec<_>>(), needs(7, 250).collect::<Vec<_>>());
        assert_eq!(offers(0, 0).count(), 0);
        // Ids run 1..=n and each item regenerates alone.
        assert!(a.iter().enumerate().all(|(i, it)| it.id == i as u64 + 1));
        assert_eq!(offer(7, 1234), a[1233]);
        // Another seed, another corpus.
        let c: Vec<CorpusItem> = offers(8, 100).collect();
        assert_ne!(a[..100], c[..]);
    }

    #[test]
    fn texts_stay_within_bounds_and_vary() {
        let items: Vec<CorpusItem> = offers(2026, 5000).chain(needs(2026, 1000)).collect();
        for it in &items {
            let t = it.title.chars().count();
            let d = it.description.chars().count();
            assert!((TITLE_CHARS.0..=TITLE_CHARS.1).contains(&t), "title {t}: {}", it.title);
            assert!((DESCRIPTION_CHARS.0..=DESCRIPTION_CHARS.1).contains(&d), "description {d}: {}", it.description);
            assert!(!it.keywords.is_empty());
            assert!(INDUSTRIES.iter().any(|i| i.name == it.industry));
        }
        let titles: std::collections::HashSet<&str> = items.iter().map(|i| i.title.as_str()).collect();
        let descriptions: std::collections::HashSet<&str> = items.iter().map(|i| i.description.as_str()).collect();
        assert!(titles.len() > items.len() / 2, "{} distinct titles", titles.len());
        assert!(descriptions.len() > items.len() * 9 / 10, "{} distinct descriptions", descriptions.len());
        for kind in ["capability", "achievement", "need"] {
            assert!(items.iter().any(|i| i.kind == kind));
        }
    }
}
