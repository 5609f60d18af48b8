//! Top-k ranking of a weighted bag of terms, term at a time.
//!
//! A matching query is long (a need's whole text: some 150 character bigrams and 60 jieba words),
//! and nearly every indexed item shares some of its terms. tantivy's union scorers then visit
//! every matching document with one cursor per term. Dynamic pruning (block-max WAND) does not
//! apply once the query has a filter or a constant bonus (the preferred industry), and gains
//! little on a flat query of a hundred terms that each add a little. Here instead each
//! segment gets one score accumulator per document: every kept term's posting list is decoded
//! block by block and its BM25 contribution added, then bonuses and filters are applied and one
//! pass over the accumulators keeps the best hits and counts every match. The cost is the
//! number of postings read, so a long query leaves out the terms found in more than a few percent
//! of the index (the near-stop-words of a corpus: 技术, 合作, 提供…, which add almost the same
//! small amount to every document) and scores only its few dozen most telling terms
//! ([`Pruning`]).
//!
//! Scores are the ones tantivy computes (its [`Bm25Weight`], global statistics over all
//! segments), so a query of a single field ranks exactly as a `BooleanQuery` of boosted
//! `TermQuery`s would.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::ops::Div;
use std::rc::Rc;
use std::sync::Arc;

use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::query::Bm25Weight;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, InvertedIndexReader, Score, Searcher, SegmentReader, Term};

/// What to rank: BM25 terms with weights, constant bonuses and filters.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Scored terms; a document matching any of them is a candidate.
    terms: Vec<(Term, Score)>,
    /// Constant bonuses that also make a document a candidate (the preferred industry).
    candidate_bonuses: Vec<(Term, Score)>,
    /// Constant bonuses for candidates only (preferred regions).
    bonuses: Vec<(Term, Score)>,
    /// A hit must contain every one of these terms.
    filters: Vec<Term>,
    pruning: Pruning,
}

/// Which of a query's terms are scored.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pruning {
    /// Terms in more than this share of the documents are left out...
    pub max_df: f64,
    /// ...if also in more than this many documents (in a small index no term is common)...
    pub min_common_df: u64,
    /// ...unless fewer than this many terms would remain (then the rarest are kept)...
    pub min_terms: usize,
    /// ...and at most this many are kept, the most telling (weight × idf) first.
    pub max_terms: usize,
}

impl Plan {
    pub fn new(pruning: Pruning) -> Plan {
        Plan { terms: Vec::new(), candidate_bonuses: Vec::new(), bonuses: Vec::new(), filters: Vec::new(), pruning }
    }

    /// Adds a scored term; the weights of a term added twice add up.
    pub fn term(&mut self, field: Field, text: &str, weight: Score) {
        if weight <= 0.0 {
            return;
        }
        let term = Term::from_field_text(field, text);
        match self.terms.iter_mut().find(|(t, _)| *t == term) {
            Some((_, w)) => *w += weight,
            None => self.terms.push((term, weight)),
        }
    }

    pub fn candidate_bonus(&mut self, field: Field, text: &str, bonus: Score) {
        if bonus > 0.0 {
            self.candidate_bonuses.push((Term::from_field_text(field, text), bonus));
        }
    }

    pub fn bonus(&mut self, field: Field, text: &str, bonus: Score) {
        if bonus > 0.0 {
            self.bonuses.push((Term::from_field_text(field, text), bonus));
        }
    }

    pub fn filter(&mut self, field: Field, text: &str) {
        self.filters.push(Term::from_field_text(field, text));
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.candidate_bonuses.is_empty()
    }
}

/// The best hits (best first, after the offset) and the number of all matches.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ranked {
    /// (item id, score).
    pub hits: Vec<(u64, Score)>,
    pub total: usize,
}

/// One scored term after selection: its weight and where it is in each segment.
struct Scored {
    field: Field,
    bm25: Bm25Weight,
    infos: Vec<Option<TermInfo>>,
}

