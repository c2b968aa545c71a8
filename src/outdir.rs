//! The output directory of a run: claimed with an exclusive OS file lock, marked as rinse
//! output (so no directory walk reads it back as input), cleared of the temporary files
//! of earlier runs that died, and the one place that names this run's temporary files.
//!
//! The lock is the `flock` of the marker file `.rinse-output`, held for the life of the
//! run: the OS drops it when the process ends, however it ends, so a crashed run never
//! leaves a stale lock. The marker stays after the run and holds the pid of the last run
//! that claimed the directory, which a second run names when the lock is taken.
//!
//! Every temporary file of a run carries [`OutDir::tag`] (`rinse-tmp-<pid>`) in its name.
//! [`remove_own_temps`] removes those of the running process from every claimed
//! directory; the CLI calls it on SIGINT/SIGTERM. A run that claims a directory removes
//! every temporary file there first: holding the lock, it knows their writers are gone.
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Name of the marker and lock file in an output directory.
pub const MARKER: &str = ".rinse-output";

/// The part of a temporary file's name that says it is one (followed by `-<pid>`).
const TEMP_MARK: &str = "rinse-tmp";

/// Scratch directories of this process (`rinse eval`'s runs) that [`remove_own_temps`]
/// removes whole.
static SCRATCH_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A scratch directory removed, with everything in it, when dropped or when the process
/// is interrupted ([`remove_own_temps`]).
#[derive(Debug)]
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Register `path` (created by the caller or by a run into it).
    pub fn new(path: PathBuf) -> ScratchDir {
        SCRATCH_DIRS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(path.clone());
        ScratchDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let mut dirs = SCRATCH_DIRS.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = dirs.iter().position(|p| p == &self.0) {
            dirs.remove(i);
        }
    }
}

/// Directories claimed by this process whose temporary files [`remove_own_temps`] removes.
/// Also held while a run renames its output into place, so an interrupt waits for that.
static CLAIMED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A claimed output directory; the lock is released when it is dropped.
#[derive(Debug)]
pub struct OutDir {
    path: PathBuf,
    /// Holds the lock.
    _lock: File,
    /// What the claim removed: temporary files of earlier runs.
    pub stale_removed: Vec<String>,
}

