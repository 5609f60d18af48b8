//! View models: what templates show, computed in Rust so templates stay simple.

use kejiyun_domain::item::{AchievementType, Availability, Maturity, Mode};
use kejiyun_domain::page::Page;
use kejiyun_domain::time::display;
use kejiyun_domain::{Item, ItemKind, RegionLevel, regions};

/// An item in a list.
pub struct Card {
    pub href: String,
    pub kind_label: &'static str,
    pub kind_code: &'static str,
    pub title: String,
    pub snippet: String,
    pub owner_name: String,
    pub region_name: String,
    pub industry: String,
    pub date: String,
    pub status_code: &'static str,
    pub status_label: &'static str,
    pub amount: String,
    pub modes: String,
}

impl Card {
    pub fn of(item: &Item) -> Card {
        let snippet: String = item.description.chars().take(90).collect();
        let snippet = if item.description.chars().count() > 90 { format!("{snippet}…") } else { snippet };
        Card {
            href: format!("/{}/{}", item.kind.slug(), item.id),
            kind_label: item.kind.label(),
            kind_code: item.kind.code(),
            title: item.title.clone(),
            snippet,
            owner_name: item.owner_name.clone(),
            region_name: regions().short_name(&item.region_code),
            industry: item.industry.clone().unwrap_or_default(),
            date: display(item.published_at.unwrap_or(item.updated_at)).chars().take(10).collect(),
            status_code: item.status.code(),
            status_label: item.status.label(),
            amount: format!("{}：{}", item.kind.amount_label(), item.amount_text()),
            modes: item.modes.iter().map(|m| m.label()).collect::<Vec<_>>().join("、"),
        }
    }
}

/// Detail rows (label, value) of an item, skipping empty ones.
pub fn detail_rows(item: &Item) -> Vec<(&'static str, String)> {
    let mut rows: Vec<(&'static str, String)> = vec![
        ("类别", item.kind.label().to_string()),
        ("发布者", item.owner_name.clone()),
        ("所在地区", regions().full_name(&item.region_code)),
    ];
    let mut push = |label: &'static str, value: String| {
        if !value.is_empty() {
            rows.push((label, value));
        }
    };
    push("行业", item.industry.clone().unwrap_or_default());
    push("关键词", item.keywords.join("、"));
    push(item.kind.modes_label(), item.modes.iter().map(|m| m.label()).collect::<Vec<_>>().join("、"));
    push(item.kind.amount_label(), item.amount_text());
    push("截止日期", item.deadline.map(|d| d.to_string()).unwrap_or_default());
    push("学科", item.discipline.clone().unwrap_or_default());
    push("技术领域", item.fields.join("、"));
    push("服务区域", item.service_area.iter().map(|c| regions().short_name(c)).collect::<Vec<_>>().join("、"));
    push("可对接情况", item.availability.map(|a| a.label().to_string()).unwrap_or_default());
    push("成果类型", item.achievement_type.map(|a| a.label().to_string()).unwrap_or_default());
    push("专利/登记号", item.registration_no.clone().unwrap_or_default());
    push("成熟度", item.maturity.map(|a| a.label().to_string()).unwrap_or_default());
    push("发布时间", item.published_at.map(display).unwrap_or_default());
    rows
}

/// A `<option>` of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Region choices: prefectures with their counties indented, for selects.
pub fn region_choices(selected: &str, with_province: bool) -> Vec<Choice> {
    let tree = regions();
    let mut out = Vec::new();
    let province = tree.province();
    if with_province {
        out.push(Choice {
            value: province.code.clone(),
            label: province.name.clone(),
            selected: selected == province.code,
        });
    }
    for city in tree.children(&province.code) {
        out.push(Choice { value: city.code.clone(), label: city.name.clone(), selected: selected == city.code });
        for county in tree.children(&city.code) {
            debug_assert_eq!(county.level, RegionLevel::County);
            out.push(Choice {
                value: county.code.clone(),
                label: format!("　{}", county.name),
                selected: selected == county.code,
            });
        }
    }
    out
}

/// Only the 市/州 level, for list filters.
pub fn city_choices(selected: &str) -> Vec<Choice> {
    let tree = regions();
    let mut out = vec![Choice { value: String::new(), label: "全省".into(), selected: selected.is_empty() }];
    for city in tree.children(&tree.province().code) {
        out.push(Choice { value: city.code.clone(), label: city.name.clone(), selected: selected == city.code });
    }
    out
}

pub fn mode_choices(kind: Option<ItemKind>, selected: &[String]) -> Vec<Choice> {
    let modes: &[Mode] = match kind {
        Some(k) => k.allowed_modes(),
        None => Mode::ALL,
    };
    modes
        .iter()
        .map(|m| Choice {
            value: m.code().into(),
            label: m.label().into(),
            selected: selected.iter().any(|s| s == m.code()),
        })
        .collect()
}

pub fn vocabulary_choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
    selected: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice { value: code(*v).into(), label: label(*v).into(), selected: selected == code(*v) })
        .collect()
}

pub fn type_choices(selected: &str) -> Vec<Choice> {
    vocabulary_choices(AchievementType::ALL, AchievementType::code, AchievementType::label, selected)
}

pub fn maturity_choices(selected: &str) -> Vec<Choice> {
    vocabulary_choices(Maturity::ALL, Maturity::code, Maturity::label, selected)
}

pub fn availability_choices(selected: &str) -> Vec<Choice> {
    vocabulary_choices(Availability::ALL, Availability::code, Availability::label, selected)
}

/// Page links of a list: (number, href, current).
pub struct Pager {
    pub prev: Option<String>,
    pub next: Option<String>,
    pub current: u32,
    pub pages: u32,
    pub total: i64,
}

impl Pager {
    /// `base` is the list URL with its filters, ending in `?` or `&`.
    pub fn of<T>(page: &Page<T>, base: &str) -> Pager {
        let pages = page.total_pages().max(1);
        Pager {
            prev: (page.page > 1).then(|| format!("{base}page={}", page.page - 1)),
            next: (page.page < pages).then(|| format!("{base}page={}", page.page + 1)),
            current: page.page,
            pages,
            total: page.total,
        }
    }
}
