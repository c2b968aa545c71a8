//! `rinse._rinse`, the Rust half of the Python package: the `rinse` CLI itself (the same
//! source as the binary, `../src/cli`), run on an argument list, plus the few pieces the
//! Python API needs around it: Arrow data in and out through the Arrow PyCapsule
//! interface, and configs merged as TOML. Everything a run decides is the CLI's, so the
//! API's output is the CLI's output.
use arrow_array::{RecordBatch, RecordBatchReader};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3_arrow::{PyRecordBatchReader, PyTable};
use std::ffi::OsString;
use std::fs::File;
use std::path::PathBuf;

// The CLI, compiled into the extension. Its `main` (argument list from the process) is
// the binary's; this crate calls `main_from`.
#[allow(dead_code)]
#[path = "../../src/cli/mod.rs"]
mod cli;

create_exception!(
    _rinse,
    RinseError,
    PyException,
    "A rinse run failed: the message is the one the `rinse` command prints."
);

/// The message the `rinse` command prints for an error (without its `rinse: ` prefix).
fn message(e: &anyhow::Error) -> String {
    match e.downcast_ref::<cli::Exit>() {
        Some(exit) => exit.message.clone(),
        None => format!("{e:#}"),
    }
}

/// The `rinse` command on `argv` (its first item is the program's name): the exit status,
/// after printing an error as the binary does. The GIL is released while it runs.
#[pyfunction]
fn main(py: Python<'_>, argv: Vec<String>) -> i32 {
    let args: Vec<OsString> = argv.into_iter().map(OsString::from).collect();
    let result = py.detach(|| cli::main_from(args, true));
    match result {
        Ok(()) => 0,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            let code = e.downcast_ref::<cli::Exit>().map_or(2, |x| x.code);
            eprintln!("rinse: {}", message(&e));
            code
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The CLI on `args` (without the program's name) for the API: 0, or 3 when the run
/// kept nothing (not an error for the API); any other failure raises `RinseError` with
/// the CLI's message. The GIL is released while it runs.
#[pyfunction]
fn run_cli(py: Python<'_>, args: Vec<String>) -> PyResult<i32> {
    let argv: Vec<OsString> = std::iter::once("rinse".to_string())
        .chain(args)
        .map(OsString::from)
        .collect();
    match py.detach(|| cli::main_from(argv, false)) {
        Ok(()) => Ok(0),
        Err(e) => match e.downcast_ref::<cli::Exit>() {
            Some(exit) if exit.code == cli::EXIT_NOTHING_KEPT => Ok(exit.code),
            _ => Err(RinseError::new_err(message(&e))),
        },
    }
}

/// Write Arrow data (anything with `__arrow_c_stream__`: a pyarrow Table or
/// RecordBatchReader, a polars DataFrame, ...) to an uncompressed Parquet file, the
/// input of an API run; returns the rows written.
#[pyfunction]
fn write_parquet(data: PyRecordBatchReader, path: PathBuf) -> PyResult<u64> {
    let reader = data.into_reader()?;
    let file = File::create(&path).map_err(|e| io_error(&path, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .build();
    let failed = |e: &dyn std::fmt::Display| {
        RinseError::new_err(format!("{}: cannot write Parquet: {e}", path.display()))
    };
    let mut writer =
        ArrowWriter::try_new(file, reader.schema(), Some(props)).map_err(|e| failed(&e))?;
    let mut rows = 0;
    for batch in reader {
        let batch = batch.map_err(|e| failed(&e))?;
        rows += batch.num_rows() as u64;
        writer.write(&batch).map_err(|e| failed(&e))?;
    }
    writer.close().map_err(|e| failed(&e))?;
    Ok(rows)
}

/// The rows of Parquet files, in order, as one pyarrow Table (the files share a schema:
/// the shards of one run).
#[pyfunction]
fn read_parquet<'py>(py: Python<'py>, paths: Vec<PathBuf>) -> PyResult<Bound<'py, PyAny>> {
    let mut batches: Vec<RecordBatch> = Vec::new();
    let mut schema = None;
    for path in &paths {
        let file = File::open(path).map_err(|e| io_error(path, e))?;
        let failed = |e: &dyn std::fmt::Display| {
            RinseError::new_err(format!("{}: cannot read Parquet: {e}", path.display()))
        };
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| failed(&e))?
            .build()
            .map_err(|e| failed(&e))?;
        schema.get_or_insert_with(|| reader.schema());
        for batch in reader {
            batches.push(batch.map_err(|e| failed(&e))?);
        }
    }
    let schema = schema.unwrap_or_else(|| std::sync::Arc::new(arrow_schema::Schema::empty()));
    PyTable::try_new(batches, schema)?.into_pyarrow(py)
}

fn io_error(path: &std::path::Path, e: std::io::Error) -> PyErr {
    RinseError::new_err(format!("{}: {e}", path.display()))
}

/// A config as TOML: the text of `base` (a TOML file; None: the embedded default), with
/// `overrides` (JSON of a table, the same shape as the TOML) merged over it key by key.
#[pyfunction]
#[pyo3(signature = (base, overrides))]
fn config_toml(base: Option<PathBuf>, overrides: &str) -> PyResult<String> {
    let (text, origin) = match &base {
        Some(p) => (
            std::fs::read_to_string(p).map_err(|e| io_error(p, e))?,
            p.display().to_string(),
        ),
        None => (
            rinse::config::DEFAULT_TOML.to_string(),
            "<embedded default>".to_string(),
        ),
    };
    let bad = |m: String| RinseError::new_err(format!("config {origin}: {m}"));
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let overrides: serde_json::Value =
        serde_json::from_str(overrides).map_err(|e| bad(e.to_string()))?;
    let overrides: toml::Value = serde_json::from_value(overrides)
        .map_err(|e| bad(format!("not a TOML table (a null value?): {e}")))?;
    match overrides {
        toml::Value::Table(o) => merge(&mut table, o),
        _ => return Err(bad("the overrides are not a table".into())),
    }
    toml::to_string(&table).map_err(|e| bad(e.to_string()))
}

/// Merge `over` into `into`: tables key by key, anything else replaced.
fn merge(into: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (into.get_mut(&k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

/// The version of the rinse library inside.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _rinse(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Before anything of a run is allocated (the allocator is the binary's:
    // src/cli/alloc.rs).
    cli::alloc::configure();
    m.add("RinseError", m.py().get_type::<RinseError>())?;
    m.add_function(wrap_pyfunction!(main, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add_function(wrap_pyfunction!(write_parquet, m)?)?;
    m.add_function(wrap_pyfunction!(read_parquet, m)?)?;
    m.add_function(wrap_pyfunction!(config_toml, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}
