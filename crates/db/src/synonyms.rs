//! Synonym groups added by admins (the shipped base list lives in `data/synonyms.txt`).

use kejiyun_domain::time::{now, to_millis};

use crate::users::{json_list, to_json_list};
use crate::{Db, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct SynonymGroup {
    pub id: i64,
    pub terms: Vec<String>,
}

impl Db {
    pub async fn synonym_groups(&self) -> Result<Vec<SynonymGroup>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, terms FROM synonym_groups ORDER BY id").fetch_all(&self.read).await?;
        Ok(rows.into_iter().map(|(id, terms)| SynonymGroup { id, terms: json_list(&terms) }).collect())
    }

    pub async fn add_synonym_group(&self, terms: &[String], created_by: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO synonym_groups (terms, created_by, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(to_json_list(terms))
        .bind(created_by)
        .bind(to_millis(now()))
        .fetch_one(&self.write)
        .await?)
    }
}
