//! 行政区划: arbitrary text as a region code and as a region name against the shipped tree, and
//! as a region file (`RegionTree::from_csv`). Never a panic or a hang; an unknown code is a 422
//! invalid_region with a Chinese message quoting at most 12 characters of the input; a known code
//! lies in the province, under its parent and within its own subtree prefix; a region file that
//! is accepted can be walked (every region's path ends at a root).
#![no_main]

use kejiyun_domain::region::RegionTree;
use kejiyun_domain::{Code, RegionLevel, regions};
use kejiyun_fuzz::assert_clear_4xx;
use libfuzzer_sys::fuzz_target;

fn check_code(text: &str) {
    let tree = regions();
    let province = tree.province();
    match tree.require(text) {
        Ok(r) => {
            assert_eq!(r.code, text);
            assert!(tree.is_within(text, &province.code), "{text} outside the province");
            assert!(text.starts_with(r.subtree_prefix()), "{text} outside its own subtree");
            let path = tree.path(text);
            assert_eq!(path.first().map(|p| p.code.as_str()), Some(province.code.as_str()), "path of {text}");
            assert_eq!(path.last().map(|p| p.code.as_str()), Some(text), "path of {text}");
            if let Some(parent) = &r.parent_code {
                assert!(tree.is_within(text, parent), "{text} outside its parent");
                assert!(tree.children(parent).iter().any(|c| c.code == text), "{text} not a child of {parent}");
            }
            assert!(!tree.full_name(text).is_empty() && !tree.short_name(text).is_empty());
        }
        Err(e) => {
            assert_eq!(e.code, Code::InvalidRegion, "{e:?}");
            assert_clear_4xx(&e, "require");
            let quoted = e.message.split_once('：').map_or(0, |(_, q)| q.chars().count());
            assert!(quoted <= 12, "the refusal quotes {quoted} characters of the input");
            assert!(tree.path(text).is_empty() && tree.children(text).is_empty());
            assert_eq!(tree.full_name(text), text);
        }
    }
    if let Some(r) = tree.find_by_name(text) {
        assert!(tree.get(&r.code).is_some(), "found a region outside the tree");
        assert!(r.level != RegionLevel::Province || r.name == text.trim(), "{text:?} found the province");
    }
}

fn check_file(text: &str) {
    let Ok(tree) = RegionTree::from_csv(text) else { return };
    assert_eq!(tree.all().count(), tree.len());
    for r in tree.all() {
        assert!(r.code.len() == 6 && r.code.bytes().all(|b| b.is_ascii_digit()), "code {:?}", r.code);
        let path = tree.path(&r.code);
        assert!(path.len() <= tree.len(), "path of {} longer than the tree", r.code);
        assert_eq!(path.last().map(|p| p.code.as_str()), Some(r.code.as_str()));
        assert!(path.first().is_some_and(|root| root.parent_code.is_none()), "path of {} has no root", r.code);
        let _ = (tree.full_name(&r.code), tree.short_name(&r.code), r.subtree_prefix());
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    check_code(text);
    check_file(text);
});
