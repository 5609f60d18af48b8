//! 技术合同 (technical contracts) with their scans and verification, and 委托科研项目 (projects, milestones).

pub mod actions;
pub mod api;
pub mod pages;
