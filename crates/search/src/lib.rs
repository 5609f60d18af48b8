//! The Chinese full-text index of published items.
//!
//! Derived state: the database is the truth and this index can always be rebuilt from it.
//! One thread owns the `IndexWriter` (as in Meilisearch): handlers send it operations and wait
//! for the commit that contains them, so a published item is searchable as soon as the request
//! that published it returns. Searches run on a reader that is reloaded after each commit.
//!
//! Text is segmented with jieba (search mode) for precise matches and, as a fallback for words
//! jieba does not know or splits differently, also indexed as character bigrams. Searches are
//! ranked by [`rank`] (term at a time, BM25 plus bonuses), not by tantivy's query scorers.

pub mod eval;
pub mod matching;
mod rank;
mod tokens;

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};
use tokio::sync::oneshot;

pub use tokens::{analyze, register_tokenizers};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index writer has stopped")]
    WriterGone,
    #[error("search index: {0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the index stores of an item.
#[derive(Debug, Clone, Default)]
pub struct IndexDoc {
    pub id: u64,
    pub kind: String,
    pub title: String,
    pub keywords: Vec<String>,
    pub description: String,
    pub industry: Option<String>,
    /// The item's region and all its ancestors, so a filter by any level is one term.
    pub region_path: Vec<String>,
    pub achievement_type: Option<String>,
    pub modes: Vec<String>,
    pub published_at: i64,
}

/// Relative weights of where a query term matches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// jieba words of the title and keywords (on top of [`Weights::words`]).
    pub head: f32,
    /// jieba words anywhere in the item (title, keywords and description).
    pub words: f32,
    /// Character bigrams of all text (catches words segmented differently).
    pub bigrams: f32,
    /// Factor for one-character words (often what jieba leaves of an unknown word).
    pub single_char: f32,
    /// Flat bonus for an item in [`SearchQuery::prefer_industry`].
    pub industry: f32,
    /// Bonus per shared region level (city, county) when a need asks for local service.
    pub local: f32,
    /// Factor for terms added by synonym expansion ([`SearchQuery::expansions`]).
    pub synonyms: f32,
}

impl Weights {
    /// Need → offer matching, chosen on the labelled development set with `kejiyun match eval`
    /// (a coarse grid over these numbers, not per item): long colloquial needs match offers
    /// mostly through character bigrams and the shared industry; jieba words add a little.
    /// Figures in the README.
    pub const MATCHING: Weights =
        Weights { head: 0.0, words: 0.2, bigrams: 1.0, single_char: 0.5, industry: 20.0, local: 3.0, synonyms: 0.5 };
}

impl Default for Weights {
    fn default() -> Self {
        Weights { head: 2.0, words: 1.0, bigrams: 0.5, single_char: 0.2, industry: 0.0, local: 0.0, synonyms: 0.5 }
    }
}

/// A search: free text plus exact filters.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub kind: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub achievement_type: Option<String>,
    pub mode: Option<String>,
    /// Rank items of this industry higher (without excluding others).
    pub prefer_industry: Option<String>,
    /// Flat bonuses for items in these regions (a county and its city both count: same county
    /// ranks above same city).
    pub prefer_regions: Vec<(String, f32)>,
    /// Related terms (synonyms) to look for as well, at [`Weights::synonyms`].
    pub expansions: Vec<String>,
    pub offset: usize,
    pub limit: usize,
    pub weights: Weights,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchHits {
    /// (item id, score), best first; equal scores by id.
    pub hits: Vec<(u64, f32)>,
    /// Every item the query matched (exact: counting costs nothing extra). For a long query that
    /// is the items sharing one of the terms kept for it (see [`MAX_DF`]).
    pub total: usize,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    /// jieba words of the title and keywords.
    head: Field,
    /// jieba words of all text (title, keywords, description).
    words: Field,
    /// Character bigrams of all text.
    grams: Field,
    industry: Field,
    region: Field,
    achievement_type: Field,
    mode: Field,
    published_at: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(tokens::WORDS).set_index_option(IndexRecordOption::WithFreqs),
    );
    let grams = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(tokens::BIGRAMS).set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | STORED | FAST),
        kind: b.add_text_field("kind", STRING),
        head: b.add_text_field("head", words.clone()),
        words: b.add_text_field("words", words),
        grams: b.add_text_field("grams", grams),
        industry: b.add_text_field("industry", STRING),
        region: b.add_text_field("region", STRING),
        achievement_type: b.add_text_field("achievement_type", STRING),
        mode: b.add_text_field("mode", STRING),
        published_at: b.add_i64_field("published_at", INDEXED | FAST),
    };
    (b.build(), fields)
}

