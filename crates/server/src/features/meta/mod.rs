//! Health, readiness and the region tree.

pub mod api;