/// Ranks the documents of `searcher` for `plan`; `id` names the u64 fast field that identifies
/// items (returned, and the tie-breaker between equal scores, so that results do not depend on
/// how documents happen to be spread over segments).
pub(crate) fn rank(searcher: &Searcher, plan: &Plan, id: &str, offset: usize, limit: usize) -> tantivy::Result<Ranked> {
    let segments = searcher.segment_readers();
    let total_docs: u64 = segments.iter().map(|s| u64::from(s.max_doc())).sum();
    if total_docs == 0 || plan.is_empty() {
        return Ok(Ranked::default());
    }
    let mut inverted: HashMap<(usize, Field), Arc<InvertedIndexReader>> = HashMap::new();
    let mut inverted_index = |seg: usize, field: Field| -> tantivy::Result<Arc<InvertedIndexReader>> {
        if let Some(ii) = inverted.get(&(seg, field)) {
            return Ok(ii.clone());
        }
        let ii = segments[seg].inverted_index(field)?;
        inverted.insert((seg, field), ii.clone());
        Ok(ii)
    };

    // Look every term up once per segment; its document frequency decides whether it is kept.
    let mut found: Vec<(u64, usize, Vec<Option<TermInfo>>)> = Vec::with_capacity(plan.terms.len());
    for (i, (term, _)) in plan.terms.iter().enumerate() {
        let mut infos = Vec::with_capacity(segments.len());
        let mut df = 0u64;
        for seg in 0..segments.len() {
            let info = inverted_index(seg, term.field())?.get_term_info(term)?;
            df += info.as_ref().map_or(0, |t| u64::from(t.doc_freq));
            infos.push(info);
        }
        if df > 0 {
            found.push((df, i, infos));
        }
    }
    found.sort_by_key(|(df, i, _)| (*df, *i));
    let Pruning { max_df, min_common_df, min_terms, max_terms } = plan.pruning;
    let common = ((max_df * total_docs as f64) as u64).max(min_common_df);
    let keep = found.iter().filter(|(df, _, _)| *df <= common).count().max(min_terms.min(found.len()));
    found.truncate(keep);
    if found.len() > max_terms {
        // Most telling first: weight × idf (as BM25 computes it).
        let value = |df: u64, i: usize| plan.terms[i].1 * ((total_docs - df) as f32 + 0.5).div(df as f32 + 0.5).ln_1p();
        found.sort_by(|a, b| value(b.0, b.1).total_cmp(&value(a.0, a.1)).then(a.1.cmp(&b.1)));
        found.truncate(max_terms);
    }

    let mut avg_fieldnorm: HashMap<Field, Score> = HashMap::new();
    let mut scored = Vec::with_capacity(found.len());
    for (df, i, infos) in found {
        let (term, weight) = &plan.terms[i];
        let field = term.field();
        let avg = match avg_fieldnorm.get(&field) {
            Some(avg) => *avg,
            None => {
                let mut tokens = 0u64;
                for seg in 0..segments.len() {
                    tokens += inverted_index(seg, field)?.total_num_tokens();
                }
                let avg = tokens as Score / total_docs as Score;
                avg_fieldnorm.insert(field, avg);
                avg
            }
        };
        let bm25 = Bm25Weight::for_one_term_without_explain(df, total_docs, avg).boost_by(*weight);
        scored.push(Scored { field, bm25, infos });
    }
    if scored.is_empty() && plan.candidate_bonuses.is_empty() {
        return Ok(Ranked::default());
    }

    let wanted = offset.saturating_add(limit);
    let mut best = BinaryHeap::with_capacity(wanted.min(1024) + 1);
    let mut total = 0usize;
    for (seg, segment) in segments.iter().enumerate() {
        let counted = ACCUMULATOR.with(|acc| -> tantivy::Result<usize> {
            let mut acc = acc.borrow_mut();
            let ids = segment.fast_fields().u64(id)?;
            rank_segment(segment, seg, plan, &scored, &mut inverted_index, &mut acc, &ids, wanted, &mut best)
        })?;
        total += counted;
    }
    let mut hits: Vec<Hit> = best.into_vec();
    hits.sort();
    let hits = hits.into_iter().skip(offset).map(|h| (h.id, h.score)).collect();
    Ok(Ranked { hits, total })
}

