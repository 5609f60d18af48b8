//! 审计日志 for admins: searching the append-only, hash-chained log of changes and security events
//! within their region (by actor, action, object, time), and exporting a search as CSV.

pub mod actions;
pub mod api;
pub mod pages;
