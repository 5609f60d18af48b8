//! 智能匹配: ranked, explained suggestions for an item or order, and the synonym groups.

pub mod actions;
pub mod api;
pub mod tasks;
