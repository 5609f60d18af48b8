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

/// Whether a role publishes any kind at all (the 发布 menu).
pub fn can_publish_any(role: Role) -> bool {
    ItemKind::ALL.iter().any(|k| can_publish(role, *k))
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

/// The admins in charge of an item (who review, see unpublished and close it) are those above its
/// owner's region, whatever region the item names: an owner cannot pick a reviewer by naming one.
pub fn admin_in_charge(user: &User, item: &Item) -> bool {
    admin_covers(user, &item.owner_region_code)
}

/// Anyone may read published items; owners read their own; admins those in their charge.
pub fn can_view(viewer: Option<&User>, item: &Item) -> bool {
    if item.status == ItemStatus::Published {
        return true;
    }
    viewer.is_some_and(|u| u.id == item.owner_id || admin_in_charge(u, item))
}

/// The near-duplicate flag (可能重复) is a review note: for the owner and the admins in charge,
/// never for the public or other users.
pub fn sees_review_notes(viewer: Option<&User>, item: &Item) -> bool {
    viewer.is_some_and(|u| u.id == item.owner_id || admin_in_charge(u, item))
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
    if admin_in_charge(user, item) {
        return Ok(());
    }
    check_owner(user, item)
}

/// Reviewing is for the admins in charge (above the owner's region).
pub fn check_review(user: &User, item: &Item) -> Result<()> {
    if user.role != Role::Admin {
        return Err(if can_view(Some(user), item) { Error::forbidden() } else { hidden(Some(user)) });
    }
    if !admin_in_charge(user, item) {
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

/// How a user stands to a service order (or to an organisation's service work).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderRelation {
    /// The organisation served.
    Org,
    /// The organisation's assigned (lead) steward.
    Steward,
    /// An admin whose region covers the organisation.
    Admin,
    /// An expert (or organisation) proposed on the order.
    Provider,
}

/// What the rules need to know of a service order.
#[derive(Debug, Clone, Copy)]
pub struct OrderFacts<'a> {
    pub org_id: i64,
    pub steward_id: Option<i64>,
    pub region_code: &'a str,
    /// The viewer was proposed on this order.
    pub viewer_is_provider: bool,
}

/// Staff learn that something outside their charge exists (403); everyone else gets 404.
fn outside(user: &User) -> Error {
    if matches!(user.role, Role::Admin | Role::Steward) {
        Error::new(crate::Code::Forbidden, "该企业不在您的服务或管辖范围内")
    } else {
        Error::not_found()
    }
}

pub fn order_relation(user: &User, f: OrderFacts<'_>) -> Option<OrderRelation> {
    if user.id == f.org_id {
        Some(OrderRelation::Org)
    } else if user.role == Role::Steward && f.steward_id == Some(user.id) {
        Some(OrderRelation::Steward)
    } else if admin_covers(user, f.region_code) {
        Some(OrderRelation::Admin)
    } else if f.viewer_is_provider {
        Some(OrderRelation::Provider)
    } else {
        None
    }
}

/// Reading an order: the org, its steward, admins above it and proposed providers.
pub fn check_order_read(user: &User, f: OrderFacts<'_>) -> Result<OrderRelation> {
    order_relation(user, f).ok_or_else(|| outside(user))
}

/// Steward work on an order (proposing, moving it on, completing) is for the assigned steward
/// and the admins above the organisation.
pub fn check_order_manage(user: &User, f: OrderFacts<'_>) -> Result<OrderRelation> {
    match check_order_read(user, f)? {
        r @ (OrderRelation::Steward | OrderRelation::Admin) => Ok(r),
        _ => Err(Error::forbidden()),
    }
}

/// Closing is also the organisation's own choice.
pub fn check_order_close(user: &User, f: OrderFacts<'_>) -> Result<OrderRelation> {
    match check_order_read(user, f)? {
        OrderRelation::Provider => Err(Error::forbidden()),
        r => Ok(r),
    }
}

/// Rating is the organisation's alone.
pub fn check_order_rate(user: &User, f: OrderFacts<'_>) -> Result<()> {
    match check_order_read(user, f)? {
        OrderRelation::Org => Ok(()),
        _ => Err(Error::forbidden()),
    }
}

/// Opening an order: an organisation for itself, or its lead steward (or an admin above it) on
/// its behalf.
pub fn check_order_open(user: &User, org: &User, lead_steward: Option<i64>) -> Result<()> {
    if org.role != Role::Org {
        return Err(Error::field("org_id", "服务对象必须是企事业单位账号"));
    }
    if user.id == org.id || lead_steward == Some(user.id) || admin_covers(user, &org.region_code) {
        Ok(())
    } else if user.role == Role::Steward {
        Err(outside(user))
    } else {
        Err(Error::forbidden())
    }
}

/// Reading an organisation's service plan: the org itself, its lead steward, admins above it.
pub fn check_plan_read(user: &User, org: &User, lead_steward: Option<i64>) -> Result<()> {
    if user.id == org.id || lead_steward == Some(user.id) || admin_covers(user, &org.region_code) {
        Ok(())
    } else {
        Err(outside(user))
    }
}

/// Writing the plan and the contact log is the lead steward's job.
pub fn check_plan_write(user: &User, org: &User, lead_steward: Option<i64>) -> Result<()> {
    check_plan_read(user, org, lead_steward)?;
    if lead_steward == Some(user.id) { Ok(()) } else { Err(Error::forbidden()) }
}

/// An admin assigns a steward to an organisation: both in the admin's scope, and the organisation
/// within the steward's scope (set by admins, never by the steward).
pub fn check_assign_steward(admin: &User, org: &User, steward: &User) -> Result<()> {
    if admin.role != Role::Admin {
        return Err(Error::forbidden());
    }
    if org.role != Role::Org {
        return Err(Error::field("org_id", "只能为企事业单位指派科服专员"));
    }
    if steward.role != Role::Steward {
        return Err(Error::field("steward_id", "所选账号不是科服专员"));
    }
    let scope = steward.staff_scope().unwrap_or(&steward.region_code);
    if !admin_covers(admin, &org.region_code) || !admin_covers(admin, scope) {
        return Err(Error::new(crate::Code::Forbidden, "只能在本级及下级区域内指派科服专员"));
    }
    if !regions().is_within(&org.region_code, scope) {
        return Err(Error::new(crate::Code::Forbidden, "该企业不在这位科服专员的服务范围内").with_field("steward_id"));
    }
    Ok(())
}

/// What the rules need to know of a contract.
#[derive(Debug, Clone, Copy)]
pub struct ContractFacts<'a> {
    pub registered_by: i64,
    pub buyer_id: Option<i64>,
    pub seller_id: Option<i64>,
    pub region_code: &'a str,
    /// The steward of the service order the contract belongs to.
    pub order_steward_id: Option<i64>,
    /// The other party's account that must confirm it.
    pub confirm_by: Option<i64>,
    pub status: crate::contract::ContractStatus,
}

