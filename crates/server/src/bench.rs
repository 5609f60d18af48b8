//! `kejiyun bench …`: performance figures. Benchmarks print; tests never assert times.

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
}

pub async fn match_bench(args: MatchBenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet: {args:?}")
}
