//! `kejiyun match eval`: ranks every need of a query file against a throw-away index of an item
//! file with the platform's own search engine, and scores the ranking against graded judgements.
//! File formats: `shared/data/match-dev/README.md` (JSON lines; qrels as TSV).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use kejiyun_search::eval::{self, Metrics, Run};
use kejiyun_search::{IndexDoc, SearchIndex, SearchQuery};
use serde::Deserialize;

/// How many results are kept per query (the metrics' cut-off).
pub const TOP: usize = 10;

#[derive(Deserialize)]
struct EvalItem {
    id: String,
    kind: String,
    title: String,
    description: String,
    #[serde(default)]
    industry: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    region: Option<String>,
}

#[derive(Deserialize)]
struct EvalNeed {
    id: String,
    #[serde(default)]
    industry: Option<String>,
    title: String,
    description: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    region: Option<String>,
}

/// Region path codes for a region given by name in the evaluation files ("自贡市", "凉山州").
fn region_path(name: Option<&str>) -> Vec<String> {
    let tree = kejiyun_domain::regions();
    name.and_then(|n| tree.find_by_name(n))
        .map(|r| tree.path(&r.code).iter().map(|p| p.code.clone()).collect())
        .unwrap_or_default()
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Vec<T>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).with_context(|| format!("{} line {}", path.display(), n + 1)))
        .collect()
}

/// The text a need is matched by.
fn need_text(need: &EvalNeed) -> String {
    format!("{} {} {}", need.title, need.keywords.join(" "), need.description)
}

/// Ranks the queries; returns the run (top [`TOP`] per query).
pub async fn rank(items_path: &Path, queries_path: &Path) -> anyhow::Result<Run> {
    let items: Vec<EvalItem> = read_jsonl(items_path)?;
    let needs: Vec<EvalNeed> = read_jsonl(queries_path)?;
    let index = SearchIndex::in_memory()?;
    let docs = items
        .iter()
        .enumerate()
        .map(|(n, it)| IndexDoc {
            id: n as u64,
            kind: it.kind.clone(),
            title: it.title.clone(),
            keywords: it.keywords.clone(),
            description: it.description.clone(),
            industry: it.industry.clone(),
            region_path: region_path(it.region.as_deref()),
            ..Default::default()
        })
        .collect();
    index.replace_all(docs).await?;
    let mut run = Run::new();
    let weights = weights_from_env();
    let synonyms = kejiyun_domain::synonyms::Synonyms::shipped();
    for need in &needs {
        let local = kejiyun_domain::matching::LOCAL_WORDS
            .iter()
            .any(|w| need.title.contains(w) || need.description.contains(w));
        let near: Vec<(String, f32)> = if local {
            region_path(need.region.as_deref()).into_iter().skip(1).map(|c| (c, weights.local)).collect()
        } else {
            Vec::new()
        };
        let query = SearchQuery {
            text: need_text(need),
            prefer_industry: need.industry.clone(),
            prefer_regions: near,
            expansions: synonyms.expand(&need_text(need)),
            limit: TOP,
            weights,
            ..Default::default()
        };
        let hits = index.search(&query)?;
        let ranked = hits.hits.iter().filter_map(|(n, _)| items.get(*n as usize).map(|it| it.id.clone())).collect();
        run.insert(need.id.clone(), ranked);
    }
    index.shutdown().await?;
    Ok(run)
}

/// `KEJIYUN_MATCH_WEIGHTS=head,words,bigrams,single_char,industry,local,synonyms` overrides the weights
/// (for experiments on a development set).
fn weights_from_env() -> kejiyun_search::Weights {
    let parsed: Option<Vec<f32>> = std::env::var("KEJIYUN_MATCH_WEIGHTS")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect());
    match parsed.as_deref() {
        Some(&[head, words, bigrams, single_char, industry, local, synonyms]) => {
            kejiyun_search::Weights { head, words, bigrams, single_char, industry, local, synonyms }
        }
        _ => kejiyun_search::Weights::MATCHING,
    }
}

/// `query_id<TAB>item_id<TAB>rank` lines, queries in file order of their ids.
pub fn run_tsv(run: &Run) -> String {
    let mut ids: Vec<&String> = run.keys().collect();
    ids.sort();
    let mut out = String::new();
    for q in ids {
        for (rank, item) in run[q].iter().enumerate() {
            let _ = writeln!(out, "{q}\t{item}\t{}", rank + 1);
        }
    }
    out
}

pub fn metrics_line(m: &Metrics) -> String {
    format!("ndcg@10={:.3} recall@10={:.3} mrr@10={:.3}", m.ndcg, m.recall, m.mrr)
}

/// The whole command: rank, optionally write the run, optionally score. Returns the lines to print.
pub async fn eval(
    items: &Path,
    queries: &Path,
    qrels: Option<&Path>,
    run_out: Option<&Path>,
) -> anyhow::Result<Vec<String>> {
    let started = std::time::Instant::now();
    let run = rank(items, queries).await?;
    let mut lines = vec![format!("queries={} ranked_in_ms={}", run.len(), started.elapsed().as_millis())];
    if let Some(path) = run_out {
        std::fs::write(path, run_tsv(&run)).with_context(|| format!("cannot write {}", path.display()))?;
        lines.push(format!("run written to {}", path.display()));
    }
    if let Some(path) = qrels {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let judged = eval::parse_qrels(&text).map_err(anyhow::Error::msg)?;
        lines.push(metrics_line(&eval::evaluate(&run, &judged, TOP)));
    }
    Ok(lines)
}
