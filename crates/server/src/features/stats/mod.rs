//! Counters of 科服 work per region subtree and period, computed from the records.

pub mod actions;
pub mod api;
