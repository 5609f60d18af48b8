//! The task queue as province admins see it: tasks by state and kind, dead tasks with their last
//! error, and retrying a dead task.

pub mod actions;
pub mod api;
pub mod pages;
