//! 统一社会信用代码: arbitrary text through `credit_code::validate` and `check_char`. Never a
//! panic; a refusal has a Chinese message (the HTTP layer answers it with 422
//! invalid_credit_code); an accepted code is 18 symbols of the code's alphabet whose last one is
//! the check character, and validating it again (or its lower-case form) gives the same code.
#![no_main]

use kejiyun_domain::{Code, Error, credit_code};
use kejiyun_fuzz::{assert_clear_4xx, assert_clear_message};
use libfuzzer_sys::fuzz_target;

const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(check) = credit_code::check_char(text) {
        assert_eq!(text.len(), 17, "check character of {text:?}");
        assert!(ALPHABET.contains(check), "check character {check:?} outside the alphabet");
    }
    match credit_code::validate(text) {
        Ok(code) => {
            assert_eq!(code.len(), 18, "accepted {code:?}");
            assert!(code.chars().all(|c| ALPHABET.contains(c)), "accepted {code:?}");
            assert_eq!(credit_code::check_char(&code[..17]), code.chars().last(), "check character of {code:?}");
            assert_eq!(credit_code::validate(&code).as_deref(), Ok(code.as_str()), "idempotent");
            assert_eq!(credit_code::validate(&code.to_ascii_lowercase()).as_deref(), Ok(code.as_str()), "lower case");
        }
        Err(m) => {
            assert_clear_message(m, "validate");
            assert_clear_4xx(&Error::new(Code::InvalidCreditCode, m), "validate");
        }
    }
});