enum Op {
    Upsert(Box<IndexDoc>),
    Delete(u64),
    ReplaceAll(Vec<IndexDoc>),
    /// Record that the database change log has been applied up to this sequence number; stored
    /// in the commit itself, so the index and its position in the log never disagree.
    Mark(i64),
    /// Append documents known to be new (bulk loading).
    AddAll(Vec<IndexDoc>),
    /// Commit, release the writer (and its directory lock) and stop.
    Shutdown,
}

struct Job {
    ops: Vec<Op>,
    done: oneshot::Sender<Result<(), String>>,
}

/// A handle to the index: cheap to clone, safe to share.
#[derive(Clone)]
pub struct SearchIndex {
    applied: Arc<AtomicI64>,
    reader: IndexReader,
    fields: Fields,
    index: Index,
    jobs: mpsc::Sender<Job>,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when absent. A directory that cannot be opened with
    /// this schema (corrupt, or from another version) is wiped and recreated empty: the caller
    /// then rebuilds it from the database.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let index = match Index::open_in_dir(dir) {
            Ok(index) if index.schema() == schema => index,
            Ok(_) | Err(_) if dir.join("meta.json").exists() => {
                tracing::warn!(dir = %dir.display(), "search index unreadable or of another schema; recreating");
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                Index::create_in_dir(dir, schema)?
            }
            _ => Index::create_in_dir(dir, schema)?,
        };
        Self::start(index, fields)
    }

    /// An index in memory, for tests and throw-away evaluations.
    pub fn in_memory() -> Result<SearchIndex> {
        let (schema, fields) = schema();
        Self::start(Index::create_in_ram(schema), fields)
    }

    fn start(index: Index, fields: Fields) -> Result<SearchIndex> {
        register_tokenizers(&index);
        let writer: IndexWriter = index.writer(64 * 1024 * 1024)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let mark = index.load_metas()?.payload.and_then(|p| p.parse::<i64>().ok()).unwrap_or(NO_MARK);
        let applied = Arc::new(AtomicI64::new(mark));
        let (jobs, rx) = mpsc::channel::<Job>();
        let owner = Owner { writer, reader: Clone::clone(&reader), fields, applied: applied.clone() };
        thread::Builder::new().name("search-writer".into()).spawn(move || owner.run(rx))?;
        Ok(SearchIndex { applied, reader, fields, index, jobs })
    }

    async fn send(&self, ops: Vec<Op>) -> Result<()> {
        let (done, wait) = oneshot::channel();
        self.jobs.send(Job { ops, done }).map_err(|_| Error::WriterGone)?;
        wait.await.map_err(|_| Error::WriterGone)?.map_err(Error::Other)
    }

    /// Adds or replaces an item; returns once the change is searchable.
    pub async fn upsert(&self, doc: IndexDoc) -> Result<()> {
        self.send(vec![Op::Upsert(Box::new(doc))]).await
    }

    /// Removes an item; returns once it no longer appears in results.
    pub async fn delete(&self, id: u64) -> Result<()> {
        self.send(vec![Op::Delete(id)]).await
    }

    /// Commits and stops the writer, releasing the index directory. Later writes fail.
    pub async fn shutdown(&self) -> Result<()> {
        self.send(vec![Op::Shutdown]).await
    }

    /// Appends documents whose ids are not in the index yet (bulk loading in chunks); returns once
    /// they are committed.
    pub async fn add_all(&self, docs: Vec<IndexDoc>) -> Result<()> {
        self.send(vec![Op::AddAll(docs)]).await
    }

    /// Replaces the whole content (rebuild from the database) in one commit.
    pub async fn replace_all(&self, docs: Vec<IndexDoc>) -> Result<()> {
        self.send(vec![Op::ReplaceAll(docs)]).await
    }

    /// The database change-log position this index reflects; `None` for an index that never
    /// recorded one (new, or built before the change log existed).
    pub fn applied_seq(&self) -> Option<i64> {
        let seq = self.applied.load(Ordering::SeqCst);
        (seq != NO_MARK).then_some(seq)
    }

    /// Applies changes read from the database change log — `Some(doc)` upserts, `None` deletes
    /// the id — and records `seq` in the same commit.
    pub async fn apply_changes(&self, changes: Vec<(u64, Option<IndexDoc>)>, seq: i64) -> Result<()> {
        let mut ops: Vec<Op> = changes
            .into_iter()
            .map(|(id, doc)| match doc {
                Some(d) => Op::Upsert(Box::new(d)),
                None => Op::Delete(id),
            })
            .collect();
        ops.push(Op::Mark(seq));
        self.send(ops).await
    }

    /// Replaces the whole content and records the change-log position in one commit.
    pub async fn rebuild(&self, docs: Vec<IndexDoc>, seq: i64) -> Result<()> {
        self.send(vec![Op::ReplaceAll(docs), Op::Mark(seq)]).await
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Runs a search. CPU-bound: call it from a blocking context in async code.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchHits> {
        let f = self.fields;
        let words = analyze(&self.index, tokens::WORDS, &q.text);
        let grams = analyze(&self.index, tokens::BIGRAMS, &q.text);
        if words.is_empty() && grams.is_empty() {
            return Ok(SearchHits::default());
        }
        let wt = q.weights;
        let mut plan = rank::Plan::new(PRUNING);
        let extra = q.expansions.join(" ");
        if wt.synonyms > 0.0 && !extra.is_empty() {
            for g in analyze(&self.index, tokens::BIGRAMS, &extra).into_iter().filter(|g| !grams.contains(g)) {
                plan.term(f.grams, &g, wt.bigrams * wt.synonyms);
            }
        }
        for w in &words {
            // A lone character (often what jieba leaves of a word it does not know) says little;
            // the bigrams of the same text carry that word instead.
            let factor = if w.chars().count() == 1 { wt.single_char } else { 1.0 };
            plan.term(f.head, w, wt.head * factor);
            plan.term(f.words, w, wt.words * factor);
        }
        for g in &grams {
            plan.term(f.grams, g, wt.bigrams);
        }
        // Candidates: items sharing text with the query, or (when matching) items of the same
        // industry — a need in plain words may share no term with the right offer.
        if let Some(industry) = &q.prefer_industry {
            plan.candidate_bonus(f.industry, industry, wt.industry);
        }
        for (code, bonus) in &q.prefer_regions {
            plan.bonus(f.region, code, *bonus);
        }
        let filters = [
            (f.kind, &q.kind),
            (f.region, &q.region),
            (f.industry, &q.industry),
            (f.achievement_type, &q.achievement_type),
            (f.mode, &q.mode),
        ];
        for (field, value) in filters {
            if let Some(v) = value {
                plan.filter(field, v);
            }
        }
        let searcher = self.reader.searcher();
        let ranked = rank::rank(&searcher, &plan, "id", q.offset, q.limit.clamp(1, 1000))?;
        let hits = ranked.hits;
        Ok(SearchHits { hits, total: ranked.total })
    }
}

