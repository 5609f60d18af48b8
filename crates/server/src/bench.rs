//! `kejiyun bench …`: performance figures. Benchmarks print; tests never assert times.
//!
//! `kejiyun bench match` builds the synthetic corpus of `kejiyun_demo::corpus` (seeded, streamed),
//! indexes it into a temporary directory exactly as the platform does (`SearchIndex::add_all` in
//! chunks), times need → offer queries shaped as in `match_eval` (title + keywords + description,
//! shipped synonyms, [`Weights::MATCHING`], the need's industry preferred, top 10), reads the peak
//! RSS, and times the naive alternative on the same rows: SQL `LIKE '%词%'` in SQLite.

use std::path::Path;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use anyhow::Context;
use kejiyun_demo::corpus::{self, CorpusItem};
use kejiyun_domain::synonyms::Synonyms;
use kejiyun_search::{IndexDoc, SearchIndex, SearchQuery, Weights};
use sqlx::ConnectOptions as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// Arguments of `kejiyun bench match`.
#[derive(Debug, Clone, clap::Args)]
pub struct MatchBenchArgs {
    /// Size of the synthetic corpus.
    #[arg(long, default_value_t = 1_000_000)]
    pub items: usize,
    /// Number of need queries timed.
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Also time variants of the query on a sample of the needs (where the time goes).
    #[arg(long)]
    pub breakdown: bool,
}

/// Documents per `add_all` call (each call is one commit).
const CHUNK: usize = 20_000;
/// Rows per SQLite transaction when loading the `LIKE` table.
const SQL_BATCH: usize = 50_000;
/// Queries timed with `LIKE` (each may scan the whole table).
const LIKE_SAMPLE: usize = 20;
/// Untimed queries (of another seed) run before the timed ones.
const WARMUP: usize = 10;
/// Needs timed per variant with `--breakdown`.
const BREAKDOWN_SAMPLE: usize = 100;
/// Top hits asked for, as in matching.
const TOP: usize = 10;

