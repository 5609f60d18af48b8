//! Ranking quality metrics over graded relevance judgements (qrels), as in
//! `shared/tools/match_eval.py`: nDCG@k (gain = grade, discount 1/log2(rank+1), ideal from all
//! judged items), Recall@k and MRR@k, averaged over every judged query (a query missing from the
//! run scores 0).

use std::collections::HashMap;

/// query id → (item id → grade); only grades > 0 are kept.
pub type Qrels = HashMap<String, HashMap<String, u32>>;
/// query id → item ids, best first.
pub type Run = HashMap<String, Vec<String>>;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub ndcg: f64,
    pub recall: f64,
    pub mrr: f64,
    pub queries: usize,
}

/// Parses `query_id<TAB>item_id<TAB>grade` lines.
pub fn parse_qrels(text: &str) -> Result<Qrels, String> {
    let mut qrels = Qrels::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split('\t').collect();
        let [query, item, grade, ..] = parts[..] else {
            return Err(format!("qrels line {}: expected query_id<TAB>item_id<TAB>grade", n + 1));
        };
        let grade: u32 = grade.trim().parse().map_err(|_| format!("qrels line {}: bad grade {grade:?}", n + 1))?;
        if grade > 0 {
            qrels.entry(query.to_string()).or_default().insert(item.to_string(), grade);
        }
    }
    Ok(qrels)
}

fn score_query(ranked: &[String], rels: &HashMap<String, u32>, k: usize) -> (f64, f64, f64) {
    let top = &ranked[..ranked.len().min(k)];
    let discount = |i: usize| 1.0 / ((i + 2) as f64).log2();
    let dcg: f64 = top.iter().enumerate().map(|(i, it)| f64::from(*rels.get(it).unwrap_or(&0)) * discount(i)).sum();
    let mut ideal: Vec<u32> = rels.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal.iter().take(k).enumerate().map(|(i, g)| f64::from(*g) * discount(i)).sum();
    let ndcg = if idcg > 0.0 { dcg / idcg } else { 0.0 };
    let hits = top.iter().filter(|it| rels.contains_key(*it)).count();
    let recall = if rels.is_empty() { 0.0 } else { hits as f64 / rels.len() as f64 };
    let mrr = top.iter().position(|it| rels.contains_key(it)).map_or(0.0, |i| 1.0 / (i + 1) as f64);
    (ndcg, recall, mrr)
}

/// Metrics at `k` averaged over the judged queries.
pub fn evaluate(run: &Run, qrels: &Qrels, k: usize) -> Metrics {
    let mut sums = (0.0, 0.0, 0.0);
    for (query, rels) in qrels {
        let ranked = run.get(query).map(Vec::as_slice).unwrap_or(&[]);
        let (n, r, m) = score_query(ranked, rels, k);
        sums = (sums.0 + n, sums.1 + r, sums.2 + m);
    }
    let q = qrels.len().max(1) as f64;
    Metrics { ndcg: sums.0 / q, recall: sums.1 / q, mrr: sums.2 / q, queries: qrels.len() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn hand_computed_fixture() {
        // q1: judged a=2, b=1; ranked [x, a, b]. q2: judged c=1; ranked [c]. q3: judged d=2; absent.
        let qrels = parse_qrels("q1\ta\t2\nq1\tb\t1\nq1\tz\t0\nq2\tc\t1\nq3\td\t2\n").unwrap_or_default();
        let run: Run = [
            ("q1".to_string(), vec!["x".to_string(), "a".to_string(), "b".to_string()]),
            ("q2".to_string(), vec!["c".to_string()]),
        ]
        .into_iter()
        .collect();
        let m = evaluate(&run, &qrels, 10);
        // q1: DCG = 2/log2(3) + 1/log2(4) = 1.261860 + 0.5; IDCG = 2 + 1/log2(3) = 2.630930.
        let q1_ndcg = (2.0 / 3f64.log2() + 0.5) / (2.0 + 1.0 / 3f64.log2());
        assert!(close(m.ndcg, (q1_ndcg + 1.0 + 0.0) / 3.0), "{m:?}");
        assert!(close(m.recall, (1.0 + 1.0 + 0.0) / 3.0));
        assert!(close(m.mrr, (0.5 + 1.0 + 0.0) / 3.0));
        assert_eq!(m.queries, 3);
        // Cut-off: with k = 1 only the first rank counts.
        let m1 = evaluate(&run, &qrels, 1);
        assert!(close(m1.recall, (0.0 + 1.0 + 0.0) / 3.0));
        assert!(parse_qrels("q1 a").is_err());
    }
}
