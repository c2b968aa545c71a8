//! Criterion benchmark of the clean stage's decision (rules + heuristic) on webclean text,
//! and of its language identification alone.
//!
//! Reads `../shared/data/webclean/dev.docs.jsonl` (or `$RINSE_BENCH_INPUT`) when it exists,
//! else the seeds in `tests/data/seeds`. Throughput is reported in bytes of normalized text
//! per second on one thread: `cargo bench --bench clean`. `RINSE_BENCH_CONFIG=FILE` cleans
//! with that config instead of the embedded default.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rinse::clean::{lang, Cleaner};
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
    // `RINSE_BENCH_CONFIG=FILE`: a config to compare with the default (another model,
    // rules switched off).
    let cfg = match std::env::var_os("RINSE_BENCH_CONFIG") {
        Some(p) => rinse::Config::from_file(Path::new(&p))
            .unwrap_or_else(|e| panic!("clean bench: {}: {e}", Path::new(&p).display())),
        None => rinse::Config::embedded().expect("embedded config parses"),
    };
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

/// Language identification alone, on the same texts: as the cleaner does it (stop-word
/// vote, whatlang on a 2 KB sample where the vote is unsure), and whatlang reading every
/// text whole (what the vote spares).
fn bench_lang(c: &mut Criterion) {
    let texts = texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut group = c.benchmark_group("lang");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("detect (vote, whatlang where unsure)", |b| {
        b.iter(|| texts.iter().filter_map(|t| lang::detect(t)).count())
    });
    group.bench_function("whatlang on whole texts", |b| {
        b.iter(|| texts.iter().filter_map(|t| whatlang::detect(t)).count())
    });
    group.finish();
}

criterion_group!(benches, bench_clean, bench_lang);
criterion_main!(benches);
