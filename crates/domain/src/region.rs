//! Sichuan's administrative divisions (GB/T 2260), loaded once from the CSV shipped in `data/`.
//!
//! Codes are hierarchical: `51` province, `5101` prefecture, `510104` county. A region's subtree
//! therefore is every code that starts with its significant prefix, which lets storage filter a
//! subtree with one parameterised `LIKE 'prefix%'` instead of a list of codes.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Serialize;

use crate::error::{Code, Error};

const REGIONS_CSV: &str = include_str!("../../../data/regions-sichuan.csv");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    Prefecture,
    County,
}

impl RegionLevel {
    pub fn label(self) -> &'static str {
        match self {
            RegionLevel::Province => "省",
            RegionLevel::Prefecture => "市（州）",
            RegionLevel::County => "县（区）",
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
    pub parent_code: Option<String>,
    pub name_pinyin: String,
}

impl Region {
    /// The prefix every code in this region's subtree starts with.
    pub fn subtree_prefix(&self) -> &str {
        match self.level {
            RegionLevel::Province => &self.code[..2],
            RegionLevel::Prefecture => &self.code[..4],
            RegionLevel::County => &self.code,
        }
    }
}

pub struct RegionTree {
    by_code: HashMap<String, Region>,
    ordered: Vec<String>,
}

#[derive(serde::Deserialize)]
struct CsvRow {
    code: String,
    name: String,
    level: String,
    parent_code: String,
    name_pinyin: String,
}

impl RegionTree {
    /// Parses the CSV format of `data/regions-sichuan.csv`.
    pub fn from_csv(text: &str) -> Result<Self, String> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut by_code = HashMap::new();
        let mut ordered = Vec::new();
        for row in reader.deserialize::<CsvRow>() {
            let row = row.map_err(|e| e.to_string())?;
            let level = match row.level.as_str() {
                "province" => RegionLevel::Province,
                "prefecture" => RegionLevel::Prefecture,
                "county" => RegionLevel::County,
                other => return Err(format!("unknown level {other} for {}", row.code)),
            };
            if row.code.len() != 6 || !row.code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("bad code {}", row.code));
            }
            if by_code.contains_key(&row.code) {
                return Err(format!("duplicate code {}", row.code));
            }
            let parent_code = (!row.parent_code.is_empty()).then_some(row.parent_code);
            ordered.push(row.code.clone());
            by_code.insert(
                row.code.clone(),
                Region { code: row.code, name: row.name, level, parent_code, name_pinyin: row.name_pinyin },
            );
        }
        // A parent is a level above its child (a county may sit directly under the province), so
        // the tree has no cycles and walking up from any region ends at the province.
        for region in by_code.values() {
            match region.parent_code.as_ref().map(|p| (p, by_code.get(p))) {
                None if region.level == RegionLevel::Province => {}
                None => return Err(format!("{} has no parent", region.code)),
                Some((parent, None)) => return Err(format!("{} has unknown parent {parent}", region.code)),
                Some((parent, Some(p))) if p.level >= region.level => {
                    return Err(format!("{} is not below its parent {parent}", region.code));
                }
                Some(_) => {}
            }
        }
        Ok(RegionTree { by_code, ordered })
    }

    pub fn get(&self, code: &str) -> Option<&Region> {
        self.by_code.get(code)
    }

    /// The region for `code`, or the `invalid_region` error users see.
    pub fn require(&self, code: &str) -> Result<&Region, Error> {
        self.get(code)
            .ok_or_else(|| Error::new(Code::InvalidRegion, format!("行政区划代码无效：{}", truncate(code, 12))))
    }

    pub fn province(&self) -> &Region {
        self.ordered
            .iter()
            .filter_map(|c| self.by_code.get(c))
            .find(|r| r.level == RegionLevel::Province)
            .unwrap_or_else(|| unreachable!("the shipped region file has a province"))
    }

    /// Direct children in file order (the official order).
    pub fn children(&self, code: &str) -> Vec<&Region> {
        self.ordered
            .iter()
            .filter_map(|c| self.by_code.get(c))
            .filter(|r| r.parent_code.as_deref() == Some(code))
            .collect()
    }

    pub fn all(&self) -> impl Iterator<Item = &Region> {
        self.ordered.iter().filter_map(|c| self.by_code.get(c))
    }

    pub fn len(&self) -> usize {
        self.ordered.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ordered.is_empty()
    }

    /// The region and its ancestors, root first.
    pub fn path(&self, code: &str) -> Vec<&Region> {
        let mut path = Vec::new();
        let mut current = self.get(code);
        while let Some(region) = current {
            path.push(region);
            current = region.parent_code.as_deref().and_then(|p| self.get(p));
        }
        path.reverse();
        path
    }

    /// Whether `code` lies in the subtree of `ancestor` (a region's subtree includes itself).
    pub fn is_within(&self, code: &str, ancestor: &str) -> bool {
        self.path(code).iter().any(|r| r.code == ancestor)
    }

    /// The region called `name`: its full name ("凉山彝族自治州") or a common short form
    /// ("凉山州", "凉山", "自贡"). Prefectures are preferred over counties of a similar name.
    pub fn find_by_name(&self, name: &str) -> Option<&Region> {
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        if let Some(r) = self.all().find(|r| r.name == name) {
            return Some(r);
        }
        let stem = name.trim_end_matches(['市', '州', '县', '区']);
        if stem.chars().count() < 2 {
            return None;
        }
        let by_level = |level| self.all().find(|r| r.level == level && r.name.starts_with(stem));
        by_level(RegionLevel::Prefecture).or_else(|| by_level(RegionLevel::County))
    }

    /// "四川省 自贡市 荣县" style full name; the code itself when unknown.
    pub fn full_name(&self, code: &str) -> String {
        let path = self.path(code);
        if path.is_empty() {
            return code.to_string();
        }
        path.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// Short display: city and county names without the province ("自贡市 荣县").
    pub fn short_name(&self, code: &str) -> String {
        let path = self.path(code);
        let names: Vec<&str> =
            path.iter().filter(|r| r.level != RegionLevel::Province).map(|r| r.name.as_str()).collect();
        if names.is_empty() { path.first().map(|r| r.name.clone()).unwrap_or_default() } else { names.join(" ") }
    }
}

