//! Characters no text a user sends may carry: NUL and the other control characters (tab, line
//! feed and carriage return excepted), and the bidirectional overrides and isolates that make text
//! read differently from what it stores ("Trojan Source"). PostgreSQL cannot store NUL at all, and
//! none of these belongs in a title, a name or a description, so every JSON body, query string and
//! form is checked once, where the server reads it.

/// Whether `c` may not appear in user text.
pub fn is_forbidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The first forbidden character of `text`, if any.
pub fn forbidden_in(text: &str) -> Option<char> {
    text.chars().find(|c| is_forbidden(*c))
}

/// How a refusal names the character: `U+0000`.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// The refusal's message for `field`.
pub fn refusal(field: &str, c: char) -> String {
    let kind = if c.is_control() { "控制字符" } else { "文字方向控制符" };
    format!("“{field}”含有不允许的{kind}（{}），请删除后重试", code_point(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_are_forbidden_line_breaks_and_tabs_are_not() {
        for c in ['\0', '\u{7}', '\u{1b}', '\u{7f}', '\u{85}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            assert!(is_forbidden(c), "{}", code_point(c));
        }
        for c in ['\t', '\n', '\r', ' ', 'a', '中', '，', '\u{200B}', '\u{3000}'] {
            assert!(!is_forbidden(c), "{}", code_point(c));
        }
        assert_eq!(forbidden_in("白酒\n丢糟\t饲料"), None);
        assert_eq!(forbidden_in("a\u{0}b"), Some('\0'));
        assert_eq!(refusal("title", '\0'), "“title”含有不允许的控制字符（U+0000），请删除后重试");
        assert!(refusal("name", '\u{202E}').contains("文字方向控制符（U+202E）"));
    }
}
