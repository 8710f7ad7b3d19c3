//! `osipy-fuzz`: deterministic mutation fuzzing of the readers (see the library's docs).
//!
//! ```text
//! osipy-fuzz [--target nifti|npy|config|dicom|all] [--seed S] [--start K] [--count N | --inputs N] [--verbose] [--dump DIR]
//! ```
//!
//! Prints one line per target: inputs, accepted, panics, peak resident memory and the time,
//! then one line per panic (`panic at input K: message`; replay with `--start K --count 1`).
//! `--verbose` prints each index before its input, so the last line names an input that
//! aborted the process; `--dump DIR` writes the inputs as files instead of running them. Exit code 0 without panics, 1 with, 2 for a bad command line.

use std::io::Write;
use std::time::Instant;

use osipy_fuzz::{corpus, run, Target};

struct Args {
    targets: Vec<Target>,
    seed: u64,
    start: u64,
    count: u64,
    verbose: bool,
    dump: Option<std::path::PathBuf>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        targets: Target::ALL.to_vec(),
        seed: 1,
        start: 0,
        count: 10_000,
        verbose: false,
        dump: None,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag}: expected a value, found none"))
        };
        let number = |v: &String| {
            v.replace('_', "").parse::<u64>().map_err(|_| {
                format!(
                    "{flag}: expected a non-negative integer, found `{}`",
                    v.escape_debug()
                )
            })
        };
        match flag.as_str() {
            "--target" => {
                let v = value()?;
                a.targets = match v.as_str() {
                    "all" => Target::ALL.to_vec(),
                    name => vec![Target::from_name(name).ok_or_else(|| {
                        format!(
                            "--target: expected nifti, npy, config, dicom or all, found `{}`",
                            name.escape_debug()
                        )
                    })?],
                };
            }
            "--seed" => a.seed = number(value()?)?,
            "--start" => a.start = number(value()?)?,
            "--count" | "--inputs" => a.count = number(value()?)?,
            "--verbose" => a.verbose = true,
            "--dump" => a.dump = Some(value()?.into()),
            other => {
                return Err(format!(
                    "expected --target, --seed, --start, --count, --inputs, --verbose or --dump, found `{}`",
                    other.escape_debug()
                ))
            }
        }
    }
    Ok(a)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a = match parse(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("osipy-fuzz: {e}");
            std::process::exit(2);
        }
    };
    let mut failed = false;
    for target in a.targets {
        let seeds = corpus::load(target);
        if let Some(dir) = &a.dump {
            // The inputs as files, named `{target}-{seed}-{index}`, instead of a run.
            let _ = std::fs::create_dir_all(dir);
            for i in a.start..a.start.saturating_add(a.count) {
                let path = dir.join(format!("{}-{}-{i}", target.name(), a.seed));
                if let Err(e) = std::fs::write(&path, osipy_fuzz::mutate::input(&seeds, a.seed, i)) {
                    eprintln!("osipy-fuzz: {}: cannot write: {e}", path.display());
                    std::process::exit(2);
                }
            }
            continue;
        }
        let t0 = Instant::now();
        let step = (a.count / 20).max(1);
        let report = run(target, &seeds, a.seed, a.start, a.count, |i| {
            if a.verbose {
                eprintln!("input {i}");
            } else if (i - a.start) % step == 0 && i > a.start {
                eprint!("\r{}: {} / {}", target.name(), i - a.start, a.count);
                let _ = std::io::stderr().flush();
            }
        });
        if !a.verbose {
            eprint!("\r");
        }
        println!(
            "{}: {} inputs (seed {}, from {}), {} accepted, {} panics, peak RSS {:.1} MiB, {:.1} s, {} corpus files",
            target.name(),
            report.inputs,
            a.seed,
            a.start,
            report.accepted,
            report.panics.len(),
            report.peak_rss_kib as f64 / 1024.0,
            t0.elapsed().as_secs_f64(),
            seeds.len()
        );
        for (i, msg) in &report.panics {
            println!("panic at input {i}: {}", msg.escape_debug());
        }
        failed |= !report.panics.is_empty();
    }
    std::process::exit(i32::from(failed));
}
