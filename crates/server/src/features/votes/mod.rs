//! 投票 (public polls): polls, candidates and votes under per-voter daily rules.

pub mod actions;
pub mod api;
pub mod pages;