/// Documents per word of a mask, and per chunk of the final scan.
const CHUNK: usize = 64;

/// A filter term's documents in a segment as bits (see `rank_segment`), built by `build` unless
/// this thread has them already: the same few filters (kind, status…) come back query after
/// query, and a segment's postings never change (deletions are applied apart).
fn filter_bits(
    segment: &SegmentReader,
    term: &Term,
    build: impl FnOnce() -> tantivy::Result<Vec<u64>>,
) -> tantivy::Result<Rc<Vec<u64>>> {
    let key = (segment.segment_id(), term.clone());
    if let Some(bits) = FILTERS.with(|f| f.borrow().get(&key).cloned()) {
        return Ok(bits);
    }
    let bits = Rc::new(build()?);
    FILTERS.with(|f| {
        let mut f = f.borrow_mut();
        // Segments come and go with merges: start over rather than grow without bound.
        if f.len() >= MAX_CACHED_FILTERS {
            f.clear();
        }
        f.insert(key, bits.clone());
    });
    Ok(bits)
}

type FilterCache = HashMap<(SegmentId, Term), Rc<Vec<u64>>>;

/// Filter bit sets kept per thread (each at most an eighth of a byte per document).
const MAX_CACHED_FILTERS: usize = 64;

thread_local! {
    static FILTERS: RefCell<FilterCache> = RefCell::new(HashMap::new());
    /// Per-document scores of the segment being ranked, reused across queries on a thread.
    static ACCUMULATOR: RefCell<Vec<Score>> = const { RefCell::new(Vec::new()) };
}