/// Which terms of a query are scored. Terms found in more than 5% of the items (and in more than
/// 50: in a small index no term is common) are left out — near-stop-words such as 技术, 提供,
/// 合作: each adds almost the same to every item, and reading their long posting lists is most of
/// a long query's cost — unless the query would keep fewer than 16 terms (a short search keeps
/// all its words). Then at most 32 terms are scored, those of highest weight × idf: a need's text
/// has some 200 distinct terms; beyond its few dozen most telling ones, more terms cost time and,
/// on the development set, do not improve the ranking.
const PRUNING: rank::Pruning = rank::Pruning { max_df: 0.05, min_common_df: 50, min_terms: 16, max_terms: 32 };

const NO_MARK: i64 = i64::MIN;

/// The single owner of the `IndexWriter`.
struct Owner {
    writer: IndexWriter,
    reader: IndexReader,
    fields: Fields,
    /// Change-log position of the last commit (re-stated in every commit's payload).
    applied: Arc<AtomicI64>,
}

impl Owner {
    fn run(mut self, rx: mpsc::Receiver<Job>) {
        while let Ok(first) = rx.recv() {
            let stop = first.ops.iter().any(|op| matches!(op, Op::Shutdown));
            // Take whatever else is already queued so one commit serves many requests.
            let mut batch = vec![first];
            while !stop && batch.len() < 256 {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let result = self.apply(&mut batch).map_err(|e| e.to_string());
            if let Err(e) = &result {
                tracing::error!(error = %e, "search index commit failed");
                // Leave the writer consistent for the next batch.
                let _ = self.writer.rollback();
            }
            if stop {
                // Dropping the writer waits for merges and releases the directory lock.
                drop(self.writer);
                for job in batch {
                    let _ = job.done.send(result.clone());
                }
                return;
            }
            for job in batch {
                let _ = job.done.send(result.clone());
            }
        }
    }

    fn apply(&mut self, batch: &mut [Job]) -> Result<()> {
        let mut mark = self.applied.load(Ordering::SeqCst);
        for job in batch.iter_mut() {
            for op in job.ops.drain(..) {
                match op {
                    Op::Upsert(doc) => {
                        self.writer.delete_term(Term::from_field_u64(self.fields.id, doc.id));
                        self.writer.add_document(self.to_document(&doc))?;
                    }
                    Op::Delete(id) => {
                        self.writer.delete_term(Term::from_field_u64(self.fields.id, id));
                    }
                    Op::Shutdown => {}
                    Op::Mark(seq) => mark = mark.max(seq),
                    Op::AddAll(docs) => {
                        for doc in &docs {
                            self.writer.add_document(self.to_document(doc))?;
                        }
                    }
                    Op::ReplaceAll(docs) => {
                        self.writer.delete_all_documents()?;
                        for doc in &docs {
                            self.writer.add_document(self.to_document(doc))?;
                        }
                    }
                }
            }
        }
        let mut commit = self.writer.prepare_commit()?;
        if mark != NO_MARK {
            commit.set_payload(&mark.to_string());
        }
        commit.commit()?;
        self.applied.store(mark, Ordering::SeqCst);
        self.reader.reload()?;
        Ok(())
    }

    fn to_document(&self, d: &IndexDoc) -> TantivyDocument {
        let f = self.fields;
        let keywords = d.keywords.join(" ");
        let mut doc = doc!(
            f.id => d.id,
            f.kind => d.kind.as_str(),
            f.published_at => d.published_at,
        );
        doc.add_text(f.head, format!("{}\n{}", d.title, keywords));
        let all = format!("{}\n{}\n{}", d.title, keywords, d.description);
        doc.add_text(f.words, &all);
        doc.add_text(f.grams, all);
        if let Some(i) = &d.industry {
            doc.add_text(f.industry, i);
        }
        for r in &d.region_path {
            doc.add_text(f.region, r);
        }
        if let Some(t) = &d.achievement_type {
            doc.add_text(f.achievement_type, t);
        }
        for m in &d.modes {
            doc.add_text(f.mode, m);
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: u64, title: &str, description: &str, region: &[&str]) -> IndexDoc {
        IndexDoc {
            id,
            kind: "need".into(),
            title: title.into(),
            description: description.into(),
            region_path: region.iter().map(|s| s.to_string()).collect(),
            industry: Some("白酒".into()),
            ..Default::default()
        }
    }

    fn ids(hits: &SearchHits) -> Vec<u64> {
        hits.hits.iter().map(|h| h.0).collect()
    }

    #[tokio::test]
    async fn finds_chinese_words_and_follows_changes() -> Result<()> {
        let index = SearchIndex::in_memory()?;
        index
            .upsert(doc(1, "白酒糟资源化利用", "酒厂每天产生大量丢糟，希望将其发酵制成饲料。", &["510000", "510300"]))
            .await?;
        index.upsert(doc(2, "锂电池正极材料", "磷酸铁锂正极材料的制备工艺优化。", &["510000", "510900"])).await?;
        let q = |text: &str| SearchQuery { text: text.into(), limit: 10, ..Default::default() };
        assert_eq!(ids(&index.search(&q("饲料"))?), vec![1]);
        assert_eq!(ids(&index.search(&q("磷酸铁锂"))?), vec![2]);
        // A word jieba may segment differently still matches through bigrams.
        assert_eq!(ids(&index.search(&q("丢糟"))?), vec![1]);
        let in_zigong = SearchQuery { region: Some("510300".into()), ..q("材料 饲料") };
        assert_eq!(ids(&index.search(&in_zigong)?), vec![1]);

        index.upsert(doc(1, "白酒糟资源化利用", "改为生产有机肥。", &["510000", "510300"])).await?;
        assert!(index.search(&q("饲料"))?.hits.is_empty());
        assert_eq!(index.num_docs(), 2);
        index.delete(2).await?;
        assert!(index.search(&q("磷酸铁锂"))?.hits.is_empty());
        assert_eq!(index.search(&q("，。"))?, SearchHits::default());
        Ok(())
    }

    #[tokio::test]
    async fn title_matches_rank_above_description_matches() -> Result<()> {
        let index = SearchIndex::in_memory()?;
        index.upsert(doc(1, "污水处理设备维护", "本单位提供多种服务，其中包括无人机巡检。", &["510000"])).await?;
        index.upsert(doc(2, "无人机巡检服务", "为电力线路提供巡检。", &["510000"])).await?;
        let hits = index.search(&SearchQuery { text: "无人机".into(), limit: 10, ..Default::default() })?;
        assert_eq!(ids(&hits), vec![2, 1]);
        assert_eq!(hits.total, 2);
        Ok(())
    }

    #[tokio::test]
    async fn same_industry_beats_a_keyword_sharing_distractor_when_matching() -> Result<()> {
        let index = SearchIndex::in_memory()?;
        let offer = |id, title: &str, description: &str, industry: &str| IndexDoc {
            id,
            kind: "capability".into(),
            title: title.into(),
            description: description.into(),
            industry: Some(industry.into()),
            ..Default::default()
        };
        index.upsert(offer(1, "锅炉烟气余热回收", "食品蒸煮锅炉的烟气余热回收与节能改造。", "装备制造")).await?;
        index.upsert(offer(2, "白酒蒸馏锅炉节能", "酿酒车间蒸汽锅炉燃烧优化，降低煤耗。", "白酒酿造")).await?;
        let need = "酒厂烧锅炉太费煤，烟气余热想回收利用";
        let plain = SearchQuery { text: need.into(), limit: 10, weights: Weights::MATCHING, ..Default::default() };
        assert_eq!(ids(&index.search(&plain)?).first(), Some(&1), "on words alone the distractor leads");
        let matching = SearchQuery { prefer_industry: Some("白酒酿造".into()), ..plain };
        assert_eq!(ids(&index.search(&matching)?), vec![2, 1], "the same industry ranks first, the other stays");
        Ok(())
    }

    #[tokio::test]
    async fn unknown_words_match_as_a_whole_not_by_single_characters() -> Result<()> {
        let index = SearchIndex::in_memory()?;
        index.upsert(doc(1, "川味卤制品杀菌工艺", "卤菜保质期延长。", &["510000"])).await?;
        index.upsert(doc(2, "井盐卤水提锂", "生产中产生大量老卤，希望综合利用。", &["510000"])).await?;
        let hits = index.search(&SearchQuery { text: "老卤".into(), limit: 10, ..Default::default() })?;
        assert_eq!(ids(&hits).first(), Some(&2));
        Ok(())
    }

    /// Weights that score character bigrams only (one field, so scores can be compared with
    /// tantivy's own query).
    const BIGRAMS_ONLY: Weights = Weights { head: 0.0, words: 0.0, bigrams: 1.0, ..Weights::MATCHING };

    #[tokio::test]
    async fn scores_are_tantivys_bm25() -> Result<()> {
        use tantivy::collector::TopDocs;
        use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
        let index = SearchIndex::in_memory()?;
        let texts = [
            ("白酒糟资源化利用", "酒厂每天产生大量丢糟，希望将其发酵制成饲料。"),
            ("锂电池正极材料", "磷酸铁锂正极材料的制备工艺优化。"),
            ("酒糟饲料发酵工艺", "固态发酵生产蛋白饲料，降低酒厂处理成本。"),
            ("茶叶加工技术", "绿茶揉捻与烘干工艺，提高茶叶品质。"),
        ];
        for (n, (title, description)) in texts.iter().enumerate() {
            index.upsert(doc(n as u64 + 10, title, description, &[])).await?;
        }
        let text = "酒糟发酵饲料工艺";
        let ours =
            index.search(&SearchQuery { text: text.into(), limit: 10, weights: BIGRAMS_ONLY, ..Default::default() })?;

        let grams = analyze(&index.index, tokens::BIGRAMS, text);
        let clauses: Vec<(Occur, Box<dyn Query>)> = grams
            .iter()
            .map(|g| {
                let term = TermQuery::new(Term::from_field_text(index.fields.grams, g), IndexRecordOption::WithFreqs);
                (Occur::Should, Box::new(BoostQuery::new(Box::new(term), 1.0)) as Box<dyn Query>)
            })
            .collect();
        let searcher = index.reader.searcher();
        let theirs = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(10).order_by_score())?;
        let mut theirs: Vec<(u64, f32)> = theirs
            .iter()
            .filter_map(|(score, addr)| {
                let ids = searcher.segment_reader(addr.segment_ord).fast_fields().u64("id").ok()?;
                Some((ids.first(addr.doc_id)?, *score))
            })
            .collect();
        // tantivy orders equal scores by segment and document, we by id.
        theirs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        assert_eq!((ours.hits.len(), ours.total), (theirs.len(), theirs.len()));
        for ((id, score), (their_id, their_score)) in ours.hits.iter().zip(&theirs) {
            assert_eq!(id, their_id, "{ours:?} vs {theirs:?}");
            assert!((score - their_score).abs() < 1e-4, "{score} vs {their_score}");
        }
        assert_eq!(ids(&ours)[..2], [12, 10], "{ours:?}");
        Ok(())
    }

    #[tokio::test]
    async fn bonuses_filters_and_deletions() -> Result<()> {
        let index = SearchIndex::in_memory()?;
        let item = |id, kind: &str, title: &str, industry: &str, region: &[&str]| IndexDoc {
            id,
            kind: kind.into(),
            title: title.into(),
            description: "说明".into(),
            industry: Some(industry.into()),
            region_path: region.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        index.upsert(item(1, "capability", "无人机巡检服务", "电力", &["510000", "510100"])).await?;
        index.upsert(item(2, "capability", "茶叶烘干设备", "农业", &["510000", "510300"])).await?;
        index.upsert(item(3, "achievement", "无人机植保技术", "农业", &["510000", "510300"])).await?;
        index.upsert(item(4, "capability", "猕猴桃冷库贮藏", "食品", &["510000", "510300"])).await?;
        let base =
            SearchQuery { text: "无人机".into(), limit: 10, weights: Weights::MATCHING, ..Default::default() };

        // Text alone: the two drone items.
        let plain = index.search(&base)?;
        assert_eq!((ids(&plain).len(), plain.total), (2, 2));
        // The preferred industry brings in an item sharing no word and ranks its items first.
        let farm = index.search(&SearchQuery { prefer_industry: Some("农业".into()), ..base.clone() })?;
        assert_eq!(ids(&farm), vec![3, 2, 1]);
        assert_eq!(farm.total, 3);
        // A region bonus reorders candidates but brings in nobody (item 4 shares no word).
        let near = SearchQuery { prefer_regions: vec![("510100".into(), 50.0)], ..base.clone() };
        let near = index.search(&near)?;
        assert_eq!(ids(&near)[0], 1);
        assert_eq!(near.total, 2);
        // Filters are exact.
        let kind = index.search(&SearchQuery { kind: Some("achievement".into()), ..base.clone() })?;
        assert_eq!((ids(&kind), kind.total), (vec![3], 1));
        let nowhere = index.search(&SearchQuery { region: Some("520000".into()), ..base.clone() })?;
        assert_eq!(nowhere, SearchHits::default());
        // Deleted items are neither returned nor counted.
        index.delete(3).await?;
        let after = index.search(&SearchQuery { prefer_industry: Some("农业".into()), ..base.clone() })?;
        assert_eq!((ids(&after), after.total), (vec![2, 1], 2));
        // Also under a filter seen before (its bits are reused; deletions are not in them).
        let kind = index.search(&SearchQuery { kind: Some("achievement".into()), ..base })?;
        assert_eq!(kind, SearchHits::default());
        Ok(())
    }

    #[tokio::test]
    async fn long_queries_leave_out_terms_found_almost_everywhere() -> Result<()> {
        let index = SearchIndex::in_memory()?;
        // Items that all say 技术, each with a word of its own (two characters of its own).
        let own = |n: u32| -> String { (0..2).filter_map(|k| char::from_u32(0x4E00 + 2 * n + k)).collect() };
        let add = |range: std::ops::Range<u32>| {
            let index = index.clone();
            async move {
                for n in range {
                    index.upsert(doc(u64::from(n) + 1, &format!("技术{}", own(n)), "说明", &[])).await?;
                }
                Ok::<_, Error>(())
            }
        };
        let q = |text: String| SearchQuery { text, limit: 10, weights: BIGRAMS_ONLY, ..Default::default() };
        let long = (0..20).map(own).collect::<Vec<_>>().join(" ");
        let long = q(format!("技术 {long}"));
        // In a small index no term is common: a long query (more terms than MIN_TERMS) keeps 技术.
        add(0..30).await?;
        assert_eq!(index.search(&long)?.total, 30);
        // In 60 items it is (more than 5% and more than 50): only items sharing a rare word match.
        add(30..60).await?;
        let hits = index.search(&long)?;
        assert_eq!(hits.total, 20);
        assert!(ids(&hits).iter().all(|id| *id <= 20), "{hits:?}");
        // A short query keeps its only word, however common.
        assert_eq!(index.search(&q("技术".into()))?.total, 60);
        Ok(())
    }

    #[tokio::test]
    async fn equal_scores_rank_by_id_and_pages_follow_the_ranking() -> Result<()> {
        let index = SearchIndex::in_memory()?;
        for id in [7, 3, 9, 1, 5] {
            index.upsert(doc(id, "污水处理设备", "污水处理。", &[])).await?;
        }
        index.upsert(doc(4, "污水处理设备污水处理", "污水处理设备运维，污水处理工艺。", &[])).await?;
        let q = |offset, limit| SearchQuery { text: "污水处理".into(), offset, limit, ..Default::default() };
        let all = index.search(&q(0, 10))?;
        assert_eq!(ids(&all), vec![4, 1, 3, 5, 7, 9]);
        assert_eq!(all.total, 6);
        let page = index.search(&q(2, 2))?;
        assert_eq!((ids(&page), page.total), (vec![3, 5], 6));
        Ok(())
    }

    #[tokio::test]
    async fn reopening_a_directory_keeps_documents_and_survives_garbage() -> Result<()> {
        let dir = tempfile::tempdir()?;
        {
            let index = SearchIndex::open(dir.path())?;
            index.upsert(doc(7, "茶叶加工技术", "绿茶揉捻与烘干工艺。", &["510000"])).await?;
            index.shutdown().await?;
            assert!(index.upsert(IndexDoc::default()).await.is_err());
        }
        let index = SearchIndex::open(dir.path())?;
        assert_eq!(index.num_docs(), 1);
        assert_eq!(index.applied_seq(), None);
        index.apply_changes(vec![(7, None), (8, Some(doc(8, "茶叶", "茶叶", &[])))], 41).await?;
        index.upsert(doc(9, "猕猴桃", "猕猴桃", &[])).await?;
        assert_eq!(index.applied_seq(), Some(41), "a later commit keeps the mark");
        index.shutdown().await?;
        let index = SearchIndex::open(dir.path())?;
        assert_eq!((index.num_docs(), index.applied_seq()), (2, Some(41)));
        index.shutdown().await?;
        std::fs::write(dir.path().join("meta.json"), b"not json")?;
        let index = SearchIndex::open(dir.path())?;
        assert_eq!(index.num_docs(), 0);
        Ok(())
    }
}
