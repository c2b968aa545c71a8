//! Input paths → an ordered list of source files, each with its format and compression.
use super::ReadCounters;
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line (`.jsonl`, `.ndjson`, `.json`).
    Jsonl,
    /// The whole file is one document (`.txt`).
    Text,
    /// WARC records (`.warc`, `.wet`, `.warc.wet`); `conversion` records are documents.
    Warc,
    /// Apache Parquet (`.parquet`), one document per row, read by row group.
    Parquet,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// One file to read (or standard input).
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path to open; `None` for standard input.
    pub path: Option<PathBuf>,
    /// Name used in origins and messages.
    pub display: String,
    pub format: Format,
    pub compression: Compression,
    /// For `.txt`: the document id (path relative to the INPUT it was found under).
    pub text_id: String,
    /// Size on disk, when known.
    pub size: Option<u64>,
}

/// The expanded inputs.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub files: Vec<SourceFile>,
    /// What a directory walk met and did not read, and why.
    pub skipped: Vec<Skipped>,
    /// Things the user should know about the inputs (a file named twice, ...).
    pub warnings: Vec<String>,
}

/// A path a directory walk did not read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    /// `unknown-extension`, `rinse-output` (a directory a rinse run wrote, or this run's
    /// own `--out`), `dangling-symlink`, `symlink-loop`, `directory-cycle`,
    /// `not-a-regular-file` (a FIFO, socket or device) or `duplicate-input`.
    pub reason: &'static str,
}

impl Sources {
    /// Total size on disk, when every file's size is known.
    pub fn total_bytes(&self) -> Option<u64> {
        self.files.iter().map(|f| f.size).sum()
    }

    fn skip(&mut self, path: &Path, reason: &'static str) {
        self.skipped.push(Skipped {
            path: path.display().to_string(),
            reason,
        });
    }
}

/// Classify a file name: `(format, compression)`, or `None` when rinse does not read it.
pub fn classify(name: &str) -> Option<(Format, Compression)> {
    let lower = name.to_ascii_lowercase();
    let (stem, compression) = if let Some(s) = lower.strip_suffix(".gz") {
        (s, Compression::Gzip)
    } else if let Some(s) = lower.strip_suffix(".zst").or(lower.strip_suffix(".zstd")) {
        (s, Compression::Zstd)
    } else {
        (lower.as_str(), Compression::None)
    };
    let ext = stem.rsplit_once('.')?.1;
    let format = match ext {
        "jsonl" | "ndjson" | "json" => Format::Jsonl,
        "txt" => Format::Text,
        "warc" | "wet" => Format::Warc,
        // Parquet compresses inside the file.
        "parquet" if compression == Compression::None => Format::Parquet,
        _ => return None,
    };
    Some((format, compression))
}

/// What an input expansion must leave out: the run's own output directory.
#[derive(Clone, Debug, Default)]
pub struct Exclude {
    /// The run's `--out`, canonical (when it exists).
    pub out: Option<PathBuf>,
}

impl Exclude {
    /// Exclude the output directory `out` (if it exists yet).
    pub fn output(out: &Path) -> Exclude {
        Exclude {
            out: std::fs::canonicalize(out).ok(),
        }
    }
}

