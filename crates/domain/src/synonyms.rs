//! Synonym and related-term groups (酒糟/白酒糟/丢糟, 锂电/锂离子电池, 无人机/UAV …) that let a need
//! written in everyday words find offers written in technical terms. The platform ships a base
//! list (`data/synonyms.txt`); admins add groups at run time, without a rebuild.

use crate::error::{Error, Result};

const SHIPPED: &str = include_str!("../../../data/synonyms.txt");

/// Most terms one query may be expanded with (long needs mention many terms).
const MAX_EXPANSIONS: usize = 40;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
}

impl Synonyms {
    /// One group per line, terms separated by blanks or commas; `#` starts a comment line.
    pub fn parse(text: &str) -> Synonyms {
        let groups = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(split_terms)
            .filter(|g| g.len() >= 2)
            .collect();
        Synonyms { groups }
    }

    /// The list shipped with the platform.
    pub fn shipped() -> Synonyms {
        Synonyms::parse(SHIPPED)
    }

    /// This list plus more groups (e.g. those admins added).
    pub fn with_groups(mut self, extra: impl IntoIterator<Item = Vec<String>>) -> Synonyms {
        self.groups.extend(extra.into_iter().filter(|g| g.len() >= 2));
        self
    }

    pub fn groups(&self) -> &[Vec<String>] {
        &self.groups
    }

    /// Terms related to what `text` mentions that `text` does not already contain.
    pub fn expand(&self, text: &str) -> Vec<String> {
        let lower = text.to_lowercase();
        let mut out: Vec<String> = Vec::new();
        for group in &self.groups {
            if !group.iter().any(|t| lower.contains(&t.to_lowercase())) {
                continue;
            }
            for term in group {
                if !lower.contains(&term.to_lowercase()) && !out.contains(term) && out.len() < MAX_EXPANSIONS {
                    out.push(term.clone());
                }
            }
        }
        out
    }
}

fn split_terms(line: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in line.split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、')).filter(|t| !t.is_empty()) {
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    out
}

/// Checks a group an admin adds: 2–20 distinct terms of 1–20 characters.
pub fn validate_group(terms: &[String]) -> Result<Vec<String>> {
    let group = split_terms(&terms.join(" "));
    if group.len() < 2 || group.len() > 20 {
        return Err(Error::field("terms", "同义词组应包含2到20个不同的词"));
    }
    if group.iter().any(|t| t.chars().count() > 20 || t.chars().any(char::is_control)) {
        return Err(Error::field("terms", "每个词不能超过20个字"));
    }
    Ok(group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colloquial_words_expand_to_technical_terms() {
        let s = Synonyms::shipped();
        let e = s.expand("酒渣堆在厂里发臭怎么处理");
        for term in ["白酒糟", "丢糟", "酒糟", "除臭"] {
            assert!(e.iter().any(|t| t == term), "{term} not in {e:?}");
        }
        assert!(!e.iter().any(|t| t == "酒渣"), "terms already present are not repeated");
        assert!(s.expand("uav 巡检").iter().any(|t| t == "无人机"), "case-insensitive");
        assert!(s.expand("完全无关的句子").is_empty());
    }

    #[test]
    fn admin_groups_extend_the_list_and_are_checked() {
        let s = Synonyms::parse("# comment\nA B\n单独\n").with_groups([vec!["彩灯".into(), "灯组".into()]]);
        assert_eq!(s.groups().len(), 2);
        assert_eq!(s.expand("自贡彩灯"), vec!["灯组"]);
        assert!(validate_group(&["只有一个".into()]).is_err());
        assert!(validate_group(&["同一个".into(), "同一个".into()]).is_err());
        assert_eq!(validate_group(&["锂电，锂电池".into(), "动力电池".into()]).ok().map(|g| g.len()), Some(3));
    }
}