impl ContractFacts<'_> {
    fn involves(&self, user: &User) -> bool {
        [Some(self.registered_by), self.buyer_id, self.seller_id, self.order_steward_id].contains(&Some(user.id))
    }

    fn confirmed(&self) -> bool {
        crate::contract::is_confirmed(self.status)
    }
}

/// Contracts hold business secrets: parties, the registrant, the order's steward and the
/// admins above the buyer's region see them. Until the other party confirms, only the
/// registrant and that party (as a request to confirm) do.
pub fn check_contract_read(user: &User, f: ContractFacts<'_>) -> Result<()> {
    if !f.confirmed() {
        return if f.registered_by == user.id || f.confirm_by == Some(user.id) { Ok(()) } else { Err(outside(user)) };
    }
    if f.involves(user) || admin_covers(user, f.region_code) { Ok(()) } else { Err(outside(user)) }
}

/// Parties, the registrant and the order's steward keep a contract's records (attachment,
/// corrections, the project's milestones and progress); before confirmation, the registrant only.
pub fn check_contract_edit(user: &User, f: ContractFacts<'_>) -> Result<()> {
    check_contract_read(user, f)?;
    let allowed = if f.confirmed() { f.involves(user) } else { f.registered_by == user.id };
    if allowed { Ok(()) } else { Err(Error::forbidden()) }
}

