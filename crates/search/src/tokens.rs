//! Tokenizers: jieba words (search mode, so long words also yield their parts) with the
//! platform's domain dictionary, and character bigrams. Registered on every index that is
//! opened, since tantivy does not persist them.

use std::sync::{Arc, LazyLock};

use tantivy::Index;
use tantivy::tokenizer::{NgramTokenizer, RemoveLongFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer};
use tantivy_jieba::jieba_rs::{Jieba, TokenizeMode};

pub const WORDS: &str = "kejiyun_words";
pub const BIGRAMS: &str = "kejiyun_bigrams";

/// Industry and technical terms jieba's general dictionary splits apart (e.g. 白酒糟, 卤水提锂).
const DOMAIN_DICTIONARY: &str = include_str!("../../../data/dict/domain.txt");

/// One jieba with the domain dictionary, shared by every tokenizer clone (tantivy clones
/// tokenizers per segment and per query; jieba's dictionary is large).
static JIEBA: LazyLock<Arc<Jieba>> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    for word in DOMAIN_DICTIONARY.lines().map(str::trim).filter(|w| !w.is_empty() && !w.starts_with('#')) {
        jieba.add_word(word, None, None);
    }
    Arc::new(jieba)
});

/// jieba in search mode over the shared dictionary.
#[derive(Clone)]
pub struct DomainJieba {
    jieba: Arc<Jieba>,
}

impl Default for DomainJieba {
    fn default() -> Self {
        DomainJieba { jieba: JIEBA.clone() }
    }
}

pub struct WordStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for DomainJieba {
    type TokenStream<'a> = WordStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream {
        let tokens = self
            .jieba
            .tokenize(text, TokenizeMode::Search, true)
            .into_iter()
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.byte_start,
                offset_to: t.byte_start + t.word.len(),
                position,
                text: t.word.to_string(),
                position_length: 1,
            })
            .collect();
        WordStream { tokens, next: 0 }
    }
}

impl TokenStream for WordStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// Lower-cases tokens, as tantivy's `LowerCaser` does (character by character), but leaves
/// tokens without an upper-case letter alone: `LowerCaser` rebuilds every non-ASCII token, which
/// here is nearly every token, for nothing (a tenth of the indexing time).
#[derive(Clone)]
pub struct LowerCase;

impl TokenFilter for LowerCase {
    type Tokenizer<T: Tokenizer> = LowerCaseTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> LowerCaseTokenizer<T> {
        LowerCaseTokenizer(tokenizer)
    }
}

#[derive(Clone)]
pub struct LowerCaseTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for LowerCaseTokenizer<T> {
    type TokenStream<'a> = LowerCaseStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        LowerCaseStream(self.0.token_stream(text))
    }
}

pub struct LowerCaseStream<S>(S);

impl<S: TokenStream> TokenStream for LowerCaseStream<S> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        let text = &mut self.0.token_mut().text;
        if text.is_ascii() {
            text.make_ascii_lowercase();
        } else if text.chars().any(char::is_uppercase) {
            *text = text.chars().flat_map(char::to_lowercase).collect();
        }
        true
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

pub fn register_tokenizers(index: &Index) {
    let words =
        TextAnalyzer::builder(DomainJieba::default()).filter(RemoveLongFilter::limit(40)).filter(LowerCase).build();
    index.tokenizers().register(WORDS, words);
    if let Ok(bigrams) = NgramTokenizer::new(2, 2, false) {
        index.tokenizers().register(BIGRAMS, TextAnalyzer::builder(bigrams).filter(LowerCase).build());
    }
}

/// One-character function words that say nothing about a topic (的, 了, 和 …); dropped from queries.
const STOP_CHARS: &str = "的了和与及或在是为对等将把被也都而并之其从由以于向就又这那有个我你他它们吗呢吧啊";

/// The distinct meaningful tokens of `text` under `tokenizer` (punctuation, blanks and
/// one-character function words dropped).
pub fn analyze(index: &Index, tokenizer: &str, text: &str) -> Vec<String> {
    let Some(mut analyzer) = index.tokenizers().get(tokenizer) else { return Vec::new() };
    let mut stream = analyzer.token_stream(text);
    let mut out: Vec<String> = Vec::new();
    while let Some(token) = stream.next() {
        let t = token.text.trim();
        let stop = t.chars().count() == 1 && STOP_CHARS.contains(t);
        if stop || t.is_empty() || !t.chars().all(char::is_alphanumeric) || out.iter().any(|o| o == t) {
            continue;
        }
        out.push(t.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let index = Index::create_in_ram(tantivy::schema::Schema::builder().build());
        register_tokenizers(&index);
        analyze(&index, WORDS, text)
    }

    #[test]
    fn domain_terms_stay_whole_and_search_mode_adds_their_parts() {
        let w = words("白酒糟固态发酵生产蛋白饲料");
        for term in ["白酒糟", "固态发酵", "蛋白饲料", "饲料"] {
            assert!(w.iter().any(|x| x == term), "{term} missing in {w:?}");
        }
        let w = words("井盐老卤的卤水提锂工艺");
        assert!(w.iter().any(|x| x == "卤水提锂") && w.iter().any(|x| x == "老卤"), "{w:?}");
        let w = words("UAV 植保无人机，！");
        assert!(w.contains(&"uav".to_string()) && w.contains(&"植保无人机".to_string()), "{w:?}");
        let index = Index::create_in_ram(tantivy::schema::Schema::builder().build());
        register_tokenizers(&index);
        assert_eq!(analyze(&index, BIGRAMS, "PET-CT显像ÄÖ"), ["pe", "et", "ct", "t显", "显像", "像ä", "äö"]);
        assert!(!w.iter().any(|x| x == "，" || x == "！"));
        assert!(words("我们的方案和设备").iter().all(|x| x != "的" && x != "和"));
    }
}
