//! Who may do what. Every permission decision of the platform is one of these functions.

use crate::error::{Error, Result};
use crate::item::{Item, ItemKind, ItemStatus};
use crate::region::regions;
use crate::user::{Role, User};

/// Which roles publish which kinds: needs come from organisations; offers from experts or
/// organisations (labs, institutes).
pub fn can_publish(role: Role, kind: ItemKind) -> bool {
    match kind {
        ItemKind::Need => role == Role::Org,
        ItemKind::Capability | ItemKind::Achievement => matches!(role, Role::Expert | Role::Org),
    }
}

pub fn require_publisher(user: &User, kind: ItemKind) -> Result<()> {
    if can_publish(user.role, kind) {
        Ok(())
    } else {
        Err(Error::new(crate::Code::Forbidden, format!("{}不能发布{}", user.role.label(), kind.label())))
    }
}

/// An admin covers a region when it lies in the admin's scope subtree.
pub fn admin_covers(user: &User, region_code: &str) -> bool {
    user.admin_scope().is_some_and(|scope| regions().is_within(region_code, scope))
}

/// Anyone may read published items; owners read their own; admins read what their region covers.
pub fn can_view(viewer: Option<&User>, item: &Item) -> bool {
    if item.status == ItemStatus::Published {
        return true;
    }
    viewer.is_some_and(|u| u.id == item.owner_id || admin_covers(u, &item.region_code))
}

/// The error for an item the viewer may not see: 404, so that existence is not revealed, except
/// to admins (who may know items exist in other regions but not act on them).
pub fn hidden(viewer: Option<&User>) -> Error {
    if viewer.is_some_and(|u| u.role == Role::Admin) { Error::forbidden() } else { Error::not_found() }
}

/// Reading an item: `Ok` or the right 403/404.
pub fn check_view(viewer: Option<&User>, item: &Item) -> Result<()> {
    if can_view(viewer, item) { Ok(()) } else { Err(hidden(viewer)) }
}

/// Editing, submitting, closing and confirming are the owner's.
pub fn check_owner(user: &User, item: &Item) -> Result<()> {
    check_view(Some(user), item)?;
    if user.id == item.owner_id { Ok(()) } else { Err(Error::forbidden()) }
}

/// Admins close items in their region too (e.g. obsolete or improper content).
pub fn check_close(user: &User, item: &Item) -> Result<()> {
    if admin_covers(user, &item.region_code) {
        return Ok(());
    }
    check_owner(user, item)
}

/// Reviewing is for admins whose scope covers the item's region.
pub fn check_review(user: &User, item: &Item) -> Result<()> {
    if user.role != Role::Admin {
        return Err(if can_view(Some(user), item) { Error::forbidden() } else { hidden(Some(user)) });
    }
    if !admin_covers(user, &item.region_code) {
        return Err(Error::new(crate::Code::Forbidden, "该内容不在您的管辖区域内"));
    }
    Ok(())
}

/// Admins create staff accounts only inside their own scope.
pub fn check_create_staff(admin: &User, scope_region: &str) -> Result<()> {
    if admin_covers(admin, scope_region) {
        Ok(())
    } else {
        Err(Error::new(crate::Code::Forbidden, "只能在本级及下级区域创建账号"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::ItemStatus;

    fn user(id: i64, role: Role, region: &str) -> User {
        User {
            id,
            username: format!("u{id}"),
            role,
            display_name: "测试".into(),
            region_code: region.into(),
            scope_region_code: (role == Role::Admin).then(|| region.to_string()),
            phone: None,
            email: None,
            title: None,
            employer: None,
            disciplines: vec![],
            fields: vec![],
            org_name: None,
            credit_code: None,
            org_type: None,
            industry: None,
            created_at: Default::default(),
        }
    }

    fn item(owner: i64, region: &str, status: ItemStatus) -> Item {
        Item::sample(ItemKind::Need, owner, region, status)
    }

    #[test]
    fn review_needs_an_admin_whose_scope_covers_the_region() {
        let pending = item(1, "510321", ItemStatus::Pending);
        assert!(check_review(&user(2, Role::Admin, "510300"), &pending).is_ok());
        assert!(check_review(&user(3, Role::Admin, "510000"), &pending).is_ok());
        assert!(check_review(&user(4, Role::Admin, "510321"), &pending).is_ok());
        let other_county = check_review(&user(5, Role::Admin, "510322"), &pending).err();
        assert_eq!(other_county.map(|e| e.status()), Some(403));
        let other_city = check_review(&user(6, Role::Admin, "510100"), &pending).err();
        assert_eq!(other_city.map(|e| e.status()), Some(403));
        let owner = check_review(&user(1, Role::Org, "510321"), &pending).err();
        assert_eq!(owner.map(|e| e.status()), Some(403));
        let stranger = check_review(&user(7, Role::Org, "510321"), &pending).err();
        assert_eq!(stranger.map(|e| e.status()), Some(404));
    }

    #[test]
    fn only_owners_edit_and_unpublished_items_stay_hidden() {
        let draft = item(1, "510321", ItemStatus::Draft);
        assert!(check_owner(&user(1, Role::Org, "510321"), &draft).is_ok());
        assert_eq!(check_owner(&user(2, Role::Org, "510321"), &draft).err().map(|e| e.status()), Some(404));
        let published = item(1, "510321", ItemStatus::Published);
        assert_eq!(check_owner(&user(2, Role::Org, "510321"), &published).err().map(|e| e.status()), Some(403));
        assert!(can_view(None, &published));
        assert!(!can_view(None, &draft));
        assert!(check_close(&user(3, Role::Admin, "510300"), &published).is_ok());
    }

    #[test]
    fn publishing_rights_follow_roles() {
        assert!(can_publish(Role::Org, ItemKind::Need));
        assert!(!can_publish(Role::Expert, ItemKind::Need));
        assert!(can_publish(Role::Expert, ItemKind::Capability));
        assert!(can_publish(Role::Org, ItemKind::Achievement));
        assert!(!can_publish(Role::Public, ItemKind::Achievement));
        assert!(!can_publish(Role::Admin, ItemKind::Need));
    }
}
