//! `rinse report`: redraw `report.html` of a finished run from its `report.json` and
//! `report-sample.jsonl`.
use anyhow::Context;
use rinse::report::{html, sample::SAMPLE_FILE};
use std::path::{Path, PathBuf};

/// Draw OUT_DIR/report.html again from OUT_DIR/report.json and OUT_DIR/report-sample.jsonl
/// (the page `rinse run` writes; the same files give the same bytes).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output directory of a finished `rinse run`.
    #[arg(value_name = "OUT_DIR")]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let path = write_html(&args.out)?;
    eprintln!("rinse: wrote {}", path.display());
    Ok(())
}

/// Draw the page of the run in `dir` and write it atomically; returns its path.
pub fn write_html(dir: &Path) -> anyhow::Result<PathBuf> {
    if !dir.is_dir() {
        anyhow::bail!(
            "{}: no such directory (the output directory of a run)",
            dir.display()
        );
    }
    let report_path = dir.join("report.json");
    let json = std::fs::read_to_string(&report_path).with_context(|| {
        format!(
            "cannot read {} (is {} the output directory of a finished run?)",
            report_path.display(),
            dir.display()
        )
    })?;
    let sample_path = dir.join(SAMPLE_FILE);
    let sample = match std::fs::read_to_string(&sample_path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", sample_path.display())),
    };
    let page = html::render_files(&json, sample.as_deref()).map_err(|e| {
        // The messages name the file by its bare name; give the whole path.
        let e = e
            .replace("report.json", &report_path.display().to_string())
            .replace(SAMPLE_FILE, &sample_path.display().to_string());
        anyhow::anyhow!("{e}")
    })?;
    let out = dir.join(html::HTML_FILE);
    super::write_atomically(&out, page.as_bytes())?;
    Ok(out)
}