pub async fn match_bench(args: MatchBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.items > 0 && args.queries > 0, "--items and --queries must be at least 1");
    let MatchBenchArgs { items: n, queries: q, seed, breakdown } = args;
    let cpus = std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1);
    println!("bench match: items={n} queries={q} seed={seed} cpus={cpus}");
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let index_dir = dir.path().join("index");

    // ---- build
    let build = build_index(&index_dir, seed, n).await?;
    let index = build.index;
    println!(
        "build: {n} docs in {:.1} s = generate+add+commit {:.1} s + background merges settling {:.1} s \
         (generation {:.1} s of it, pipelined with indexing; {} add_all calls of ≤{CHUNK}, one commit each)",
        build.total.as_secs_f64(),
        build.added.as_secs_f64(),
        build.settled.as_secs_f64(),
        build.generate.as_secs_f64(),
        n.div_ceil(CHUNK),
    );
    println!("build CPU: {}", cpu_share(build.cpu, build.total, cpus));
    println!(
        "index: {} docs, {} segments, {:.0} MiB on disk; text {:.0} MiB ({:.0} chars/doc)",
        index.num_docs(),
        segment_count(&index_dir).map_or_else(|| "?".to_string(), |s| s.to_string()),
        dir_size(&index_dir) as f64 / MIB,
        build.text_bytes as f64 / MIB,
        build.text_chars as f64 / n as f64,
    );
    anyhow::ensure!(index.num_docs() == n as u64, "indexed {} of {n} documents", index.num_docs());
    let rss_build = memory();
    println!("memory after build: {rss_build}");

    // ---- queries
    let needs: Vec<CorpusItem> = corpus::needs(seed, q).collect();
    let warmup: Vec<CorpusItem> = corpus::needs(seed ^ 0x5741_524D, WARMUP).collect();
    let (query_started, query_cpu) = (Instant::now(), cpu_time());
    let timed = {
        let index = index.clone();
        let needs = needs.clone();
        tokio::task::spawn_blocking(move || run_queries(&index, &warmup, &needs)).await??
    };
    let query_cpu = cpu_time().zip(query_cpu).map(|(after, before)| after.saturating_sub(before));
    let query_wall = query_started.elapsed();
    let mut sorted: Vec<f64> = timed.iter().map(|t| t.ms).collect();
    sorted.sort_by(f64::total_cmp);
    let (p50, p90, p99, max) =
        (percentile(&sorted, 50.0), percentile(&sorted, 90.0), percentile(&sorted, 99.0), percentile(&sorted, 100.0));
    let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
    let mut totals: Vec<usize> = timed.iter().map(|t| t.total).collect();
    totals.sort_unstable();
    let same_industry = relevance(seed, &needs, &timed);
    let words = timed.iter().map(|t| t.chars).sum::<usize>() as f64 / timed.len() as f64;
    println!(
        "queries: {q} sequential on one thread, top {TOP}, {WARMUP} untimed warm-up queries first; \
         need text {words:.0} chars on average"
    );
    println!(
        "latency ms: p50={p50:.2} p90={p90:.2} p99={p99:.2} max={max:.2} mean={mean:.2} (total {:.1} s)",
        sorted.iter().sum::<f64>() / 1000.0
    );
    println!("query CPU: {} (one query at a time: at most 1 core)", cpu_share(query_cpu, query_wall, cpus));
    println!(
        "matched docs per query: median {} (min {}, max {}); top-{TOP} hits in the need's industry: {:.1}%",
        totals[totals.len() / 2],
        totals[0],
        totals[totals.len() - 1],
        same_industry * 100.0
    );
    let rss_queries = memory();
    println!("memory after queries: {rss_queries}");
    if breakdown {
        let index = index.clone();
        let sample: Vec<CorpusItem> = needs.iter().take(BREAKDOWN_SAMPLE).cloned().collect();
        for line in tokio::task::spawn_blocking(move || query_breakdown(&index, &sample)).await?? {
            println!("{line}");
        }
    }
    index.shutdown().await?;
    drop(index);

    // ---- the naive approach on the same rows
    let like = like_baseline(&dir.path().join("like.db"), seed, n, &needs).await?;
    println!(
        "sqlite: {n} rows loaded in {:.1} s ({} per transaction, journal off, synchronous off), {:.0} MiB",
        like.load.as_secs_f64(),
        SQL_BATCH,
        like.file_bytes as f64 / MIB
    );
    let like_p50 = percentile_of(&like.limit_ms, 50.0);
    let count_p50 = percentile_of(&like.count_ms, 50.0);
    println!(
        "LIKE: {} of {q} needs sampled, `%<first keyword>%` on title or description; \
         LIMIT {TOP}: p50={like_p50:.2} ms max={:.2} ms; COUNT(*) (the total a results page shows): \
         p50={count_p50:.2} ms max={:.2} ms (median {} rows match)",
        like.limit_ms.len(),
        percentile_of(&like.limit_ms, 100.0),
        percentile_of(&like.count_ms, 100.0),
        like.median_matches,
    );
    let speedup = like_p50 / p50.max(f64::MIN_POSITIVE);
    println!(
        "index vs LIKE at p50: LIMIT {TOP} {speedup:.3}×, COUNT(*) {:.1}× (the index ranks the whole need text; \
         LIKE looks for one word and does not rank)",
        count_p50 / p50.max(f64::MIN_POSITIVE)
    );
    let end = memory();
    println!("memory at end: {end}");
    let targets = [
        ("p99 ≤ 20 ms", p99 <= 20.0),
        ("build ≤ 120 s", build.total.as_secs_f64() <= 120.0),
        ("peak RSS ≤ 2048 MiB", end.hwm_mib <= 2048.0),
    ];
    let verdict: Vec<String> =
        targets.iter().map(|(t, ok)| format!("{t}: {}", if *ok { "met" } else { "MISSED" })).collect();
    println!("targets: {}", verdict.join("; "));
    println!(
        "items={n} build_s={:.1} p50_ms={p50:.2} p99_ms={p99:.2} rss_mib={:.1} like_p50_ms={like_p50:.2} \
         speedup={speedup:.3}",
        build.total.as_secs_f64(),
        end.hwm_mib,
    );
    Ok(())
}

