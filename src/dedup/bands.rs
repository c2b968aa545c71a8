//! Locality-sensitive hashing on disk, in three steps that each read and write files
//! ([`super::runfile`]), so that memory holds a partition, not the corpus:
//!
//! 1. **scatter** ([`BandWriter`]): as the signature phase produces each active document's
//!    band hashes, in input order, every `(band, hash, document)` key goes to the hash
//!    partition of its `(band, hash)`, so a bucket of equal band hashes lies whole in one
//!    partition file;
//! 2. **pairs** ([`partition_pairs`]): per partition (in parallel), the keys sorted into
//!    buckets give the candidate pairs, each bucket linking every member to its first
//!    `max_bucket_pairs` members; the partition's pairs, sorted and unique, become one
//!    sorted run;
//! 3. **gather** ([`PairRuns`]): for each block of earlier documents in turn, the
//!    stretch of every run whose pairs start in the block; sorted and deduplicated, they
//!    are the block's candidate pairs, each once.
//!
//! Each step is a function of its input files only (min, sort, union), so the pairs do not
//! depend on the number of partitions, threads or the order partitions are done in: the
//! candidates are those of one in-memory pass over all band hashes.
use super::runfile::{self, Cursor, Kind, RunReader, RunWriter, Slot};
use crate::error::Result;
use rayon::prelude::*;
use std::path::PathBuf;

/// Bytes of one band key: band, hash, document (u32 each, little-endian).
const KEY_BYTES: usize = 12;
/// Bytes of one pair: `(a << 32) | b` as a little-endian u64.
const PAIR_BYTES: usize = 8;
/// Keys staged per partition before they go to its file.
const STAGE_BYTES: usize = 32 << 10;
/// Partitions when the budget allows fewer, and at most (each one stages 32 KiB).
pub const MIN_PARTITIONS: usize = 8;
pub const MAX_PARTITIONS: usize = 4096;
const AUTO_MAX_PARTITIONS: usize = 1024;

/// The phase kinds of the files, under `params` (the hash of what shaped them).
fn key_kind(params: u64) -> Kind {
    Kind {
        phase: "band-keys",
        record_bytes: KEY_BYTES as u32,
        params,
    }
}

fn pair_kind(params: u64) -> Kind {
    Kind {
        phase: "candidate-pairs",
        record_bytes: PAIR_BYTES as u32,
        params,
    }
}

/// How many partitions for `work` bytes of a phase's working memory (for the LSH, its
/// keys sorted with scratch, about 16 bytes a key): `configured`, or enough that one
/// partition's work stays within a quarter of `memory_mb` (64 MB when it is smaller).
pub fn partition_count(configured: usize, memory_mb: u64, work: u64) -> usize {
    if configured > 0 {
        return configured;
    }
    let budget = (memory_mb.max(64) << 20) / 4;
    let want = work.div_ceil(budget.max(1));
    (want as usize)
        .next_power_of_two()
        .clamp(MIN_PARTITIONS, AUTO_MAX_PARTITIONS)
}

