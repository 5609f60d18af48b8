//! 地区变更申请: an account's region (which decides its reviewers and the statistics that count
//! it) changes only when an admin above its current region approves the account's request.

pub mod actions;
pub mod api;
pub mod pages;
