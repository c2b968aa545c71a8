//! Criterion benchmark of the clean stage's decision (rules + heuristic) on webclean text.
//!
//! Reads `../shared/data/webclean/dev.docs.jsonl` (or `$RINSE_BENCH_INPUT`) when it exists,
//! else the seeds in `tests/data/seeds`. Throughput is reported in bytes of normalized text
//! per second on one thread: `cargo bench --bench clean`.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rinse::clean::Cleaner;
use rinse::normalize::{normalize, NormalizeConfig};
use rinse::stage::StageStats;
use std::path::{Path, PathBuf};

fn input() -> PathBuf {
    if let Some(p) = std::env::var_os("RINSE_BENCH_INPUT") {
        return PathBuf::from(p);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/data/webclean/dev.docs.jsonl");
    if shared.exists() {
        shared
    } else {
        root.join("tests/data/seeds/seeds.jsonl")
    }
}

fn texts() -> Vec<String> {
    let path = input();
    // A bench of nothing would report 0 B/s as if it had measured something.
    let raw = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("clean bench: cannot read {}: {e}", path.display()));
    let cfg = NormalizeConfig::default();
    let texts: Vec<String> = raw
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            v.get("text")
                .and_then(|t| t.as_str())
                .map(|t| normalize(t, &cfg))
        })
        .collect();
    assert!(
        !texts.is_empty(),
        "clean bench: no JSONL records with a \"text\" field in {}",
        path.display()
    );
    texts
}

fn bench_clean(c: &mut Criterion) {
    let texts = texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let cfg = rinse::Config::embedded().expect("embedded config parses");
    let cleaner = Cleaner::new(&cfg.clean).expect("default rules compile");
    let mut group = c.benchmark_group("clean");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function(
        format!("decide {} docs, {} bytes", texts.len(), bytes),
        |b| {
            b.iter(|| {
                let mut stats = StageStats::default();
                let mut n = 0usize;
                for t in &texts {
                    n += cleaner.decide(t, &mut stats).removals.len();
                }
                n
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench_clean);
criterion_main!(benches);