const MIB: f64 = 1024.0 * 1024.0;

fn index_doc(item: CorpusItem) -> IndexDoc {
    IndexDoc {
        id: item.id,
        kind: item.kind.to_string(),
        title: item.title,
        keywords: item.keywords,
        description: item.description,
        industry: Some(item.industry.to_string()),
        ..Default::default()
    }
}

/// The text a need is matched by (as `match_eval`).
fn need_text(need: &CorpusItem) -> String {
    format!("{} {} {}", need.title, need.keywords.join(" "), need.description)
}

/// The platform's shipped synonym list, as `match_eval` uses it.
static SYNONYMS: LazyLock<Synonyms> = LazyLock::new(Synonyms::shipped);

/// A need's matching query, as `match_eval` builds it (the corpus has no regions, so no
/// `prefer_regions`).
fn need_query(need: &CorpusItem) -> SearchQuery {
    let text = need_text(need);
    SearchQuery {
        expansions: SYNONYMS.expand(&text),
        text,
        prefer_industry: Some(need.industry.to_string()),
        limit: TOP,
        weights: Weights::MATCHING,
        ..Default::default()
    }
}

struct Built {
    index: SearchIndex,
    total: Duration,
    added: Duration,
    settled: Duration,
    generate: Duration,
    /// CPU time of the process over the build (all threads).
    cpu: Option<Duration>,
    text_bytes: usize,
    text_chars: usize,
}

/// Streams the corpus into a new index in `dir`: the next chunk is generated while the writer
/// indexes the previous one. Then waits for the background merges to finish and commits once more,
/// so that queries run on the merged index with no merge competing for the CPU.
async fn build_index(dir: &Path, seed: u64, n: usize) -> anyhow::Result<Built> {
    let index = SearchIndex::open(dir)?;
    let started = Instant::now();
    let cpu_before = cpu_time();
    let mut generate = Duration::ZERO;
    let (mut text_bytes, mut text_chars) = (0, 0);
    let mut items = corpus::offers(seed, n);
    let mut pending: Option<tokio::task::JoinHandle<kejiyun_search::Result<()>>> = None;
    loop {
        let t = Instant::now();
        let chunk: Vec<IndexDoc> = items
            .by_ref()
            .take(CHUNK)
            .map(|it| {
                text_bytes += it.title.len() + it.description.len();
                text_chars += it.title.chars().count() + it.description.chars().count();
                index_doc(it)
            })
            .collect();
        generate += t.elapsed();
        if let Some(previous) = pending.take() {
            previous.await??;
        }
        if chunk.is_empty() {
            break;
        }
        let index = index.clone();
        pending = Some(tokio::spawn(async move { index.add_all(chunk).await }));
    }
    let added = started.elapsed();
    // Merges run on tantivy's own threads after the commits: wait until the process is idle.
    wait_until_idle(Duration::from_secs(600)).await;
    // An empty append commits once more and reloads the reader onto the merged segments.
    index.add_all(Vec::new()).await?;
    let total = started.elapsed();
    let cpu = cpu_time().zip(cpu_before).map(|(after, before)| after.saturating_sub(before));
    Ok(Built { index, total, added, settled: total - added, generate, cpu, text_bytes, text_chars })
}

struct Timed {
    ms: f64,
    total: usize,
    chars: usize,
    hits: Vec<u64>,
}

fn run_queries(index: &SearchIndex, warmup: &[CorpusItem], needs: &[CorpusItem]) -> anyhow::Result<Vec<Timed>> {
    for need in warmup {
        index.search(&need_query(need))?;
    }
    let mut out = Vec::with_capacity(needs.len());
    for need in needs {
        let query = need_query(need);
        let t = Instant::now();
        let hits = index.search(&query)?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        out.push(Timed {
            ms,
            total: hits.total,
            chars: query.text.chars().count(),
            hits: hits.hits.iter().map(|h| h.0).collect(),
        });
    }
    Ok(out)
}

