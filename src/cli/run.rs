//! `rinse run`: read corpora, clean and deduplicate them, write kept/rejected JSONL.
use super::progress::Reporter;
use rinse::pipeline::{self, RunPlan};
use rinse::write::parquet::{ParquetCompression, ParquetOutput, ParquetWriter};
use rinse::write::{OutputCompression, OutputFormat, TextMode, WriteOptions};
use std::path::PathBuf;

/// Read documents, clean and deduplicate them, write kept and rejected JSONL and a report.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input files or directories (walked recursively, in sorted order); `-` for stdin
    /// (JSONL). Formats by extension: .jsonl/.ndjson/.json (one object per line), .txt
    /// (one document per file) or .warc/.wet (WARC conversion records), optionally
    /// compressed as .gz or .zst; .parquet (one document per row).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Output directory (created if missing): kept/, rejected/, report.json, report.html
    /// and report-sample.jsonl.
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,
    /// Configuration file (TOML). Without it, the embedded default (`rinse config`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    input: super::InputArgs,
    /// Compression of the output shards: of the whole file for JSONL (default none); of
    /// the pages inside for Parquet (default Snappy, as Hugging Face datasets; `none` is
    /// the fastest, `zstd` the smallest).
    #[arg(long, value_enum, value_name = "CODEC")]
    compression: Option<OutputCompression>,
    /// Format of the output shards: JSONL, or Parquet (with the input's schema when
    /// every input is Parquet with one schema).
    #[arg(long, value_enum, default_value_t = OutputFormat::Jsonl)]
    output_format: OutputFormat,
    /// Start a new output shard after this much (uncompressed) JSONL: 256MB, 1GB, 1000000.
    #[arg(long, default_value = "256MB", value_parser = parse_size, value_name = "SIZE")]
    shard_size: u64,
    /// Add a `rinse` object to each kept record listing what was removed and why.
    #[arg(long)]
    explain: bool,
    /// Keep the text unchanged and only annotate the removals (implies --explain).
    #[arg(long)]
    annotate_only: bool,
    /// Estimate each clean rule's time in report.json (`time` of its counters; costs a
    /// few percent of the clean stage). Without it only the passes are timed.
    #[arg(long)]
    explain_timing: bool,
    /// Records per batch (the unit of parallel work; output does not depend on it).
    #[arg(long, default_value_t = 4096, value_name = "N", hide = true)]
    batch_size: usize,
    /// No progress and no summary on stderr. (Progress is drawn only when stderr is a
    /// terminal; the summary is printed either way.)
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = super::load_config(args.config.as_deref())?;
    let fields = args.input.fields();
    let plan_out = args.out.clone();
    let plan = RunPlan {
        inputs: args.inputs,
        fields: fields.clone(),
        config,
        write: WriteOptions {
            out: args.out,
            compression: match args.output_format {
                OutputFormat::Jsonl => args.compression.unwrap_or_default(),
                OutputFormat::Parquet => OutputCompression::None,
            },
            shard_size: args.shard_size,
            explain: args.explain || args.annotate_only,
            text_mode: if args.annotate_only {
                TextMode::AnnotateOnly
            } else {
                TextMode::Clean
            },
            fields,
        },
        threads: args.input.threads(),
        batch_records: args.batch_size,
        rule_timing: args.explain_timing,
    };
    let mut reporter = Reporter::new(args.quiet);
    let result = if args.output_format == OutputFormat::Parquet {
        let sources = rinse::read::expand_inputs(&plan.inputs, &rinse::read::Exclude::default())?;
        let spec = ParquetOutput {
            input_schema: rinse::read::common_schema(&sources)?,
            fields: plan.fields.clone(),
            explain: plan.write.explain,
            compression: match args.compression {
                None => ParquetCompression::SNAPPY,
                Some(OutputCompression::None) => ParquetCompression::UNCOMPRESSED,
                Some(OutputCompression::Gzip) => ParquetCompression::GZIP(Default::default()),
                Some(OutputCompression::Zstd) => ParquetCompression::ZSTD(Default::default()),
            },
        };
        let create = || ParquetWriter::create(plan.write.clone(), spec);
        pipeline::run_to(&plan, create, &mut |p| reporter.update(p)).map(|(r, ())| r)
    } else {
        pipeline::run(&plan, &mut |p| reporter.update(p))
    };
    reporter.finish();
    let report = result?;
    if !args.quiet {
        eprint!("{}", report.summary());
    }
    if report.records.kept == 0 {
        return Err(super::Exit {
            code: super::EXIT_NOTHING_KEPT,
            message: format!(
                "kept no record of {} read (exit status {}); see {}",
                report.records.read,
                super::EXIT_NOTHING_KEPT,
                plan_out.join("report.json").display()
            ),
        }
        .into());
    }
    Ok(())
}

/// Parse a size such as `256MB`, `1.5GB`, `64k`, `1000000`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size (try 256MB)"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        u => return Err(format!("unknown size unit '{u}' in '{s}'")),
    };
    let bytes = value * mult;
    if bytes < 1.0 {
        return Err(format!("size '{s}' must be at least 1 byte"));
    }
    Ok(bytes as u64)
}
