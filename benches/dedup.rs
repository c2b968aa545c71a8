//! Criterion micro-benchmarks of dedup's per-document work: MinHash update, and a whole
//! sketch (passages, tokens, shingles, signatures) of a real document from the test corpus.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rinse::dedup::minhash::MinHasher;
use rinse::dedup::sketch::Sketcher;
use rinse::dedup::DedupConfig;
use rinse::document::{Document, Origin};

fn sample_text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/dedup/corpus.jsonl");
    // A bench of nothing would report a throughput as if it had measured something.
    let corpus = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("dedup bench: cannot read {path}: {e}"));
    let mut text = String::new();
    for line in corpus.lines().take(40) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
            text.push_str(v["text"].as_str().unwrap_or(""));
            text.push('\n');
        }
    }
    assert!(!text.trim().is_empty(), "dedup bench: no texts in {path}");
    text
}

fn bench(c: &mut Criterion) {
    let m = MinHasher::new(128, 1);
    let shingles: Vec<u32> = (0..1000u32).map(|x| x.wrapping_mul(0x9E37_79B1)).collect();
    let mut g = c.benchmark_group("minhash");
    g.throughput(Throughput::Elements(shingles.len() as u64));
    g.bench_function("update_128_x_1000_shingles", |b| {
        b.iter(|| {
            let mut sig = m.empty();
            m.update(&mut sig, &shingles);
            sig
        })
    });
    g.finish();

    let text = sample_text();
    let doc = Document {
        id: "bench".into(),
        text: text.clone(),
        record: Default::default(),
        origin: Origin {
            file: "bench".into(),
            line: 1,
        },
        lang: None,
        removals: Vec::new(),
    };
    let sketcher = Sketcher::new(&DedupConfig::default());
    let mut g = c.benchmark_group("sketch");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("default_config_40_docs", |b| {
        b.iter(|| sketcher.sketch(&doc))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
