//! Money in 万元 (ten thousand yuan), exact to the yuan. Never a float: JSON numbers are read
//! through their shortest decimal text, and storage keeps whole yuan as integers.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative amount in 万元 with at most four decimal places (one yuan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AmountWan(Decimal);

/// Upper bound of a single amount: 1,000,000 万元 (一百亿元).
const MAX_WAN: i64 = 1_000_000;

impl AmountWan {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let text = text.trim();
        if text.is_empty() {
            return Err("金额不能为空");
        }
        let value = Decimal::from_str(text).map_err(|_| "金额应为数字，单位万元，例如 12.5")?;
        Self::from_decimal(value)
    }

    pub fn from_decimal(value: Decimal) -> Result<Self, &'static str> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err("金额不能为负数");
        }
        if value.normalize().scale() > 4 {
            return Err("金额最多精确到元（万元后四位小数）");
        }
        if value > Decimal::from(MAX_WAN) {
            return Err("金额超出范围");
        }
        Ok(AmountWan(value.normalize()))
    }

    /// Whole yuan, for storage and exact sums.
    pub fn to_yuan(self) -> i64 {
        let yuan = self.0 * Decimal::from(10_000);
        i64::try_from(yuan.trunc()).unwrap_or(i64::MAX)
    }

    pub fn from_yuan(yuan: i64) -> Self {
        AmountWan(Decimal::new(yuan, 4).normalize())
    }

    pub fn as_decimal(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for AmountWan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl Serialize for AmountWan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AmountWan {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = AmountWan;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an amount in 万元 as a number or a decimal string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<AmountWan, E> {
                AmountWan::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<AmountWan, E> {
                AmountWan::from_decimal(Decimal::from(v)).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<AmountWan, E> {
                AmountWan::from_decimal(Decimal::from(v)).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<AmountWan, E> {
                // `{}` prints the shortest text that reads back as the same f64: 12.35 stays 12.35.
                if !v.is_finite() {
                    return Err(E::custom("金额应为数字"));
                }
                AmountWan::parse(&format!("{v}")).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl utoipa::PartialSchema for AmountWan {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("金额，单位万元（十进制字符串，最多四位小数）"))
            .examples([serde_json::json!("12.5")])
            .into()
    }
}

impl utoipa::ToSchema for AmountWan {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips_exactly() {
        let a = AmountWan::parse("12.35").unwrap_or_default();
        assert_eq!(a.to_yuan(), 123_500);
        assert_eq!(AmountWan::from_yuan(123_500).to_string(), "12.35");
        let from_json: AmountWan = serde_json::from_str("0.1").unwrap_or_default();
        assert_eq!(from_json.to_yuan(), 1000);
        let from_str: AmountWan = serde_json::from_str("\"4.0001\"").unwrap_or_default();
        assert_eq!(from_str.to_yuan(), 40_001);
        assert_eq!(serde_json::to_string(&from_str).unwrap_or_default(), "\"4.0001\"");
    }

    #[test]
    fn rejects_bad_amounts() {
        assert!(AmountWan::parse("-1").is_err());
        assert!(AmountWan::parse("1.00001").is_err());
        assert!(AmountWan::parse("abc").is_err());
        assert!(AmountWan::parse("100000000").is_err());
        assert!(serde_json::from_str::<AmountWan>("1e400").is_err());
        assert!(serde_json::from_str::<AmountWan>("true").is_err());
    }
}