/// Confirming (or declining) is the other party's alone.
pub fn check_contract_confirm(user: &User, f: ContractFacts<'_>) -> Result<()> {
    check_contract_read(user, f)?;
    if f.confirm_by == Some(user.id) {
        Ok(())
    } else {
        Err(Error::new(crate::Code::Forbidden, "只有合同另一方可以确认"))
    }
}

/// What the rules need to know of the service order a contract is registered for.
#[derive(Debug, Clone, Copy)]
pub struct OrderParties {
    pub org_id: i64,
    /// The provider whose proposal both sides accepted.
    pub accepted_provider: Option<i64>,
}

/// Who may register a contract: only one of its parties. For a service order, only the order's
/// org or the provider both sides accepted, with the other of the two as the other party.
/// Returns the account that must confirm it (the other party, when it is an account).
pub fn check_contract_register(
    user: &User,
    buyer_id: Option<i64>,
    seller_id: Option<i64>,
    order: Option<OrderParties>,
) -> Result<Option<i64>> {
    if let Some(o) = order {
        let pair = [Some(o.org_id), o.accepted_provider];
        if o.accepted_provider.is_none() || !pair.contains(&Some(user.id)) {
            return Err(Error::new(
                crate::Code::Forbidden,
                "只有服务单的企业或双方确认对接的专家可以登记该服务单的合同",
            ));
        }
        let parties = [buyer_id, seller_id];
        if !(parties.contains(&pair[0]) && parties.contains(&pair[1])) {
            return Err(Error::field("seller", "服务单的合同双方应为该企业和双方确认对接的专家"));
        }
    }
    let other = if buyer_id == Some(user.id) {
        seller_id
    } else if seller_id == Some(user.id) {
        buyer_id
    } else {
        return Err(Error::new(crate::Code::Forbidden, "只能登记本人（本单位）作为当事方的合同"));
    };
    Ok(other)
}

/// Verification is for admins whose region covers the buyer's.
pub fn check_contract_verify(user: &User, f: ContractFacts<'_>) -> Result<()> {
    check_contract_read(user, f)?;
    if admin_covers(user, f.region_code) {
        Ok(())
    } else {
        Err(Error::new(crate::Code::Forbidden, "只有合同所在地区的管理员可以核验"))
    }
}

/// 验收 is the buyer's; for an outside buyer, the order's steward or an admin above it.
pub fn check_milestone_accept(user: &User, f: ContractFacts<'_>) -> Result<()> {
    check_contract_read(user, f)?;
    let allowed = match f.buyer_id {
        Some(buyer) => buyer == user.id,
        None => f.order_steward_id == Some(user.id) || admin_covers(user, f.region_code),
    };
    if allowed { Ok(()) } else { Err(Error::new(crate::Code::Forbidden, "节点验收由委托方进行")) }
}

/// Who may ask to move an account to another region: experts, organisations and the public (staff
/// regions and scopes are set by the admins above them).
pub fn check_region_request(user: &User) -> Result<()> {
    if user.role.self_registrable() {
        Ok(())
    } else {
        Err(Error::new(crate::Code::Forbidden, "管理员和科服专员的所在地区由上级管理员设置"))
    }
}

