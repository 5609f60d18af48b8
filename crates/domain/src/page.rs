//! Pagination of lists: 1-based pages, bounded sizes so a request cannot ask for the whole table.

use serde::{Deserialize, Serialize};

use crate::error::{Code, Error, Result};

pub const DEFAULT_PER_PAGE: u32 = 20;
pub const MAX_PER_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest { page: 1, per_page: DEFAULT_PER_PAGE }
    }
}

impl PageRequest {
    pub fn new(page: Option<u32>, per_page: Option<u32>) -> Result<Self> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if page == 0 || page > MAX_PAGE {
            return Err(Error::new(Code::InvalidQuery, format!("页码应在1到{MAX_PAGE}之间")).with_field("page"));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(
                Error::new(Code::InvalidQuery, format!("每页条数应在1到{MAX_PER_PAGE}之间")).with_field("per_page")
            );
        }
        Ok(PageRequest { page, per_page })
    }

    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    pub fn limit(self) -> i64 {
        i64::from(self.per_page)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: i64, req: PageRequest) -> Self {
        Page { items, total, page: req.page, per_page: req.per_page }
    }

    /// The same page with each entry mapped (e.g. a row to its wire view).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            per_page: self.per_page,
        }
    }

    pub fn total_pages(&self) -> u32 {
        let pages = (self.total.max(0) as u64).div_ceil(u64::from(self.per_page.max(1)));
        pages.min(u64::from(MAX_PAGE)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_enforced() {
        assert_eq!(PageRequest::new(None, None), Ok(PageRequest::default()));
        assert_eq!(PageRequest::new(Some(3), Some(10)).map(|p| p.offset()), Ok(20));
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(1), Some(101)).is_err());
        assert!(PageRequest::new(Some(4_000_000), None).is_err());
        let page = Page::new(vec![1, 2], 41, PageRequest::default());
        assert_eq!(page.total_pages(), 3);
    }
}