/// Times variants of the matching query on `sample`, to show where the time goes. Variants that
/// the search crate cannot express through its API (no hit count, fewer terms) are not here.
fn query_breakdown(index: &SearchIndex, sample: &[CorpusItem]) -> anyhow::Result<Vec<String>> {
    let empty = SearchIndex::in_memory()?;
    let m = Weights::MATCHING;
    let words_only = Weights { bigrams: 0.0, ..m };
    let grams_only = Weights { head: 0.0, words: 0.0, ..m };
    type Variant = (&'static str, Box<dyn Fn(&CorpusItem) -> SearchQuery>);
    let variants: Vec<(Variant, &SearchIndex)> = vec![
        (("matching query (as timed above)", Box::new(need_query)), index),
        (("same query on an empty index (analysis + query building)", Box::new(need_query)), &empty),
        (
            (
                "jieba words only (bigram weight 0)",
                Box::new(move |n| SearchQuery { weights: words_only, ..need_query(n) }),
            ),
            index,
        ),
        (
            ("bigrams only (word weights 0)", Box::new(move |n| SearchQuery { weights: grams_only, ..need_query(n) })),
            index,
        ),
        (
            (
                "title + keywords only (no description)",
                Box::new(|n: &CorpusItem| text_query(n, format!("{} {}", n.title, n.keywords.join(" ")))),
            ),
            index,
        ),
        (
            (
                "no synonym expansions",
                Box::new(|n: &CorpusItem| SearchQuery { expansions: Vec::new(), ..need_query(n) }),
            ),
            index,
        ),
        (
            (
                "no preferred industry",
                Box::new(|n: &CorpusItem| SearchQuery { prefer_industry: None, ..need_query(n) }),
            ),
            index,
        ),
        (
            (
                "first keyword alone (what LIKE is given)",
                Box::new(|n: &CorpusItem| text_query(n, n.keywords.first().cloned().unwrap_or_default())),
            ),
            index,
        ),
    ];
    let mut lines = vec![format!("breakdown on {} needs (p50 / p99 ms, median matched docs):", sample.len())];
    for ((label, make), target) in &variants {
        let mut ms = Vec::with_capacity(sample.len());
        let mut totals = Vec::with_capacity(sample.len());
        for need in sample {
            let query = make(need);
            let t = Instant::now();
            let hits = target.search(&query)?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            totals.push(hits.total);
        }
        totals.sort_unstable();
        lines.push(format!(
            "  {label}: {:.2} / {:.2} ms, {} docs",
            percentile_of(&ms, 50.0),
            percentile_of(&ms, 99.0),
            totals.get(totals.len() / 2).copied().unwrap_or(0)
        ));
    }
    Ok(lines)
}

/// The need's query with another text (and the synonyms of that text).
fn text_query(need: &CorpusItem, text: String) -> SearchQuery {
    SearchQuery { expansions: SYNONYMS.expand(&text), text, ..need_query(need) }
}

/// Share of the returned hits that are of the need's industry (a sanity check that queries find
/// related offers; items are regenerated from their ids).
fn relevance(seed: u64, needs: &[CorpusItem], timed: &[Timed]) -> f64 {
    let (mut same, mut all) = (0usize, 0usize);
    for (need, t) in needs.iter().zip(timed) {
        for &id in &t.hits {
            all += 1;
            same += usize::from(corpus::offer(seed, id).industry == need.industry);
        }
    }
    same as f64 / all.max(1) as f64
}

struct Like {
    load: Duration,
    file_bytes: u64,
    limit_ms: Vec<f64>,
    count_ms: Vec<f64>,
    median_matches: i64,
}

/// The same rows in a SQLite table, searched with `LIKE '%word%'` for the first keyword of a
/// sample of the needs.
async fn like_baseline(path: &Path, seed: u64, n: usize, needs: &[CorpusItem]) -> anyhow::Result<Like> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Off)
        .synchronous(SqliteSynchronous::Off)
        // Full scans are the point here: no "slow statement" warnings.
        .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(3600));
    let pool: SqlitePool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
    sqlx::query(
        "CREATE TABLE bench_items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL, \
         industry TEXT NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let started = Instant::now();
    let mut tx = pool.begin().await?;
    for (i, item) in corpus::offers(seed, n).enumerate() {
        sqlx::query("INSERT INTO bench_items (id, title, description, industry) VALUES ($1, $2, $3, $4)")
            .bind(i64::try_from(item.id)?)
            .bind(item.title)
            .bind(item.description)
            .bind(item.industry)
            .execute(&mut *tx)
            .await?;
        if (i + 1).is_multiple_of(SQL_BATCH) {
            tx.commit().await?;
            tx = pool.begin().await?;
        }
    }
    tx.commit().await?;
    let load = started.elapsed();
    let file_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);

    let (mut limit_ms, mut count_ms, mut matches) = (Vec::new(), Vec::new(), Vec::new());
    for need in needs.iter().take(LIKE_SAMPLE) {
        let word = need.keywords.first().map_or(need.title.as_str(), String::as_str);
        let pattern = format!("%{word}%");
        let t = Instant::now();
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM bench_items WHERE title LIKE $1 OR description LIKE $1 LIMIT 10")
                .bind(&pattern)
                .fetch_all(&pool)
                .await?;
        limit_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(rows);
        let t = Instant::now();
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM bench_items WHERE title LIKE $1 OR description LIKE $1")
                .bind(&pattern)
                .fetch_one(&pool)
                .await?;
        count_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        matches.push(count);
    }
    pool.close().await;
    matches.sort_unstable();
    let median_matches = matches.get(matches.len() / 2).copied().unwrap_or(0);
    Ok(Like { load, file_bytes, limit_ms, count_ms, median_matches })
}