/// A region change is decided by an admin above the account's current region, never by the
/// account itself.
pub fn check_region_decision(admin: &User, requester_id: i64, from_region: &str) -> Result<()> {
    check_admin(admin)?;
    if admin.id == requester_id || !admin_covers(admin, from_region) {
        return Err(Error::new(crate::Code::Forbidden, "只有申请人现所在地区的管理员可以审批"));
    }
    Ok(())
}

/// Service statistics are read by admins for their own region subtree.
pub fn check_stats(user: &User, region_code: &str) -> Result<()> {
    if admin_covers(user, region_code) {
        Ok(())
    } else {
        Err(Error::new(crate::Code::Forbidden, "只能查看本级及下级区域的统计"))
    }
}

/// Admin work (review queues, staff accounts, steward assignment, synonym lists) is for admins; each
/// action then checks that the object lies in the admin's scope.
pub fn check_admin(user: &User) -> Result<()> {
    if is_admin(user) { Ok(()) } else { Err(Error::forbidden()) }
}

/// 我的服务企业 is the stewards'.
pub fn check_steward(user: &User) -> Result<()> {
    if user.role == Role::Steward {
        Ok(())
    } else {
        Err(Error::new(crate::Code::Forbidden, "只有科服专员有服务企业列表"))
    }
}

/// Service orders are opened on pages by organisations and their stewards.
pub fn can_open_orders(role: Role) -> bool {
    matches!(role, Role::Org | Role::Steward)
}

pub fn check_order_form(user: &User) -> Result<()> {
    if can_open_orders(user.role) {
        Ok(())
    } else {
        Err(Error::new(crate::Code::Forbidden, "只有企事业单位和科服专员可以发起服务"))
    }
}

/// The audit log is read by admins, each within its scope (a region subtree): the region whose
/// records it may search and export.
pub fn audit_scope(user: &User) -> Result<&str> {
    user.admin_scope().ok_or_else(|| Error::new(crate::Code::Forbidden, "审计日志由管理员查看"))
}

/// The task queue (its dead tasks, retries) is the province admins'.
pub fn check_task_admin(user: &User) -> Result<()> {
    if user.admin_scope() == Some(regions().province().code.as_str()) {
        Ok(())
    } else {
        Err(Error::new(crate::Code::Forbidden, "任务队列由省级管理员查看"))
    }
}

/// Whether the user organises polls somewhere (the 发起投票 form); the region is checked on submit.
pub fn can_organise_polls(user: &User) -> bool {
    user.role == Role::Admin
}

pub fn check_poll_organiser(user: &User) -> Result<()> {
    if can_organise_polls(user) {
        Ok(())
    } else {
        Err(Error::new(crate::Code::Forbidden, "只有管理员可以发起投票"))
    }
}

/// Admins verify contracts in their region; others see their own.
pub fn verifies_contracts(user: &User) -> bool {
    user.role == Role::Admin
}

/// Admin pages (review, staff, stewards, contracts to verify) show in the admins' menu.
pub fn is_admin(user: &User) -> bool {
    user.role == Role::Admin
}

