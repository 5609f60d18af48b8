//! Shared parts of the HTTP edge, used by every feature: the error type and its mapping, request
//! extractors, the caller (bearer token or session cookie), CSRF, the page frame and view helpers.

pub mod auth;
pub mod client;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod page;
pub mod views;