/// Nearest-rank percentile of sorted values (0 for none).
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn percentile_of(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile(&sorted, p)
}

/// Memory of this process from `/proc/self/status`, in MiB (zero where unavailable).
#[derive(Debug, Clone, Copy, Default)]
struct Memory {
    /// Peak resident set (`VmHWM`), file-backed pages (the memory-mapped index) included.
    hwm_mib: f64,
    rss_mib: f64,
    anon_mib: f64,
    file_mib: f64,
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "peak RSS (VmHWM) {:.0} MiB; now RSS {:.0} MiB = anonymous {:.0} + file-backed (mmap) {:.0}",
            self.hwm_mib, self.rss_mib, self.anon_mib, self.file_mib
        )
    }
}

fn memory() -> Memory {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return Memory::default();
    };
    let field = |name: &str| -> f64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    Memory {
        hwm_mib: field("VmHWM:"),
        rss_mib: field("VmRSS:"),
        anon_mib: field("RssAnon:"),
        file_mib: field("RssFile:"),
    }
}

/// CPU time of this process so far (user + system), from `/proc/self/stat`.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold blanks).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis((utime + stime) * 10))
}

/// "312.0 s over 174.5 s wall = 1.79 of 2 cores" (a share below the cores means waiting, or
/// other processes taking the CPU).
fn cpu_share(cpu: Option<Duration>, wall: Duration, cpus: usize) -> String {
    match cpu {
        Some(cpu) => format!(
            "{:.1} s over {:.1} s wall = {:.2} of {cpus} cores",
            cpu.as_secs_f64(),
            wall.as_secs_f64(),
            cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9)
        ),
        None => "unavailable".to_string(),
    }
}

/// Waits until the process uses less than a tenth of a core over half a second (or `limit`).
async fn wait_until_idle(limit: Duration) {
    let started = Instant::now();
    let step = Duration::from_millis(500);
    let Some(mut before) = cpu_time() else {
        return;
    };
    while started.elapsed() < limit {
        tokio::time::sleep(step).await;
        let Some(now) = cpu_time() else {
            return;
        };
        if now.saturating_sub(before) < step / 10 {
            return;
        }
        before = now;
    }
}

/// The number of segments in the index's `meta.json`.
fn segment_count(dir: &Path) -> Option<usize> {
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("meta.json")).ok()?).ok()?;
    meta.get("segments")?.as_array().map(Vec::len)
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
