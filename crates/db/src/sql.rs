//! A small builder for statements whose WHERE clause depends on the request (filters, id lists),
//! keeping every value a bound parameter. sqlx's `QueryBuilder` does not number `$n` for `Any`.

use sqlx::any::AnyArguments;
// Statements built here are constant fragments plus `$n` placeholders; values are always bound.
use sqlx::{Any, Arguments, AssertSqlSafe};

#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Int(i64),
    NullText,
    NullInt,
}

impl From<&str> for Bind {
    fn from(v: &str) -> Self {
        Bind::Text(v.to_string())
    }
}

impl From<String> for Bind {
    fn from(v: String) -> Self {
        Bind::Text(v)
    }
}

impl From<i64> for Bind {
    fn from(v: i64) -> Self {
        Bind::Int(v)
    }
}

impl From<Option<String>> for Bind {
    fn from(v: Option<String>) -> Self {
        v.map_or(Bind::NullText, Bind::Text)
    }
}

impl From<Option<i64>> for Bind {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Bind::NullInt, Bind::Int)
    }
}

#[derive(Debug, Default)]
pub struct Sql {
    pub text: String,
    pub binds: Vec<Bind>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql { text: text.to_string(), binds: Vec::new() }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends `$n` for a new bound value.
    pub fn bind(&mut self, value: impl Into<Bind>) -> &mut Self {
        self.binds.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.binds.len().to_string());
        self
    }

    /// Appends `$a, $b, …` for a list.
    pub fn bind_list<T: Into<Bind>>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v);
        }
        self
    }

    pub fn arguments(&self) -> AnyArguments {
        let mut args = AnyArguments::default();
        for b in &self.binds {
            // Adding a value to AnyArguments only fails for types it cannot hold; ours are all basic.
            let _ = match b {
                Bind::Text(s) => args.add(s.clone()),
                Bind::Int(i) => args.add(*i),
                Bind::NullText => args.add(Option::<String>::None),
                Bind::NullInt => args.add(Option::<i64>::None),
            };
        }
        args
    }

    pub fn query(&self) -> sqlx::query::Query<'_, Any, AnyArguments> {
        sqlx::query_with(AssertSqlSafe(self.text.clone()), self.arguments())
    }

    pub fn query_as<T>(&self) -> sqlx::query::QueryAs<'_, Any, T, AnyArguments>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as_with(AssertSqlSafe(self.text.clone()), self.arguments())
    }

    pub fn query_scalar<T>(&self) -> sqlx::query::QueryScalar<'_, Any, T, AnyArguments>
    where
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_scalar_with(AssertSqlSafe(self.text.clone()), self.arguments())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parameters_in_order() {
        let mut sql = Sql::new("SELECT 1 FROM t WHERE a = ");
        sql.bind("x").push(" AND id IN (").bind_list([1_i64, 2, 3]).push(")");
        assert_eq!(sql.text, "SELECT 1 FROM t WHERE a = $1 AND id IN ($2, $3, $4)");
        assert_eq!(sql.binds.len(), 4);
    }
}
