//! Contract scans: arbitrary bytes through `contract::check_attachment`. Never a panic; a refusal
//! is a 4xx with a Chinese message (empty → 422, not a PDF or active content → 415, too large →
//! 413); an accepted file starts with the PDF signature, is within the size limit and contains
//! none of the active-content names the check looks for.
#![no_main]

use kejiyun_domain::contract::{MAX_ATTACHMENT_BYTES, check_attachment};
use kejiyun_fuzz::assert_clear_4xx;
use libfuzzer_sys::fuzz_target;

const ACTIVE: [&[u8]; 4] = [b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile"];

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fuzz_target!(|data: &[u8]| {
    match check_attachment(data) {
        Ok(()) => {
            assert!(data.starts_with(b"%PDF-"), "accepted a file that is not a PDF");
            assert!(data.len() <= MAX_ATTACHMENT_BYTES, "accepted {} bytes", data.len());
            for needle in ACTIVE {
                assert!(!contains(data, needle), "accepted a PDF with {}", String::from_utf8_lossy(needle));
            }
        }
        Err(e) => {
            assert_clear_4xx(&e, "attachment");
            let expected = match data.len() {
                0 => 422,
                n if n > MAX_ATTACHMENT_BYTES => 413,
                _ => 415,
            };
            assert_eq!(e.status(), expected, "{e:?}");
        }
    }
});
