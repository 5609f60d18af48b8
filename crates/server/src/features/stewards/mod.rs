//! 科服专员 (stewards): lead-steward assignment, the steward desk, 一企一策 plans and contact logs.

pub mod actions;
pub mod api;
pub mod pages;
