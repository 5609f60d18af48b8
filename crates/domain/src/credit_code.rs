//! 统一社会信用代码 (unified social credit code), GB 32100-2015: 18 characters from a 31-symbol
//! alphabet (no I, O, Z, S, V), the last one a weighted mod-31 check character.

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters, if they are all valid symbols.
pub fn check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (i, &b) in bytes.iter().enumerate() {
        sum += value(b)? * WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

/// Normalises (trim, upper-case) and validates a credit code.
pub fn validate(raw: &str) -> Result<String, &'static str> {
    let code = raw.trim().to_ascii_uppercase();
    if code.chars().count() != 18 {
        return Err("统一社会信用代码应为18位");
    }
    if !code.bytes().all(|b| value(b).is_some()) {
        return Err("统一社会信用代码含有无效字符（不使用 I、O、Z、S、V）");
    }
    let expected = check_char(&code[..17]).ok_or("统一社会信用代码含有无效字符")?;
    if code.as_bytes()[17] as char != expected {
        return Err("统一社会信用代码校验位不正确");
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_codes() {
        // Published codes of well-known companies.
        for code in ["91110000802100433B", "91440300708461136T"] {
            let first = &code[..17];
            assert_eq!(check_char(first).map(|c| c.to_string()), Some(code[17..].to_string()), "{code}");
            assert!(validate(code).is_ok(), "{code}");
        }
        assert_eq!(validate(" 91110000802100433b ").as_deref(), Ok("91110000802100433B"));
    }

    #[test]
    fn rejects_bad_codes() {
        assert!(validate("91110000802100433C").is_err());
        assert!(validate("9111000080210043").is_err());
        assert!(validate("91110000802100433BX").is_err());
        assert!(validate("9111000080210043IB").is_err());
        assert!(validate("９１110000802100433B").is_err());
    }
}