/// The partition of a bucket.
fn partition_of(band: u32, hash: u32, parts: usize) -> usize {
    let x = ((u64::from(band) << 32) | u64::from(hash)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (((x >> 32) * parts as u64) >> 32) as usize
}

/// The files of one LSH run: band-key partitions and, per partition, a run of pairs.
pub struct BandFiles {
    keys: Vec<PathBuf>,
    key_tmps: Vec<PathBuf>,
    pairs: Vec<PathBuf>,
    pair_tmps: Vec<PathBuf>,
    params: u64,
}

impl BandFiles {
    /// Names for `parts` partitions from `name(stem)`, which also registers each for
    /// removal at the end of the run.
    pub fn new(parts: usize, params: u64, mut name: impl FnMut(&str) -> PathBuf) -> BandFiles {
        let mut f = |stem: &str| -> (Vec<PathBuf>, Vec<PathBuf>) {
            (0..parts)
                .map(|p| {
                    (
                        name(&format!("{stem}-{p:04}")),
                        name(&format!("{stem}-{p:04}-partial")),
                    )
                })
                .unzip()
        };
        let (keys, key_tmps) = f("band-keys");
        let (pairs, pair_tmps) = f("pairs");
        BandFiles {
            keys,
            key_tmps,
            pairs,
            pair_tmps,
            params,
        }
    }

    pub fn partitions(&self) -> usize {
        self.keys.len()
    }

    fn slot(p: usize) -> Slot {
        Slot {
            shard: 0,
            partition: p as u32,
        }
    }
}

/// Step 1: scatters band keys to partition files, documents in input order.
pub struct BandWriter {
    out: Vec<RunWriter>,
    stage: Vec<Vec<u8>>,
    bytes: u64,
}

impl BandWriter {
    pub fn create(files: &BandFiles) -> Result<BandWriter> {
        let kind = key_kind(files.params);
        let out = (0..files.partitions())
            .map(|p| {
                RunWriter::create(&files.keys[p], &files.key_tmps[p], kind, BandFiles::slot(p))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(BandWriter {
            out,
            stage: vec![Vec::new(); files.partitions()],
            bytes: 0,
        })
    }

    /// The band hashes of the next active document.
    pub fn push(&mut self, doc: u32, hashes: &[u32]) -> Result<()> {
        let parts = self.out.len();
        for (band, &hash) in hashes.iter().enumerate() {
            let band = band as u32;
            let p = partition_of(band, hash, parts);
            let st = &mut self.stage[p];
            st.extend_from_slice(&band.to_le_bytes());
            st.extend_from_slice(&hash.to_le_bytes());
            st.extend_from_slice(&doc.to_le_bytes());
            if st.len() >= STAGE_BYTES {
                self.out[p].push(st)?;
                st.clear();
            }
        }
        Ok(())
    }

    /// Close every partition file; returns the bytes written.
    pub fn finish(mut self) -> Result<u64> {
        for (w, st) in self.out.iter_mut().zip(&self.stage) {
            w.push(st)?;
        }
        self.stage.clear();
        for w in self.out {
            self.bytes += w.finish()?;
        }
        Ok(self.bytes)
    }
}

/// Step 2 for every partition, in parallel: returns the bytes of the pair runs written.
pub fn write_pairs(files: &BandFiles, bands: usize, max_bucket: usize) -> Result<u64> {
    let sizes = (0..files.partitions())
        .into_par_iter()
        .map(|p| -> Result<u64> {
            let slot = BandFiles::slot(p);
            let keys = RunReader::open(&files.keys[p], key_kind(files.params), slot)?.read_all()?;
            let pairs = partition_pairs(&keys, bands, max_bucket);
            drop(keys);
            // The keys are spent: their file goes now, not at the end of the run.
            let _ = std::fs::remove_file(&files.keys[p]);
            let mut w = RunWriter::create(
                &files.pairs[p],
                &files.pair_tmps[p],
                pair_kind(files.params),
                slot,
            )?;
            let mut bytes = Vec::with_capacity(pairs.len().min(1 << 16) * PAIR_BYTES);
            for chunk in pairs.chunks(1 << 16) {
                bytes.clear();
                for p in chunk {
                    bytes.extend_from_slice(&p.to_le_bytes());
                }
                w.push(&bytes)?;
            }
            w.finish()
        })
        .collect::<Vec<_>>();
    let mut total = 0;
    for s in sizes {
        total += s?;
    }
    Ok(total)
}

/// The candidate pairs of one partition's keys (records of [`BandWriter::push`]):
/// `(a << 32) | b` with `a < b`, sorted and unique.
pub fn partition_pairs(keys: &[u8], bands: usize, max_bucket: usize) -> Vec<u64> {
    let word = |r: &[u8], i: usize| u32::from_le_bytes([r[i], r[i + 1], r[i + 2], r[i + 3]]);
    // The keys of each band, in the order written (documents ascending).
    let mut per_band: Vec<Vec<u64>> = vec![Vec::new(); bands];
    for r in keys.chunks_exact(KEY_BYTES) {
        let band = word(r, 0) as usize;
        if let Some(v) = per_band.get_mut(band) {
            v.push(u64::from(word(r, 4)) << 32 | u64::from(word(r, 8)));
        }
    }
    let mut pairs = Vec::new();
    let mut scratch = Vec::new();
    for k in &mut per_band {
        super::document::sort_keys(k, &mut scratch);
        super::document::bucket_pairs(k, max_bucket.max(2), &mut pairs);
        *k = Vec::new();
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// Step 3: the candidate pairs of one block of earlier documents at a time, gathered
/// from every partition's run. A run is sorted by pair, so the pairs of a block are one
/// stretch of each run, read in turn: no merge of the runs, whose cost per pair grew with
/// their number.
pub struct PairRuns {
    runs: Vec<Cursor>,
}

/// Pairs read from a run at a time.
const RUN_READ: usize = 4096;

impl PairRuns {
    pub fn open(files: &BandFiles) -> Result<PairRuns> {
        let runs = files
            .pairs
            .iter()
            .enumerate()
            .map(|(p, path)| {
                let r = RunReader::open(path, pair_kind(files.params), BandFiles::slot(p))?;
                Ok(Cursor::new(r, RUN_READ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PairRuns { runs })
    }

    /// Append to `out` every pair not read yet whose earlier document is below `end`.
    /// They come run by run, not in order, and a pair that several bands found in
    /// several partitions may come more than once: sort and dedup them. (Whenever `out`
    /// has doubled it is sorted and deduplicated here, so that the copies of pairs that
    /// share a large bucket in many bands do not pile up.)
    pub fn next_block(
        &mut self,
        end: u32,
        out: &mut Vec<(u32, u32)>,
        pool: &rayon::ThreadPool,
    ) -> Result<()> {
        let mut compact_at = out.len().max(1 << 16) * 2;
        for run in &mut self.runs {
            if out.len() >= compact_at {
                pool.install(|| out.par_sort_unstable());
                out.dedup();
                compact_at = out.len().max(1 << 16) * 2;
            }
            while let Some(rec) = run.peek()? {
                let v = u64::from_le_bytes(rec.try_into().unwrap_or_default());
                if (v >> 32) as u32 >= end {
                    break;
                }
                out.push(((v >> 32) as u32, v as u32));
                run.advance();
            }
        }
        Ok(())
    }
}

/// The hash of what shapes the band keys and pairs: the dedup parameters (the memory
/// budget aside, which changes only where data is held) and the partition count.
pub fn params(cfg: &super::DedupConfig, parts: usize) -> u64 {
    let mut c = cfg.clone();
    c.memory_mb = 0;
    let text = serde_json::to_string(&c).unwrap_or_default();
    runfile::params_hash(&[text.as_bytes(), &(parts as u64).to_le_bytes()])
}

/// Remove the files of `files` that exist (a finished LSH run).
pub fn remove(files: &BandFiles) {
    for p in files.keys.iter().chain(&files.pairs) {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::document::{candidates, BandIndex};
    use crate::test_dir::TestDir;
    use crate::test_rng::XorShift;

    fn lsh_on_disk(
        hashes: &[Option<Vec<u32>>],
        bands: usize,
        parts: usize,
        max_bucket: usize,
    ) -> Vec<(u32, u32)> {
        let dir = TestDir::new(&format!("bands-{parts}-{max_bucket}"));
        let files = BandFiles::new(parts, 42, |stem| dir.path().join(stem));
        let mut w = BandWriter::create(&files).unwrap();
        for (d, h) in hashes.iter().enumerate() {
            if let Some(h) = h {
                w.push(d as u32, h).unwrap();
            }
        }
        w.finish().unwrap();
        write_pairs(&files, bands, max_bucket).unwrap();
        let mut runs = PairRuns::open(&files).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let mut all = Vec::new();
        let mut block = Vec::new();
        // Blocks of 37 documents, then the rest.
        let mut start = 0;
        for end in (37..hashes.len() as u32).step_by(37).chain([u32::MAX]) {
            block.clear();
            runs.next_block(end, &mut block, &pool).unwrap();
            assert!(block.iter().all(|&(a, _)| (start..end).contains(&a)));
            start = end;
            block.sort_unstable();
            block.dedup();
            all.extend_from_slice(&block);
        }
        remove(&files);
        all
    }

    #[test]
    fn pairs_on_disk_equal_the_in_memory_candidates_for_any_partition_count() {
        let mut rng = XorShift::new(0x5EED_BA2D);
        for round in 0..6 {
            let bands = 1 + rng.below(9);
            let docs = 50 + rng.below(400);
            // Few distinct hashes, so buckets are large and some pass the cap.
            let values = 2 + rng.below(40) as u32;
            let hashes: Vec<Option<Vec<u32>>> = (0..docs)
                .map(|_| {
                    (rng.below(8) > 0).then(|| {
                        (0..bands)
                            .map(|_| rng.below(values as usize) as u32)
                            .collect()
                    })
                })
                .collect();
            let mut index = BandIndex::new(bands);
            for h in &hashes {
                match h {
                    Some(h) => index.append(h, &[true]),
                    None => index.append(&vec![0; bands], &[false]),
                }
            }
            let max_bucket = [2, 5, 64][round % 3];
            let want = candidates(&index, max_bucket);
            assert!(!want.is_empty());
            for parts in [1, 4, 64] {
                assert_eq!(
                    lsh_on_disk(&hashes, bands, parts, max_bucket),
                    want,
                    "round {round}, {parts} partitions"
                );
            }
        }
    }

    #[test]
    fn the_partition_count_follows_the_budget() {
        let lsh = |docs: u64| docs * 64 * 16;
        assert_eq!(partition_count(5, 1024, lsh(1_000_000)), 5);
        assert_eq!(partition_count(0, 1024, lsh(10)), MIN_PARTITIONS);
        // 10 M documents x 64 bands x 16 bytes against a quarter of 256 MB.
        assert_eq!(partition_count(0, 256, lsh(10_000_000)), 256);
        assert_eq!(
            partition_count(0, 0, lsh(u64::from(u32::MAX))),
            AUTO_MAX_PARTITIONS
        );
        for parts in [1, 3, 64] {
            for band in 0..50 {
                assert!(partition_of(band, band * 7919, parts) < parts);
            }
        }
    }
}
