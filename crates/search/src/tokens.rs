//! Tokenizers: jieba words (search mode, so long words also yield their parts) and character
//! bigrams. Registered on every index that is opened, since tantivy does not persist them.

use tantivy::Index;
use tantivy::tokenizer::{LowerCaser, NgramTokenizer, RemoveLongFilter, TextAnalyzer, TokenStream};
use tantivy_jieba::JiebaTokenizer;

pub const WORDS: &str = "kejiyun_words";
pub const BIGRAMS: &str = "kejiyun_bigrams";

pub fn register_tokenizers(index: &Index) {
    let words =
        TextAnalyzer::builder(JiebaTokenizer::new()).filter(RemoveLongFilter::limit(40)).filter(LowerCaser).build();
    index.tokenizers().register(WORDS, words);
    if let Ok(bigrams) = NgramTokenizer::new(2, 2, false) {
        index.tokenizers().register(BIGRAMS, TextAnalyzer::builder(bigrams).filter(LowerCaser).build());
    }
}

/// The distinct meaningful tokens of `text` under `tokenizer` (punctuation and blanks dropped).
pub fn analyze(index: &Index, tokenizer: &str, text: &str) -> Vec<String> {
    let Some(mut analyzer) = index.tokenizers().get(tokenizer) else {
        return Vec::new();
    };
    let mut stream = analyzer.token_stream(text);
    let mut out: Vec<String> = Vec::new();
    while let Some(token) = stream.next() {
        let t = token.text.trim();
        if t.is_empty() || !t.chars().all(char::is_alphanumeric) || out.iter().any(|o| o == t) {
            continue;
        }
        out.push(t.to_string());
    }
    out
}
