//! What the platform does, one folder per feature. Each holds its `actions` (shared by the JSON API
//! and the pages: domain policy → domain rules → storage → index sync), its `api` handlers and its
//! `pages` handlers; templates live under `templates/<feature>/`. Routes are declared in
//! `crate::router`. Features use `crate::http` and `crate::platform`, never the reverse.

pub mod accounts;
pub mod audit;
pub mod contracts;
pub mod items;
pub mod matching;
pub mod meta;
pub mod orders;
pub mod region_requests;
pub mod stats;
pub mod stewards;
pub mod tasks;
pub mod votes;

use kejiyun_domain::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;
