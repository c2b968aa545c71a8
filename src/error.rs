//! One error type for everything that stops a run; each variant names the file, line, key or rule.
use std::path::PathBuf;

/// An error that ends a run (exit code 2). Record-level problems are *not* errors:
/// they become rejected records with a reason (see [`crate::document::Rejection`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be opened, read or written.
    #[error("{}: {err}", path.display())]
    Io { path: PathBuf, err: std::io::Error },
    /// Reading a file failed part-way (corrupt compression, I/O error) at a given line.
    #[error("{}:{line}: {message}", path.display())]
    Read {
        path: PathBuf,
        line: u64,
        message: String,
    },
    /// The configuration is invalid: unknown key, wrong type, bad value.
    #[error("config {origin}: {message}")]
    Config { origin: String, message: String },
    /// A cleaning rule could not be compiled (bad regex, missing field, duplicate id).
    #[error("rule '{id}': {message}")]
    Rule { id: String, message: String },
    /// An input path has a format rinse does not read.
    #[error("{}: {message}", path.display())]
    Format { path: PathBuf, message: String },
    /// Anything else the user asked for that cannot be done.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            err,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