/// Expand INPUT arguments: files as given, directories walked recursively in sorted path
/// order, `-` for standard input (JSONL). A path that does not exist or cannot be read,
/// or a file given explicitly with an unknown extension, is an error naming it.
///
/// A walk never enters a directory a rinse run wrote (it holds the marker
/// [`crate::outdir::MARKER`]) nor `exclude.out`, and skips dangling symlinks, symlink
/// loops, directory cycles and files that are not regular files (FIFOs, sockets,
/// devices), each listed in [`Sources::skipped`] with its reason. A file reached twice
/// (named twice, or through a symlink) is read once, with a warning.
pub fn expand_inputs(inputs: &[PathBuf], exclude: &Exclude) -> Result<Sources> {
    let mut sources = Sources::default();
    let mut seen = std::collections::HashSet::new();
    for input in inputs {
        if input.as_os_str() == "-" {
            sources.files.push(SourceFile {
                path: None,
                display: "<stdin>".into(),
                format: Format::Jsonl,
                compression: Compression::None,
                text_id: "<stdin>".into(),
                size: None,
            });
            continue;
        }
        let meta = std::fs::metadata(input).map_err(|e| input_error(input, e))?;
        if meta.is_dir() {
            let mut ancestors = Vec::new();
            walk(
                input,
                input,
                exclude,
                &mut ancestors,
                &mut seen,
                &mut sources,
            )?;
        } else {
            let name = input.file_name().map(|n| n.to_string_lossy().into_owned());
            let Some((format, compression)) = name.as_deref().and_then(classify) else {
                return Err(Error::Format {
                    path: input.clone(),
                    message: "unknown input format (expected .jsonl, .ndjson, .json, .txt, \
                              .warc or .wet, optionally .gz or .zst, or .parquet)"
                        .into(),
                });
            };
            if !first_time(&meta, input, &mut seen, &mut sources) {
                continue;
            }
            File::open(input).map_err(|e| Error::io(input, e))?;
            sources.files.push(SourceFile {
                path: Some(input.clone()),
                display: input.display().to_string(),
                format,
                compression,
                text_id: name.unwrap_or_default(),
                size: meta.is_file().then_some(meta.len()),
            });
        }
    }
    Ok(sources)
}

/// A path that cannot be used as an input, in one short line.
fn input_error(path: &Path, e: std::io::Error) -> Error {
    if is_symlink_loop(&e) {
        return Error::Format {
            path: path.to_path_buf(),
            message: "symlink loop".into(),
        };
    }
    Error::io(path, e)
}

fn is_symlink_loop(e: &std::io::Error) -> bool {
    // ELOOP: "Too many levels of symbolic links".
    e.raw_os_error() == Some(40)
}

/// The identity of a file (device and inode), to read each file once.
#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Record that `path` is read; `false` (with a warning) when it already is.
fn first_time(
    meta: &std::fs::Metadata,
    path: &Path,
    seen: &mut std::collections::HashSet<(u64, u64)>,
    sources: &mut Sources,
) -> bool {
    match file_id(meta) {
        Some(id) if !seen.insert(id) => {
            sources.warnings.push(format!(
                "{}: named more than once (or reached through a link); read once",
                path.display()
            ));
            sources.skip(path, "duplicate-input");
            false
        }
        _ => true,
    }
}

