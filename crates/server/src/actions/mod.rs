//! What the platform does, shared by the JSON API and the web pages: each function checks the
//! caller's rights (domain policy), applies the domain rules, writes through storage and keeps
//! the search index in step. Handlers only translate HTTP to these calls and back.

pub mod accounts;
pub mod contracts;
pub mod items;
pub mod services;
pub mod votes;

use kejiyun_domain::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;
