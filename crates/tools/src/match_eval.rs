//! `kejiyun match eval`: ranks every need of a query file against a throw-away index of an item
//! file with the server's own ranker ([`kejiyun_search::matching`]: the same queries, targets,
//! local-service boosts and ranking as `GET /api/v1/needs/{id}/matches`), scores the ranking
//! against graded judgements and times each need's ranking.
//! File formats: `data/match-dev/README.md` (JSON lines; qrels as TSV).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use kejiyun_domain::item::Mode;
use kejiyun_domain::matching::Suggestion;
use kejiyun_domain::synonyms::Synonyms;
use kejiyun_domain::time::Timestamp;
use kejiyun_domain::{Item, ItemKind, regions};
use kejiyun_search::eval::{self, Metrics, Run};
use kejiyun_search::matching::{default_targets, index_doc, match_queries, rank_matches};
use kejiyun_search::{SearchIndex, Weights};
use serde::Deserialize;

use crate::{percentile, published_item};

/// How many results are kept per query (the metrics' cut-off).
pub const TOP: usize = 10;

/// Arguments of `kejiyun match eval`.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// Items (capabilities, achievements) as JSON lines.
    #[arg(long)]
    pub items: PathBuf,
    /// Needs as JSON lines.
    #[arg(long)]
    pub queries: PathBuf,
    /// Graded judgements: query_id<TAB>item_id<TAB>grade.
    #[arg(long)]
    pub qrels: Option<PathBuf>,
    /// Write the top 10 per query as query_id<TAB>item_id<TAB>rank.
    #[arg(long)]
    pub run_out: Option<PathBuf>,
    /// Weights to try instead of the shipped `Weights::MATCHING`, for experiments on a development
    /// set: head,words,bigrams,single_char,industry,local,synonyms (seven numbers).
    #[arg(long, env = "KEJIYUN_MATCH_WEIGHTS", value_parser = parse_weights)]
    pub weights: Option<Weights>,
}

/// Parses `head,words,bigrams,single_char,industry,local,synonyms`.
pub fn parse_weights(text: &str) -> Result<Weights, String> {
    let numbers: Vec<f32> = text
        .split(',')
        .map(|x| x.trim().parse::<f32>().map_err(|_| format!("not a number: {x:?}")))
        .collect::<Result<_, _>>()?;
    match numbers[..] {
        [head, words, bigrams, single_char, industry, local, synonyms]
            if numbers.iter().all(|w| w.is_finite() && *w >= 0.0) =>
        {
            Ok(Weights { head, words, bigrams, single_char, industry, local, synonyms })
        }
        _ => Err("expected seven non-negative numbers: head,words,bigrams,single_char,industry,local,synonyms".into()),
    }
}

/// One line of an item or query file.
#[derive(Deserialize)]
struct Record {
    id: String,
    /// Items: `capability` or `achievement`; queries: `need` when absent.
    #[serde(default)]
    kind: Option<ItemKind>,
    title: String,
    description: String,
    #[serde(default)]
    industry: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    /// A Sichuan region by name ("自贡市", "凉山州") or code; the province when absent.
    #[serde(default)]
    region: Option<String>,
    /// 合作方式 / 服务方式 by code or label (`onsite`, "驻厂服务"…).
    #[serde(default)]
    modes: Vec<Mode>,
}

/// The region code of a region given by name or code in the evaluation files.
fn region_code(region: Option<&str>) -> anyhow::Result<String> {
    let tree = regions();
    match region.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(tree.province().code.clone()),
        Some(r) => tree
            .get(r)
            .or_else(|| tree.find_by_name(r))
            .map(|found| found.code.clone())
            .with_context(|| format!("unknown region {r:?}")),
    }
}

impl Record {
    /// The platform's item for this record: published at `published_at`, with id `id`.
    fn into_item(self, id: i64, default_kind: ItemKind, published_at: Timestamp) -> anyhow::Result<Item> {
        let base =
            published_item(id, self.kind.unwrap_or(default_kind), region_code(self.region.as_deref())?, published_at);
        Ok(Item {
            title: self.title,
            description: self.description,
            industry: self.industry,
            keywords: self.keywords,
            modes: self.modes,
            ..base
        })
    }
}

/// Reads a JSON-lines file as items: the `n`-th record (from 0) gets id `first_id + n`; returns
/// (the file's id, the item) pairs.
fn read_items(
    path: &Path,
    default_kind: ItemKind,
    first_id: i64,
    published_at: Timestamp,
) -> anyhow::Result<Vec<(String, Item)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .zip(first_id..)
        .map(|((n, line), id)| {
            let at = || format!("{} line {}", path.display(), n + 1);
            let record: Record = serde_json::from_str(line).with_context(at)?;
            let name = record.id.clone();
            Ok((name, record.into_item(id, default_kind, published_at).with_context(at)?))
        })
        .collect()
}

/// How a list is ranked: the server ranks with the shipped synonyms and [`Weights::MATCHING`].
#[derive(Debug, Clone)]
pub struct Ranking {
    pub synonyms: Synonyms,
    pub weights: Weights,
    /// Suggestions kept per need.
    pub limit: usize,
    /// The time freshness is measured at.
    pub now: Timestamp,
}

impl Ranking {
    /// As the server ranks (without synonym groups added by admins), now.
    pub fn shipped(limit: usize) -> Ranking {
        Ranking { synonyms: Synonyms::shipped(), weights: Weights::MATCHING, limit, now: kejiyun_domain::time::now() }
    }
}

/// One need's ranked list and how long ranking it took (queries built, run, ranked).
#[derive(Debug, Clone)]
pub struct Ranked {
    pub suggestions: Vec<Suggestion>,
    pub elapsed: Duration,
}

