//! 科服 service orders: opening, proposals with two-sided consent, completion and rating.

pub mod actions;
pub mod api;
pub mod pages;