#[allow(clippy::too_many_arguments)]
fn rank_segment(
    segment: &SegmentReader,
    seg: usize,
    plan: &Plan,
    scored: &[Scored],
    inverted_index: &mut dyn FnMut(usize, Field) -> tantivy::Result<Arc<InvertedIndexReader>>,
    acc: &mut Vec<Score>,
    ids: &Column<u64>,
    wanted: usize,
    best: &mut BinaryHeap<Hit>,
) -> tantivy::Result<usize> {
    let max_doc = segment.max_doc();
    // The documents that may be hits, one bit each, 64 to a word (as the chunks scanned below):
    // those in every filter and not deleted; `None` for all. A segment without one of the filter
    // terms has no hit.
    let words = (max_doc as usize).div_ceil(CHUNK);
    let mut mask: Option<Vec<u64>> = None;
    for term in &plan.filters {
        let ii = inverted_index(seg, term.field())?;
        let Some(info) = ii.get_term_info(term)? else {
            return Ok(0);
        };
        let set = filter_bits(segment, term, || {
            let mut set = vec![0u64; words];
            for_each_posting(&ii, &info, false, |doc, _| set[doc as usize / CHUNK] |= 1 << (doc as usize % CHUNK))?;
            Ok(set)
        })?;
        mask = Some(match mask {
            Some(m) => m.iter().zip(set.iter()).map(|(a, b)| a & b).collect(),
            None => set.to_vec(),
        });
    }
    if let Some(alive) = segment.alive_bitset() {
        let m = mask.get_or_insert_with(|| vec![u64::MAX; words]);
        for doc in (0..max_doc).filter(|d| alive.is_deleted(*d)) {
            m[doc as usize / CHUNK] &= !(1 << (doc as usize % CHUNK));
        }
    }

    acc.clear();
    acc.resize(max_doc as usize, 0.0);
    for term in scored {
        let Some(info) = &term.infos[seg] else { continue };
        let fieldnorms = segment.get_fieldnorms_reader(term.field)?;
        let bm25 = &term.bm25;
        // Nearly every frequency is 1: its scores by field length, without a division.
        let once: Vec<Score> = (0..=255u8).map(|id| bm25.score(id, 1)).collect();
        let ii = inverted_index(seg, term.field)?;
        for_each_posting(&ii, info, true, |doc, tf| {
            let id = fieldnorms.fieldnorm_id(doc);
            acc[doc as usize] += if tf == 1 { once[id as usize] } else { bm25.score(id, tf) };
        })?;
    }
    for (term, bonus) in &plan.candidate_bonuses {
        let ii = inverted_index(seg, term.field())?;
        if let Some(info) = ii.get_term_info(term)? {
            for_each_posting(&ii, &info, false, |doc, _| acc[doc as usize] += bonus)?;
        }
    }
    for (term, bonus) in &plan.bonuses {
        let ii = inverted_index(seg, term.field())?;
        if let Some(info) = ii.get_term_info(term)? {
            for_each_posting(&ii, &info, false, |doc, _| {
                let s = &mut acc[doc as usize];
                if *s > 0.0 {
                    *s += bonus;
                }
            })?;
        }
    }

    // Count the matches and keep the best, looking closer only at chunks that hold a score not
    // below the worst kept hit (the plain count and maximum vectorise).
    let mut total = 0usize;
    let mut worst = if best.len() >= wanted { best.peek().copied() } else { None };
    for (c, chunk) in acc.chunks_mut(CHUNK).enumerate() {
        if let Some(m) = &mask {
            // Documents deleted or outside a filter score nothing.
            let bits = m[c];
            if bits == 0 {
                continue;
            }
            if bits != u64::MAX {
                for (i, s) in chunk.iter_mut().enumerate() {
                    *s *= (bits >> i & 1) as Score;
                }
            }
        }
        let chunk = &*chunk;
        let matched = chunk.iter().filter(|s| **s > 0.0).count();
        total += matched;
        let top = chunk.iter().fold(0.0, |m: Score, s| m.max(*s));
        if matched == 0 || worst.is_some_and(|w| top < w.score) {
            continue;
        }
        for (i, &score) in chunk.iter().enumerate() {
            if score <= 0.0 || worst.is_some_and(|w| score < w.score) {
                continue;
            }
            let doc = (c * CHUNK + i) as DocId;
            let hit = Hit { score, id: ids.first(doc).unwrap_or(u64::MAX) };
            if worst.is_some_and(|w| hit >= w) {
                continue;
            }
            best.push(hit);
            if best.len() > wanted {
                best.pop();
            }
            if best.len() >= wanted {
                worst = best.peek().copied();
            }
        }
    }
    Ok(total)
}

/// Calls `f(doc, term frequency)` for every posting of a term (frequency 1 when not read).
fn for_each_posting(
    ii: &InvertedIndexReader,
    info: &TermInfo,
    freqs: bool,
    mut f: impl FnMut(DocId, u32),
) -> tantivy::Result<()> {
    let option = if freqs { IndexRecordOption::WithFreqs } else { IndexRecordOption::Basic };
    let mut block = ii.read_block_postings_from_terminfo(info, option)?;
    loop {
        let docs = block.docs();
        if docs.is_empty() {
            return Ok(());
        }
        if freqs {
            for (&doc, &tf) in docs.iter().zip(block.freqs()) {
                f(doc, tf);
            }
        } else {
            for &doc in docs {
                f(doc, 1);
            }
        }
        block.advance();
    }
}

/// A hit in the heap of the best ones. Ordered best first: higher score, then lower item id;
/// so the heap's top (its greatest) is the worst hit kept.
#[derive(Debug, Clone, Copy)]
struct Hit {
    score: Score,
    id: u64,
}

impl Ord for Hit {
    fn cmp(&self, other: &Self) -> Ordering {
        other.score.total_cmp(&self.score).then(self.id.cmp(&other.id))
    }
}

impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Hit {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Hit {}
