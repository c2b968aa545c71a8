//! A scratch directory for unit tests that write files: its own name under the system's
//! temporary directory, created empty, removed with everything in it when dropped.
use std::path::{Path, PathBuf};

pub(crate) struct TestDir(PathBuf);

impl TestDir {
    /// `<tmp>/rinse-<name>-<pid>`, removed first if an earlier run left it.
    pub(crate) fn new(name: &str) -> TestDir {
        let d = std::env::temp_dir().join(format!("rinse-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TestDir(d)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
