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
    /// Files met while walking directories whose extension rinse does not read.
    pub skipped: Vec<String>,
}

impl Sources {
    /// Total size on disk, when every file's size is known.
    pub fn total_bytes(&self) -> Option<u64> {
        self.files.iter().map(|f| f.size).sum()
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
        _ => return None,
    };
    Some((format, compression))
}

/// Expand INPUT arguments: files as given, directories walked recursively in sorted path
/// order, `-` for standard input (JSONL). A path that does not exist or cannot be read,
/// or a file given explicitly with an unknown extension, is an error naming it.
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Sources> {
    let mut sources = Sources::default();
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
        let meta = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if meta.is_dir() {
            walk(input, input, &mut sources)?;
        } else {
            let name = input.file_name().map(|n| n.to_string_lossy().into_owned());
            let Some((format, compression)) = name.as_deref().and_then(classify) else {
                return Err(Error::Format {
                    path: input.clone(),
                    message: "unknown input format (expected .jsonl, .ndjson, .json or .txt, \
                              optionally .gz or .zst)"
                        .into(),
                });
            };
            File::open(input).map_err(|e| Error::io(input, e))?;
            sources.files.push(SourceFile {
                path: Some(input.clone()),
                display: input.display().to_string(),
                format,
                compression,
                text_id: name.unwrap_or_default(),
                size: Some(meta.len()),
            });
        }
    }
    Ok(sources)
}

fn walk(root: &Path, dir: &Path, sources: &mut Sources) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|err| Error::io(dir, err)))
        .collect::<Result<_>>()?;
    entries.sort();
    for path in entries {
        let meta = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
        if meta.is_dir() {
            walk(root, &path, sources)?;
            continue;
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        match name.as_deref().and_then(classify) {
            Some((format, compression)) => {
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
            None => sources.skipped.push(path.display().to_string()),
        }
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
    /// Open the file (or stdin) with decompression, as a buffered reader.
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
        Ok(match self.compression {
            Compression::None => Box::new(BufReader::with_capacity(BUF, counted)),
            Compression::Gzip => Box::new(BufReader::with_capacity(
                BUF,
                flate2::read::MultiGzDecoder::new(BufReader::new(counted)),
            )),
            Compression::Zstd => {
                let dec = zstd::stream::read::Decoder::new(counted).map_err(|e| Error::Read {
                    path: self.display.clone().into(),
                    line: 0,
                    message: format!("cannot start zstd decoder: {e}"),
                })?;
                Box::new(BufReader::with_capacity(BUF, dec))
            }
        })
    }
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
        assert_eq!(classify("README"), None);
    }
}