impl OutDir {
    /// Create `path` (and `kept/`, `rejected/` under it), take its lock, mark it and
    /// remove the temporary files of earlier runs. Fails at once, naming the directory
    /// and the other run's pid, when another run holds the lock.
    pub fn claim(path: &Path) -> Result<OutDir> {
        if let Ok(meta) = std::fs::metadata(path) {
            if !meta.is_dir() {
                return Err(Error::Usage(format!(
                    "--out {}: exists and is not a directory (rinse writes a directory \
                     with kept/, rejected/ and report.json)",
                    path.display()
                )));
            }
        }
        std::fs::create_dir_all(path).map_err(|e| Error::io(path, e))?;
        let marker = path.join(MARKER);
        let mut lock = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&marker)
            .map_err(|e| Error::io(&marker, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut held = String::new();
                let _ = lock.read_to_string(&mut held);
                let pid = held
                    .lines()
                    .find_map(|l| l.strip_prefix("pid "))
                    .unwrap_or("unknown");
                return Err(Error::Usage(format!(
                    "{}: another rinse run (pid {pid}) is writing to this directory; \
                     wait for it to finish or choose another --out",
                    path.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&marker, e)),
        }
        let note = format!(
            "This directory is the output of a rinse run; rinse never reads it as input.\n\
             This file is also the lock of the run writing here.\npid {}\n",
            std::process::id()
        );
        lock.set_len(0)
            .and_then(|_| lock.rewind())
            .and_then(|_| lock.write_all(note.as_bytes()))
            .map_err(|e| Error::io(&marker, e))?;
        for d in [path.join("kept"), path.join("rejected")] {
            std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
        }
        let mut stale_removed = Vec::new();
        for d in [path.to_path_buf(), path.join("kept"), path.join("rejected")] {
            remove_temps(&d, |_| true, &mut stale_removed)?;
        }
        CLAIMED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(path.to_path_buf());
        Ok(OutDir {
            path: path.to_path_buf(),
            _lock: lock,
            stale_removed,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The tag of this run's temporary files.
    pub fn tag() -> String {
        format!("{TEMP_MARK}-{}", std::process::id())
    }

    /// A temporary name in `dir` for the file that will be `name`: `.NAME.rinse-tmp-PID`.
    pub fn temp_path(dir: &Path, name: &str) -> PathBuf {
        dir.join(format!(".{name}.{}", OutDir::tag()))
    }

    /// Run `f` (renames into place) so that an interrupt waits for it to finish.
    pub fn committing<T>(f: impl FnOnce() -> T) -> T {
        let _held = CLAIMED.lock().unwrap_or_else(|p| p.into_inner());
        f()
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        let mut claimed = CLAIMED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = claimed.iter().position(|p| p == &self.path) {
            claimed.remove(i);
        }
    }
}

/// Whether `dir` is the output directory of a rinse run (holds the marker).
pub fn is_output_dir(dir: &Path) -> bool {
    dir.join(MARKER).is_file()
}

/// Remove the temporary files of this process from every claimed output directory, and
/// its scratch directories (for a signal handler: it then exits). Waits for a commit in
/// progress.
pub fn remove_own_temps() {
    for dir in SCRATCH_DIRS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
    {
        let _ = std::fs::remove_dir_all(dir);
    }
    let claimed = CLAIMED.lock().unwrap_or_else(|p| p.into_inner());
    let tag = OutDir::tag();
    let mut removed = Vec::new();
    for dir in claimed.iter() {
        for d in [dir.clone(), dir.join("kept"), dir.join("rejected")] {
            let _ = remove_temps(&d, |name| name.ends_with(&tag), &mut removed);
        }
    }
}

/// Remove the files in `dir` whose names mark them as temporary and pass `pick`.
fn remove_temps(dir: &Path, pick: impl Fn(&str) -> bool, removed: &mut Vec<String>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // `.NAME.rinse-tmp-PID`; also the names earlier versions used (`.NAME.rinse-tmp`,
        // `.rinse-dedup-NAME.tmp`), whose Ctrl-C left them behind.
        let is_temp = name.starts_with('.')
            && (name
                .rsplit_once('.')
                .is_some_and(|(_, last)| last.starts_with(TEMP_MARK))
                || (name.starts_with(".rinse-dedup-") && name.ends_with(".tmp")));
        if is_temp && pick(&name) {
            let p = entry.path();
            match std::fs::remove_file(&p) {
                Ok(()) => removed.push(p.display().to_string()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&p, e)),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rinse-outdir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn claim_removes_stale_temps_and_keeps_others() {
        let d = scratch("stale");
        std::fs::create_dir_all(d.join("kept")).unwrap();
        std::fs::create_dir_all(d.join("rejected")).unwrap();
        std::fs::write(d.join("kept/.00000.jsonl.rinse-tmp-1"), "x").unwrap();
        std::fs::write(d.join(".rinse-dedup-signatures.rinse-tmp-77"), "x").unwrap();
        // Names of earlier versions.
        std::fs::write(d.join(".rinse-dedup-signatures.tmp"), "x").unwrap();
        std::fs::write(d.join("rejected/.00001.jsonl.rinse-tmp"), "x").unwrap();
        std::fs::write(d.join("kept/00000.jsonl"), "keep").unwrap();
        let out = OutDir::claim(&d).unwrap();
        assert_eq!(out.stale_removed.len(), 4, "{:?}", out.stale_removed);
        assert!(d.join("kept/00000.jsonl").exists());
        assert!(is_output_dir(&d));
        drop(out);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_file_as_out_is_named_in_words() {
        let d = scratch("file");
        std::fs::create_dir_all(&d).unwrap();
        let f = d.join("report.txt");
        std::fs::write(&f, "x").unwrap();
        let msg = OutDir::claim(&f).unwrap_err().to_string();
        assert!(msg.contains("exists and is not a directory"), "{msg}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn temp_names_carry_the_pid() {
        let p = OutDir::temp_path(Path::new("o"), "00001.jsonl");
        let name = p.file_name().unwrap().to_str().unwrap();
        assert_eq!(
            name,
            format!(".00001.jsonl.rinse-tmp-{}", std::process::id())
        );
    }
}
