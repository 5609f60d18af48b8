//! Needs, capabilities and achievements: publishing, review, closing, public lists and search.

pub mod actions;
pub mod api;
pub mod pages;
pub mod tasks;
