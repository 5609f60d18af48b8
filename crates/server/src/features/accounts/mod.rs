//! Accounts: registration, login and sessions, profiles, passwords, notifications, staff accounts.

pub mod actions;
pub mod api;
pub mod pages;
pub mod tasks;