/// Admins organise public votes for their own region or below.
pub fn check_poll_create(user: &User, region_code: &str) -> Result<()> {
    if admin_covers(user, region_code) {
        Ok(())
    } else if user.role == Role::Admin {
        Err(Error::new(crate::Code::Forbidden, "只能为本级及下级区域发起投票"))
    } else {
        Err(Error::new(crate::Code::Forbidden, "只有管理员可以发起投票"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::ItemStatus;

    fn user(id: i64, role: Role, region: &str) -> User {
        User::sample(id, role, region)
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

    #[test]
    fn orders_are_for_their_org_steward_admins_and_providers() {
        let facts = |provider| OrderFacts {
            org_id: 1,
            steward_id: Some(2),
            region_code: "510321",
            viewer_is_provider: provider,
        };
        let org = user(1, Role::Org, "510321");
        let steward = user(2, Role::Steward, "510321");
        let other_steward = user(3, Role::Steward, "510321");
        let city = user(4, Role::Admin, "510300");
        let other_county = user(5, Role::Admin, "510322");
        let stranger = user(6, Role::Org, "510321");
        let expert = user(7, Role::Expert, "510100");
        assert_eq!(check_order_read(&org, facts(false)), Ok(OrderRelation::Org));
        assert_eq!(check_order_manage(&steward, facts(false)), Ok(OrderRelation::Steward));
        assert_eq!(check_order_manage(&city, facts(false)), Ok(OrderRelation::Admin));
        assert_eq!(check_order_manage(&other_steward, facts(false)).unwrap_err().status(), 403);
        assert_eq!(check_order_read(&other_county, facts(false)).unwrap_err().status(), 403);
        assert_eq!(check_order_read(&stranger, facts(false)).unwrap_err().status(), 404);
        assert_eq!(check_order_read(&expert, facts(true)), Ok(OrderRelation::Provider));
        assert_eq!(check_order_manage(&expert, facts(true)).unwrap_err().status(), 403);
        assert_eq!(check_order_manage(&org, facts(false)).unwrap_err().status(), 403);
        assert!(check_order_rate(&org, facts(false)).is_ok());
        assert_eq!(check_order_rate(&steward, facts(false)).unwrap_err().status(), 403);
    }

    #[test]
    fn contracts_are_for_parties_and_admins_above_the_buyer() {
        let facts = |buyer| ContractFacts {
            registered_by: 2,
            buyer_id: buyer,
            seller_id: Some(7),
            region_code: "510321",
            order_steward_id: Some(2),
            confirm_by: Some(7),
            status: crate::contract::ContractStatus::Registered,
        };
        let buyer = user(1, Role::Org, "510321");
        let steward = user(2, Role::Steward, "510321");
        let seller = user(7, Role::Expert, "510100");
        let city = user(4, Role::Admin, "510300");
        let other_city = user(5, Role::Admin, "510100");
        let stranger = user(6, Role::Org, "510321");
        assert!(check_contract_read(&seller, facts(Some(1))).is_ok());
        assert_eq!(check_contract_read(&stranger, facts(Some(1))).unwrap_err().status(), 404);
        assert!(check_contract_verify(&city, facts(Some(1))).is_ok());
        assert_eq!(check_contract_verify(&other_city, facts(Some(1))).unwrap_err().status(), 403);
        assert_eq!(check_contract_verify(&steward, facts(Some(1))).unwrap_err().status(), 403);
        assert!(check_milestone_accept(&buyer, facts(Some(1))).is_ok());
        assert_eq!(check_milestone_accept(&seller, facts(Some(1))).unwrap_err().status(), 403);
        assert!(check_milestone_accept(&steward, facts(None)).is_ok());
        // Until the seller confirms, only the registrant and the seller see it; admins do not.
        let pending = ContractFacts { status: crate::contract::ContractStatus::Pending, ..facts(Some(1)) };
        assert!(check_contract_read(&seller, pending).is_ok());
        assert!(check_contract_read(&steward, pending).is_ok(), "the registrant");
        assert_eq!(check_contract_read(&buyer, pending).unwrap_err().status(), 404);
        assert_eq!(check_contract_read(&city, pending).unwrap_err().status(), 403);
        assert_eq!(check_contract_edit(&seller, pending).unwrap_err().status(), 403);
        assert!(check_contract_confirm(&seller, pending).is_ok());
        assert_eq!(check_contract_confirm(&steward, pending).unwrap_err().status(), 403);
    }

    #[test]
    fn only_a_party_registers_and_an_order_has_its_two_parties() {
        let (org, wang, li) =
            (user(1, Role::Org, "510321"), user(7, Role::Expert, "510100"), user(8, Role::Expert, "510100"));
        let steward = user(2, Role::Steward, "510321");
        assert_eq!(check_contract_register(&org, Some(1), Some(7), None), Ok(Some(7)));
        assert_eq!(check_contract_register(&org, Some(1), None, None), Ok(None), "an outside party confirms nothing");
        assert_eq!(check_contract_register(&steward, Some(1), Some(7), None).unwrap_err().status(), 403);
        let order = Some(OrderParties { org_id: 1, accepted_provider: Some(7) });
        assert_eq!(check_contract_register(&wang, Some(1), Some(7), order), Ok(Some(1)));
        assert_eq!(check_contract_register(&li, Some(1), Some(8), order).unwrap_err().status(), 403, "not accepted");
        assert_eq!(check_contract_register(&steward, Some(1), Some(7), order).unwrap_err().status(), 403);
        assert_eq!(check_contract_register(&org, Some(1), Some(8), order).unwrap_err().field, Some("seller"));
        let proposed_only = Some(OrderParties { org_id: 1, accepted_provider: None });
        assert_eq!(check_contract_register(&org, Some(1), Some(7), proposed_only).unwrap_err().status(), 403);
    }

    #[test]
    fn polls_are_organised_by_admins_for_their_subtree() {
        let city = user(1, Role::Admin, "510300");
        assert!(check_poll_create(&city, "510300").is_ok());
        assert!(check_poll_create(&city, "510321").is_ok());
        assert_eq!(check_poll_create(&city, "510000").unwrap_err().code, crate::Code::Forbidden);
        let expert = user(2, Role::Expert, "510300");
        let refused = check_poll_create(&expert, "510300").unwrap_err();
        assert!(refused.message.contains("只有管理员"), "{}", refused.message);
    }

    #[test]
    fn the_reviewer_follows_the_owner_not_the_region_an_item_names() {
        let zigong = user(10, Role::Admin, "510300");
        let chengdu = user(11, Role::Admin, "510100");
        // An org of 自贡 names 成都 on its item: 自贡's admin reviews it, 成都's may not.
        let item =
            Item { region_code: "510104".into(), ..Item::sample(ItemKind::Need, 1, "510321", ItemStatus::Pending) };
        assert!(check_review(&zigong, &item).is_ok());
        assert_eq!(check_review(&chengdu, &item).unwrap_err().code, crate::Code::Forbidden);
        assert!(check_close(&zigong, &item).is_ok());
        assert!(!can_view(Some(&chengdu), &item));
    }

    #[test]
    fn stewards_serve_within_the_scope_admins_gave_them() {
        let city = user(10, Role::Admin, "510300");
        let org = user(1, Role::Org, "510321");
        let mut keeper = user(2, Role::Steward, "510321");
        assert!(check_assign_steward(&city, &org, &keeper).is_ok());
        // A steward of another county (scope set by admins) does not serve this county's org.
        keeper.scope_region_code = Some("510322".into());
        let refused = check_assign_steward(&city, &org, &keeper).unwrap_err();
        assert_eq!((refused.code, refused.field), (crate::Code::Forbidden, Some("steward_id")));
        keeper.scope_region_code = Some("510300".into());
        assert!(check_assign_steward(&city, &org, &keeper).is_ok(), "a city-wide steward serves its counties");
    }

    #[test]
    fn region_changes_are_asked_for_and_decided_above() {
        let org = user(1, Role::Org, "510321");
        assert!(check_region_request(&org).is_ok());
        assert!(check_region_request(&user(2, Role::Steward, "510321")).is_err());
        assert!(check_region_request(&user(3, Role::Admin, "510321")).is_err());
        assert!(check_region_decision(&user(10, Role::Admin, "510300"), org.id, "510321").is_ok());
        assert!(
            check_region_decision(&user(11, Role::Admin, "510104"), org.id, "510321").is_err(),
            "the new region's admin does not decide"
        );
        assert!(check_region_decision(&user(12, Role::Steward, "510321"), org.id, "510321").is_err());
        let admin = user(13, Role::Admin, "510321");
        assert!(check_region_decision(&admin, admin.id, "510321").is_err(), "never one's own");
    }
}