/// The match list of each of `needs` (any items: each gets the list the server gives it without
/// `kind`) over an index of `corpus`, computed as the server computes `GET
/// /api/v1/{kind}/{id}/matches`: [`match_queries`] for the default targets, the index searched,
/// [`rank_matches`] on the hits with the corpus items as the loaded rows.
pub async fn rank_needs(corpus: &[Item], needs: &[Item], ranking: &Ranking) -> anyhow::Result<Vec<Ranked>> {
    let index = SearchIndex::in_memory()?;
    index.replace_all(corpus.iter().map(index_doc).collect()).await?;
    let by_id: HashMap<i64, &Item> = corpus.iter().map(|i| (i.id, i)).collect();
    let ranked = rank_on(&index, &by_id, needs, ranking);
    index.shutdown().await?;
    ranked
}

fn rank_on(
    index: &SearchIndex,
    corpus: &HashMap<i64, &Item>,
    needs: &[Item],
    ranking: &Ranking,
) -> anyhow::Result<Vec<Ranked>> {
    let mut out = Vec::with_capacity(needs.len());
    for need in needs {
        let started = Instant::now();
        let queries =
            match_queries(need, default_targets(need.kind), &ranking.synonyms, ranking.weights, ranking.limit);
        let hits = queries.iter().map(|q| index.search(q)).collect::<Result<Vec<_>, _>>()?;
        let items: Vec<Item> = hits
            .iter()
            .flat_map(|h| h.hits.iter())
            .filter_map(|(id, _)| corpus.get(&(*id as i64)).map(|i| Item::clone(i)))
            .collect();
        let suggestions = rank_matches(need, &hits, &items, ranking.now, ranking.limit);
        out.push(Ranked { suggestions, elapsed: started.elapsed() });
    }
    Ok(out)
}

/// Ranks the queries of the files; returns the run (top [`TOP`] per query by the files' ids) and
/// each query's ranking time in milliseconds.
pub async fn rank(items_path: &Path, queries_path: &Path, weights: Weights) -> anyhow::Result<(Run, Vec<f64>)> {
    let ranking = Ranking { weights, ..Ranking::shipped(TOP) };
    let items = read_items(items_path, ItemKind::Capability, 1, ranking.now)?;
    let needs = read_items(queries_path, ItemKind::Need, items.len() as i64 + 1, ranking.now)?;
    let corpus: Vec<Item> = items.iter().map(|(_, i)| i.clone()).collect();
    let need_items: Vec<Item> = needs.iter().map(|(_, i)| i.clone()).collect();
    let names: HashMap<i64, &str> = items.iter().map(|(name, i)| (i.id, name.as_str())).collect();
    let ranked = rank_needs(&corpus, &need_items, &ranking).await?;
    let mut run = Run::new();
    let mut ms = Vec::with_capacity(ranked.len());
    for ((name, _), r) in needs.iter().zip(ranked) {
        let list = r.suggestions.iter().filter_map(|s| names.get(&s.id).map(|n| n.to_string())).collect();
        run.insert(name.clone(), list);
        ms.push(r.elapsed.as_secs_f64() * 1000.0);
    }
    Ok((run, ms))
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

/// The whole command: rank, time, optionally write the run, optionally score. Returns the lines to
/// print (the metrics last).
pub async fn eval(args: &EvalArgs) -> anyhow::Result<Vec<String>> {
    let started = Instant::now();
    let (run, mut ms) = rank(&args.items, &args.queries, args.weights.unwrap_or(Weights::MATCHING)).await?;
    let mut lines = vec![format!("queries={} ranked_in_ms={}", run.len(), started.elapsed().as_millis())];
    ms.sort_by(f64::total_cmp);
    lines.push(format!(
        "latency ms per query (queries built, searched and ranked, one at a time): p50={:.2} p99={:.2} max={:.2}",
        percentile(&ms, 50.0),
        percentile(&ms, 99.0),
        percentile(&ms, 100.0),
    ));
    if let Some(path) = &args.run_out {
        std::fs::write(path, run_tsv(&run)).with_context(|| format!("cannot write {}", path.display()))?;
        lines.push(format!("run written to {}", path.display()));
    }
    if let Some(path) = &args.qrels {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let judged = eval::parse_qrels(&text).map_err(anyhow::Error::msg)?;
        lines.push(metrics_line(&eval::evaluate(&run, &judged, TOP)));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_from_seven_numbers() {
        let w = parse_weights("0, 0.2,1,0.5,20,3,0.5");
        assert_eq!(w, Ok(Weights::MATCHING));
        assert!(parse_weights("1,2,3").is_err());
        assert!(parse_weights("0,0.2,1,0.5,20,3,x").is_err());
        assert!(parse_weights("0,0.2,1,0.5,20,-3,0.5").is_err());
    }

    #[test]
    fn records_become_items_with_region_codes_and_modes() -> anyhow::Result<()> {
        let line = r#"{"id":"q1","title":"蒸馏设备","description":"常坏","region":"自贡市","modes":["onsite"],"budget_wan":5}"#;
        let record: Record = serde_json::from_str(line)?;
        let item = record.into_item(7, ItemKind::Need, kejiyun_domain::time::now())?;
        assert_eq!((item.id, item.kind, item.region_code.as_str()), (7, ItemKind::Need, "510300"));
        assert_eq!(item.modes, vec![Mode::Onsite]);
        assert!(kejiyun_domain::matching::wants_local_service(&item));
        assert_eq!(region_code(None)?, "510000");
        assert_eq!(region_code(Some("510321"))?, "510321");
        assert!(region_code(Some("火星市")).is_err());
        Ok(())
    }
}
