//! Contract scans: arbitrary bytes through `contract::check_attachment`, which parses the PDF with
//! lopdf and walks every object. Never a panic (the check catches a panic of the parser and
//! refuses the file, but libFuzzer's panic hook still reports it, so a parser panic shows up here
//! as a finding); a refusal is a 4xx with a Chinese message (empty → 422, too large → 413, not a
//! PDF, unreadable, encrypted, too much compressed content or active content → 415); an accepted
//! file starts with the PDF signature, is within the size limit, and lopdf parses it on its own
//! (with its default options) too.
#![no_main]

use kejiyun_domain::contract::{MAX_ATTACHMENT_BYTES, check_attachment};
use kejiyun_fuzz::assert_clear_4xx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match check_attachment(data) {
        Ok(()) => {
            assert!(data.starts_with(b"%PDF-"), "accepted a file that is not a PDF");
            assert!(data.len() <= MAX_ATTACHMENT_BYTES, "accepted {} bytes", data.len());
            assert!(lopdf::Document::load_mem(data).is_ok(), "accepted a PDF that lopdf does not parse");
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