fn truncate(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

static REGIONS: LazyLock<RegionTree> = LazyLock::new(|| {
    RegionTree::from_csv(REGIONS_CSV).unwrap_or_else(|e| panic!("shipped data/regions-sichuan.csv is invalid: {e}"))
});

/// The region tree shipped with the platform.
pub fn regions() -> &'static RegionTree {
    &REGIONS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_tree_has_official_counts() {
        let tree = regions();
        assert_eq!(tree.len(), 205);
        assert_eq!(tree.province().code, "510000");
        assert_eq!(tree.children("510000").len(), 21);
        let counties = tree.all().filter(|r| r.level == RegionLevel::County).count();
        assert_eq!(counties, 183);
    }

    #[test]
    fn subtree_membership_and_prefixes() {
        let tree = regions();
        assert!(tree.is_within("510104", "510100"));
        assert!(tree.is_within("510104", "510000"));
        assert!(tree.is_within("510104", "510104"));
        assert!(!tree.is_within("510104", "510300"));
        assert!(!tree.is_within("510100", "510104"));
        assert_eq!(tree.get("510000").map(|r| r.subtree_prefix()), Some("51"));
        assert_eq!(tree.get("510300").map(|r| r.subtree_prefix()), Some("5103"));
        assert_eq!(tree.get("510321").map(|r| r.subtree_prefix()), Some("510321"));
        assert_eq!(tree.full_name("510321"), "四川省 自贡市 荣县");
        assert_eq!(tree.short_name("510321"), "自贡市 荣县");
    }

    #[test]
    fn regions_are_found_by_full_and_short_names() {
        let code = |n: &str| regions().find_by_name(n).map(|r| r.code.clone());
        assert_eq!(code("凉山州").as_deref(), Some("513400"));
        assert_eq!(code("凉山彝族自治州").as_deref(), Some("513400"));
        assert_eq!(code("自贡").as_deref(), Some("510300"));
        assert_eq!(code("荣县").as_deref(), Some("510321"));
        assert_eq!(code("北京市"), None);
        assert_eq!(code("市"), None);
    }

    #[test]
    fn unknown_codes_are_rejected_with_a_clear_error() {
        let err = regions().require("999999").err();
        assert_eq!(err.map(|e| e.code), Some(Code::InvalidRegion));
        assert!(regions().require("510104").is_ok());
    }

    #[test]
    fn broken_files_are_refused() {
        assert!(
            RegionTree::from_csv("code,name,level,parent_code,name_pinyin\n510100,成都市,prefecture,519999,cd\n")
                .is_err()
        );
        assert!(RegionTree::from_csv("code,name,level,parent_code,name_pinyin\n51x,x,province,,x\n").is_err());
    }

    #[test]
    fn region_files_with_cycles_or_duplicates_are_refused() {
        // Found by the `region_code` fuzz target: a parent cycle made `path` loop forever.
        let head = "code,name,level,parent_code,name_pinyin\n";
        for body in [
            "510000,四川省,province,510100,sc\n510100,成都市,prefecture,510000,cd\n",
            "510100,成都市,prefecture,510100,cd\n",
            "510000,四川省,province,,sc\n510100,成都市,prefecture,510104,cd\n510104,锦江区,county,510100,jj\n",
            "510000,四川省,province,,sc\n510100,成都市,prefecture,,cd\n",
            "510000,四川省,province,,sc\n510100,成都市,prefecture,510000,cd\n510100,成都,prefecture,510000,cd\n",
        ] {
            assert!(RegionTree::from_csv(&format!("{head}{body}")).is_err(), "{body}");
        }
        let direct = RegionTree::from_csv(&format!("{head}510000,四川省,province,,sc\n510199,某县,county,510000,x\n"));
        assert_eq!(direct.map(|t| t.full_name("510199")).ok().as_deref(), Some("四川省 某县"));
    }
}
