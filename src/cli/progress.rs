//! Progress on stderr: an indicatif bar on a terminal, a line every few seconds
//! otherwise, nothing with `--quiet`.
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rinse::pipeline::Progress;
use rinse::report::human_bytes;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub enum Reporter {
    Quiet,
    Bar { bar: ProgressBar, started: Instant },
    Lines { started: Instant, last: Instant },
}

const LINE_EVERY: Duration = Duration::from_secs(5);

impl Reporter {
    pub fn new(quiet: bool) -> Reporter {
        let now = Instant::now();
        if quiet {
            Reporter::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            Reporter::Bar { bar, started: now }
        } else {
            Reporter::Lines {
                started: now,
                last: now,
            }
        }
    }

    pub fn update(&mut self, p: &Progress) {
        match self {
            Reporter::Quiet => {}
            Reporter::Bar { bar, started } => {
                if bar.length().is_none() {
                    let style = match p.total_bytes {
                        Some(total) => {
                            bar.set_length(total);
                            ProgressStyle::with_template(
                                "{bar:30} {bytes}/{total_bytes} {msg} ({eta})",
                            )
                        }
                        None => ProgressStyle::with_template("{spinner} {bytes} {msg}"),
                    };
                    if let Ok(style) = style {
                        bar.set_style(style);
                    }
                }
                bar.set_position(p.raw_bytes);
                let secs = started.elapsed().as_secs_f64().max(1e-9);
                bar.set_message(format!(
                    "{} records, {:.0} rec/s, {:.1} MB/s",
                    p.records,
                    p.records as f64 / secs,
                    p.raw_bytes as f64 / 1e6 / secs
                ));
            }
            Reporter::Lines { started, last } => {
                if last.elapsed() >= LINE_EVERY {
                    *last = Instant::now();
                    eprintln!("rinse: {}", line(p, started.elapsed()));
                }
            }
        }
    }

    pub fn finish(self) {
        if let Reporter::Bar { bar, .. } = self {
            bar.finish_and_clear();
        }
    }
}

fn line(p: &Progress, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let done = match p.total_bytes {
        Some(t) if t > 0 => format!(
            "{} of {} ({:.0}%)",
            human_bytes(p.raw_bytes),
            human_bytes(t),
            100.0 * p.raw_bytes as f64 / t as f64
        ),
        _ => human_bytes(p.raw_bytes),
    };
    format!(
        "{} records, {done}, file {}/{}, {:.0} records/s, {:.1} MB/s",
        p.records,
        p.files_done.min(p.files),
        p.files,
        p.records as f64 / secs,
        p.raw_bytes as f64 / 1e6 / secs
    )
}
