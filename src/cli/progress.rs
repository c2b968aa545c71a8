//! Progress on stderr while a run works: on a terminal, a bar for the main pass that counts
//! records processed (not read: reading runs ahead) with an ETA from the input bytes of
//! those records, then one line per dedup phase with its own progress. Nothing when stderr
//! is not a terminal or with `--quiet` (the caller prints the final summary, or not).
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rinse::pipeline::Progress;
use rinse::report::human_bytes;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub enum Reporter {
    Silent,
    Bars(Bars),
}

pub struct Bars {
    started: Instant,
    main: Option<ProgressBar>,
    /// The dedup phase being drawn: its name, bar and start.
    phase: Option<(&'static str, ProgressBar, Instant)>,
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

fn new_bar() -> ProgressBar {
    ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
}

impl Reporter {
    /// Bars when stderr is a terminal and not `quiet`; else silent.
    pub fn new(quiet: bool) -> Reporter {
        if quiet || !std::io::stderr().is_terminal() {
            Reporter::Silent
        } else {
            Reporter::Bars(Bars {
                started: Instant::now(),
                main: None,
                phase: None,
            })
        }
    }

    pub fn update(&mut self, p: &Progress) {
        if let Reporter::Bars(b) = self {
            b.update(p);
        }
    }

    /// Clear what is still drawn (a run that failed midway).
    pub fn finish(self) {
        if let Reporter::Bars(b) = self {
            if let Some(bar) = b.main {
                bar.finish_and_clear();
            }
            if let Some((_, bar, _)) = b.phase {
                bar.finish_and_clear();
            }
        }
    }
}

impl Bars {
    fn update(&mut self, p: &Progress) {
        match *p {
            Progress::Main {
                records,
                bytes,
                total_bytes,
                files_done,
                files,
            } => {
                let bar = self.main.get_or_insert_with(|| {
                    let bar = new_bar();
                    match total_bytes {
                        Some(t) if t > 0 => {
                            bar.set_style(style("{bar:25} {percent:>3}% {msg} ETA {eta}"));
                            bar.set_length(t);
                        }
                        _ => {
                            bar.set_style(style("{spinner} {msg}"));
                            bar.enable_steady_tick(Duration::from_millis(200));
                        }
                    }
                    bar
                });
                bar.set_position(bytes);
                let secs = self.started.elapsed().as_secs_f64().max(1e-9);
                // Short enough for an 80-column terminal beside the bar.
                let file = if files > 1 {
                    format!(", file {}/{files}", files_done.min(files))
                } else {
                    String::new()
                };
                bar.set_message(format!(
                    "{records} records, {:.0}/s{file}",
                    records as f64 / secs
                ));
            }
            Progress::MainDone { records, bytes } => {
                let bar = self.main.take().unwrap_or_else(new_bar);
                bar.set_style(style("{msg}"));
                bar.finish_with_message(format!(
                    "rinse: main pass: {records} records, {} in {:.1}s",
                    human_bytes(bytes),
                    self.started.elapsed().as_secs_f64()
                ));
            }
            Progress::Phase { name, done, total } => {
                if self.phase.as_ref().is_some_and(|(n, _, _)| *n != name) {
                    self.end_phase();
                }
                let (_, bar, _) = self.phase.get_or_insert_with(|| {
                    let bar = new_bar();
                    if total > 1 {
                        bar.set_style(style(
                            "rinse: dedup {prefix:<10} {bar:25} {pos}/{len} ETA {eta}",
                        ));
                        bar.set_length(total);
                    } else {
                        bar.set_style(style("rinse: dedup {prefix:<10} {spinner} {elapsed}"));
                        bar.enable_steady_tick(Duration::from_millis(200));
                    }
                    bar.set_prefix(name);
                    (name, bar, Instant::now())
                });
                if total > 1 {
                    bar.set_position(done);
                }
                if done >= total {
                    self.end_phase();
                }
            }
        }
    }

    /// Leave the line of the phase drawn, with its time.
    fn end_phase(&mut self) {
        if let Some((name, bar, started)) = self.phase.take() {
            let n = bar.length().filter(|&l| l > 1);
            bar.set_style(style("{msg}"));
            bar.finish_with_message(format!(
                "rinse: dedup {name:<10} {}{:.1}s",
                n.map_or(String::new(), |n| format!("{n} documents in ")),
                started.elapsed().as_secs_f64()
            ));
        }
    }
}