fn walk(
    root: &Path,
    dir: &Path,
    exclude: &Exclude,
    ancestors: &mut Vec<(u64, u64)>,
    seen: &mut std::collections::HashSet<(u64, u64)>,
    sources: &mut Sources,
) -> Result<()> {
    let here = std::fs::metadata(dir).map_err(|e| input_error(dir, e))?;
    let id = file_id(&here);
    if crate::outdir::is_output_dir(dir)
        || exclude
            .out
            .as_deref()
            .is_some_and(|o| std::fs::canonicalize(dir).is_ok_and(|d| d == o))
    {
        sources.skip(dir, "rinse-output");
        return Ok(());
    }
    if let Some(id) = id {
        if ancestors.contains(&id) {
            sources.skip(dir, "directory-cycle");
            return Ok(());
        }
        ancestors.push(id);
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|err| Error::io(dir, err)))
        .collect::<Result<_>>()?;
    entries.sort();
    for path in entries {
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if is_symlink_loop(&e) => {
                sources.skip(&path, "symlink-loop");
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Listed but gone: a symlink whose target does not exist.
                sources.skip(&path, "dangling-symlink");
                continue;
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        if meta.is_dir() {
            walk(root, &path, exclude, ancestors, seen, sources)?;
            continue;
        }
        if !meta.is_file() {
            sources.skip(&path, "not-a-regular-file");
            continue;
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        match name.as_deref().and_then(classify) {
            Some((format, compression)) => {
                if !first_time(&meta, &path, seen, sources) {
                    continue;
                }
                File::open(&path).map_err(|e| Error::io(&path, e))?;
                let rel = path.strip_prefix(root).unwrap_or(&path);
                sources.files.push(SourceFile {
                    path: Some(path.clone()),
                    display: path.display().to_string(),
                    format,
                    compression,
                    text_id: rel.to_string_lossy().replace('\\', "/"),
                    size: Some(meta.len()),
                });
            }
            None => {
                // rinse's own marker file is not worth a line in the report.
                if name.as_deref() != Some(crate::outdir::MARKER) {
                    sources.skip(&path, "unknown-extension");
                }
            }
        }
    }
    if id.is_some() {
        ancestors.pop();
    }
    Ok(())
}

/// Counts bytes as they come off the disk (before decompression), for progress.
struct Counting<R> {
    inner: R,
    counters: Arc<ReadCounters>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counters
            .raw_bytes
            .fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl SourceFile {
    /// Open the file (or stdin) with decompression, as a buffered reader. Data whose
    /// name says it is uncompressed but that starts with the gzip or zstd magic bytes
    /// (compressed data piped to stdin, a misnamed file) is decompressed all the same.
    /// A UTF-8 byte order mark at the start is skipped.
    pub fn open(&self, counters: Arc<ReadCounters>) -> Result<Box<dyn BufRead + Send>> {
        let raw: Box<dyn Read + Send> = match &self.path {
            Some(p) => Box::new(File::open(p).map_err(|e| Error::io(p, e))?),
            None => Box::new(std::io::stdin()),
        };
        let counted = Counting {
            inner: raw,
            counters,
        };
        const BUF: usize = 1 << 20;
        let (mut head, rest) = peek(counted, 4).map_err(|e| self.read_error(e))?;
        let compression = match self.compression {
            Compression::None => sniff(&head),
            named => named,
        };
        if compression == Compression::None {
            if head.starts_with(BOM) {
                head.drain(..BOM.len());
            }
            return Ok(Box::new(BufReader::with_capacity(
                BUF,
                std::io::Cursor::new(head).chain(rest),
            )));
        }
        let input = BufReader::with_capacity(BUF, std::io::Cursor::new(head).chain(rest));
        let decoded: Box<dyn Read + Send> = match compression {
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
            _ => Box::new(
                zstd::stream::read::Decoder::with_buffer(input).map_err(|e| Error::Read {
                    path: self.display.clone().into(),
                    line: 0,
                    message: format!("cannot start zstd decoder: {e}"),
                })?,
            ),
        };
        let (head, rest) = peek(decoded, BOM.len()).map_err(|e| self.read_error(e))?;
        let head = if head == BOM { Vec::new() } else { head };
        Ok(Box::new(BufReader::with_capacity(
            BUF,
            std::io::Cursor::new(head).chain(rest),
        )))
    }

    fn read_error(&self, e: std::io::Error) -> Error {
        Error::Read {
            path: self.display.clone().into(),
            line: 1,
            message: format!("cannot read: {e}"),
        }
    }
}

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The compression that data starting with `head` is in, by its magic bytes.
pub fn sniff(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1F, 0x8B]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// The first `n` bytes of `r` (fewer when it is shorter; a pipe may deliver them a few at
/// a time) and `r` itself, to chain them back in front.
fn peek<R: Read>(mut r: R, n: usize) -> std::io::Result<(Vec<u8>, R)> {
    let mut head = vec![0; n];
    let mut got = 0;
    while got < n {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    Ok((head, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_by_extension() {
        assert_eq!(
            classify("a.jsonl"),
            Some((Format::Jsonl, Compression::None))
        );
        assert_eq!(
            classify("a.NDJSON.gz"),
            Some((Format::Jsonl, Compression::Gzip))
        );
        assert_eq!(
            classify("a.txt.zst"),
            Some((Format::Text, Compression::Zstd))
        );
        assert_eq!(classify("a.csv"), None);
        assert_eq!(
            classify("CC-MAIN-1.warc.wet.gz"),
            Some((Format::Warc, Compression::Gzip))
        );
        assert_eq!(classify("a.warc"), Some((Format::Warc, Compression::None)));
        assert_eq!(
            classify("train-00000-of-00042.parquet"),
            Some((Format::Parquet, Compression::None))
        );
        assert_eq!(classify("a.parquet.gz"), None);
        assert_eq!(sniff(&[0x1F, 0x8B, 8, 0]), Compression::Gzip);
        assert_eq!(sniff(&[0x28, 0xB5, 0x2F, 0xFD]), Compression::Zstd);
        assert_eq!(sniff(b"{\"te"), Compression::None);
        assert_eq!(classify("README"), None);
    }
}
