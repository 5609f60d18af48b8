//! The Chinese full-text index of published items.
//!
//! Derived state: the database is the truth and this index can always be rebuilt from it.
//! One thread owns the `IndexWriter` (as in Meilisearch): handlers send it operations and wait
//! for the commit that contains them, so a published item is searchable as soon as the request
//! that published it returns. Searches run on a reader that is reloaded after each commit.
//!
//! Text is segmented with jieba (search mode) for precise matches and, as a fallback for words
//! jieba does not know or splits differently, also indexed as character bigrams.

pub mod eval;
mod tokens;

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
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
    pub title: f32,
    pub keywords: f32,
    pub description: f32,
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
    /// (a coarse grid over these six numbers, not per item): long colloquial needs match offers
    /// mostly through character bigrams and the shared industry; jieba words add a little.
    /// Figures in the README.
    pub const MATCHING: Weights = Weights {
        title: 0.2,
        keywords: 0.2,
        description: 0.2,
        bigrams: 1.0,
        single_char: 0.5,
        industry: 20.0,
        local: 3.0,
        synonyms: 0.5,
    };
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            title: 3.0,
            keywords: 2.0,
            description: 1.0,
            bigrams: 0.5,
            single_char: 0.2,
            industry: 0.0,
            local: 0.0,
            synonyms: 0.5,
        }
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
    /// (item id, score), best first.
    pub hits: Vec<(u64, f32)>,
    pub total: usize,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    title: Field,
    keywords: Field,
    description: Field,
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
        TextFieldIndexing::default()
            .set_tokenizer(tokens::WORDS)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let grams = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(tokens::BIGRAMS).set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | STORED | FAST),
        kind: b.add_text_field("kind", STRING),
        title: b.add_text_field("title", words.clone()),
        keywords: b.add_text_field("keywords", words.clone()),
        description: b.add_text_field("description", words),
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
        let mut text: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let extra = q.expansions.join(" ");
        if q.weights.synonyms > 0.0 && !extra.is_empty() {
            let known: Vec<String> = grams.clone();
            for g in analyze(&self.index, tokens::BIGRAMS, &extra).into_iter().filter(|g| !known.contains(g)) {
                text.push((Occur::Should, boosted(f.grams, &g, q.weights.bigrams * q.weights.synonyms)));
            }
        }
        for w in &words {
            // A lone character (often what jieba leaves of a word it does not know) says little;
            // the bigrams of the same text carry that word instead.
            let wt = q.weights;
            let weight = if w.chars().count() == 1 { wt.single_char } else { 1.0 };
            for (field, boost) in [(f.title, wt.title), (f.keywords, wt.keywords), (f.description, wt.description)] {
                if boost * weight > 0.0 {
                    text.push((Occur::Should, boosted(field, w, boost * weight)));
                }
            }
        }
        if q.weights.bigrams > 0.0 {
            for g in &grams {
                text.push((Occur::Should, boosted(f.grams, g, q.weights.bigrams)));
            }
        }
        // Candidates: items sharing text with the query, or (when matching) items of the same
        // industry — a need in plain words may share no term with the right offer.
        let mut candidates: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, Box::new(BooleanQuery::new(text)))];
        if let Some(industry) = &q.prefer_industry
            && q.weights.industry > 0.0
        {
            let same = ConstScoreQuery::new(Box::new(term_query(f.industry, industry)), q.weights.industry);
            candidates.push((Occur::Should, Box::new(same)));
        }
        let mut all: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(BooleanQuery::new(candidates)))];
        for (code, bonus) in &q.prefer_regions {
            let near = ConstScoreQuery::new(Box::new(term_query(f.region, code)), *bonus);
            all.push((Occur::Should, Box::new(near)));
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
                all.push((Occur::Must, Box::new(term_query(field, v))));
            }
        }
        let query = BooleanQuery::new(all);
        let searcher = self.reader.searcher();
        let limit = q.limit.clamp(1, 1000);
        let top = TopDocs::with_limit(limit).and_offset(q.offset).order_by_score();
        let (top, total) = searcher.search(&query, &(top, Count))?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = doc.get_first(f.id).and_then(|v| v.as_u64()) {
                hits.push((id, score));
            }
        }
        Ok(SearchHits { hits, total })
    }
}

fn term_query(field: Field, value: &str) -> TermQuery {
    TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic)
}

fn boosted(field: Field, text: &str, boost: f32) -> Box<dyn Query> {
    let q = TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs);
    Box::new(BoostQuery::new(Box::new(q), boost))
}

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
            f.title => d.title.as_str(),
            f.keywords => keywords.as_str(),
            f.description => d.description.as_str(),
            f.published_at => d.published_at,
        );
        doc.add_text(f.grams, format!("{}\n{}\n{}", d.title, keywords, d.description));
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
