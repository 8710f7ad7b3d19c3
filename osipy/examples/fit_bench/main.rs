//! Fit benchmark: a 3-parameter extended Tofts fit of synthetic noisy data, by the hand-written
//! fused fitter (`hand.rs`) and by the library's generated fitter (`generated_fit`) with each
//! driver; then the hard models of `gamma.rs` (gamma variates of DSC first passes) and
//! `ivim.rs` (IVIM), each with its data-driven start kernel, with each driver (`hard.rs`).
//!
//! ```text
//! cargo run --release -p osipy --example fit_bench -- --voxels 300000 --samples 80 \
//!     [--hard-voxels 100000] [--device cpu|emulator|cuda] [--seed N] [--threads N] [--reps N] \
//!     [--table-only] [--dce-only] [--scalar]
//! ```
//!
//! `--scalar` forces the scalar CPU lowering for every launch (`osipy_kernels::force_cpu_lanes`);
//! without it the generated extended Tofts fit also runs under the scalar lowering, right
//! before the default (lane) run, and the ratio of the two is printed.
//!
//! `--dce-only` fits the same extended Tofts data with the library's model
//! (`osipy::dce::extended_tofts`, plasma curve linear between samples) and stops: the row that
//! follows changes to the DCE models.
//!
//! The table printed last names each model and driver with its voxels/s and % converged; the
//! last line is `voxels_per_second <N>`, the generated extended Tofts fit's throughput with the
//! default driver.

mod data;
mod gamma;
mod hand;
mod hard;
mod ivim;
mod model;
mod report;

use data::Synthetic;
use osipy_kernels::fit::Driver;
use std::process::exit;

/// Start of every fit: (Ktrans /min, ve, vp).
const INIT: [f64; 3] = [0.1, 0.3, 0.05];
/// Lower bounds.
const LO: [f64; 3] = [1e-5, 1e-3, 0.0];
/// Upper bounds.
const HI: [f64; 3] = [5.0, 1.0, 1.0];

const USAGE: &str = "\
usage: fit_bench [--voxels N] [--samples N] [--hard-voxels N] [--device cpu|emulator|cuda] [--seed N]
                 [--threads N] [--reps N] [--table-only] [--dce-only] [--scalar]

  --voxels N    extended Tofts voxels to fit (default 300000)
  --samples N   samples per curve, 4 s apart, 5 of baseline (default 80, at least 2)
  --device D    device of the generated fitter: cpu, emulator or cuda (default cpu)
  --seed N      seed of the synthetic data (default 1)
  --threads N   rayon threads (default: rayon's default)
  --reps N      timed repetitions; the median is reported (default 3)
  --hard-voxels N  voxels of each gamma-variate and IVIM fit (default 100000)
  --table-only  skip the hand-written extended Tofts fits
  --dce-only    fit the data with osipy::dce::extended_tofts only, and stop
  --scalar      force the scalar CPU lowering (default: lanes where the CPU has AVX2 and FMA)
  --help        this text";

struct Args {
    voxels: usize,
    samples: usize,
    device: String,
    seed: u64,
    threads: Option<usize>,
    reps: usize,
    hard_voxels: usize,
    table_only: bool,
    dce_only: bool,
    scalar: bool,
}

fn usage_error(msg: &str) -> ! {
    eprintln!("fit_bench: {msg}\n\n{USAGE}");
    exit(2)
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Args {
    let mut args = Args {
        voxels: 300_000,
        samples: 80,
        device: "cpu".to_string(),
        seed: 1,
        threads: None,
        reps: 3,
        hard_voxels: 100_000,
        table_only: false,
        dce_only: false,
        scalar: false,
    };
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            exit(0);
        }
        if flag == "--table-only" {
            args.table_only = true;
            continue;
        }
        if flag == "--dce-only" {
            args.dce_only = true;
            continue;
        }
        if flag == "--scalar" {
            args.scalar = true;
            continue;
        }
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage_error(&format!("{flag} needs a value")))
        };
        let number = |v: String, min: u64| -> u64 {
            match v.parse::<u64>() {
                Ok(n) if n >= min => n,
                _ => usage_error(&format!("{flag} expects an integer >= {min}, got '{v}'")),
            }
        };
        let count = |v: String, min: u64| -> usize {
            usize::try_from(number(v, min)).unwrap_or_else(|_| usage_error(&format!("{flag} is too large")))
        };
        match flag.as_str() {
            "--voxels" => args.voxels = count(value(), 1),
            "--samples" => args.samples = count(value(), 2),
            "--seed" => args.seed = number(value(), 0),
            "--threads" => args.threads = Some(count(value(), 1)),
            "--reps" => args.reps = count(value(), 1),
            "--hard-voxels" => args.hard_voxels = count(value(), 1),
            "--device" => {
                let d = value();
                if !["cpu", "emulator", "cuda"].contains(&d.as_str()) {
                    usage_error(&format!("--device expects cpu, emulator or cuda, got '{d}'"));
                }
                args.device = d;
            }
            _ => usage_error(&format!("unknown argument '{flag}'")),
        }
    }
    if args.voxels.checked_mul(args.samples).is_none() {
        usage_error("--voxels x --samples is too large");
    }
    args
}

/// Median seconds over the repetitions, fitted parameters and statuses, and the table row.
type Timed = (f64, Vec<[f64; 3]>, Vec<u32>, hard::Row);

/// The library's generated fitter on `device` with `driver` and the hand-written fit's other
/// settings (hand::Settings::default(), INIT, LO, HI; data.t, data.cp, data.y).
fn generated_fit(data: &Synthetic, device: &str, reps: usize, driver: Driver) -> Result<Timed, String> {
    use ndarray::{Array1, Array2};
    use osipy_kernels::fit::LevenbergMarquardt;
    use osipy_kernels::{Device, XpArray};
    let dev = self::device(device);
    let s = hand::Settings::default();
    let lm = LevenbergMarquardt::new()
        .max_iterations(s.max_iter)
        .ftol(s.ftol)
        .xtol(s.xtol)
        .gtol(s.gtol)
        .lambda0(s.lambda0)
        .lambda_up(s.up)
        .lambda_down(s.down)
        .driver(driver);

    let err = |e: osipy_kernels::Error| e.to_string();
    let voxels = data.y.len() / data.samples;
    let y = Array2::from_shape_vec((voxels, data.samples), data.y.clone()).map_err(|e| e.to_string())?;
    let to = |a: XpArray<f64>| -> Result<XpArray<f64>, String> {
        if dev == Device::Cpu {
            Ok(a)
        } else {
            a.to_device(&dev).map_err(err)
        }
    };
    let start = std::time::Instant::now();
    let y = to(XpArray::from_host(y.into_dyn()))?;
    let t = to(XpArray::from_host(Array1::from(data.t.clone()).into_dyn()))?;
    let cp = to(XpArray::from_host(Array1::from(data.cp.clone()).into_dyn()))?;
    let upload = start.elapsed().as_secs_f64();
    let fitter = model::ext_tofts::fitter(&t, &cp)
        .settings(lm)
        .init(INIT)
        .lower(LO)
        .upper(HI);
    // The first fit includes the module's JIT on a CUDA device; it is reported, not timed.
    let start = std::time::Instant::now();
    let first = fitter.fit(&y).map_err(err)?;
    let first_s = start.elapsed().as_secs_f64();
    drop(first);
    let (secs, res) = report::time_median(reps, || fitter.fit(&y));
    let res = res.map_err(err)?;
    let kernel = osipy_kernels::last_cuda_kernel_seconds();
    let start = std::time::Instant::now();
    let p = res.params.to_host().map_err(err)?;
    let download = start.elapsed().as_secs_f64();
    if dev != Device::Cpu {
        println!(
            "generated fit ({driver}) on {device}: upload of the data {upload:.4} s; first fit (with the module's JIT) \
             {first_s:.4} s; fit median {secs:.4} s; download of the parameters {download:.4} s; \
             end to end {:.4} s",
            upload + secs + download
        );
        if let Some(k) = kernel {
            println!(
                "generated fit ({driver}) on {device}: kernel time {k:.4} s = {:.0} voxels/s of kernel time",
                voxels as f64 / k
            );
        }
    }
    let params = p
        .as_slice()
        .unwrap_or(&[])
        .chunks(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    let status: Vec<u32> = res.status.to_host().map_err(err)?.iter().copied().collect();
    let row = hard::summarize(
        "extended Tofts",
        driver.name(),
        secs,
        &res,
        &data.truth,
        &report::NAMES,
    )?;
    println!(
        "generated fit ({driver}): mean iterations {:.2}; status counts {{{}}}",
        row.mean_iters,
        row.counts
            .iter()
            .map(|(s, c)| format!("{s}: {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok((secs, params, status, row))
}

/// The library's extended Tofts model (`osipy::dce::extended_tofts`, `cp2 = 0`) on the same
/// data, start and bounds, default settings: the median seconds of `reps` fits.
fn dce_fit(data: &Synthetic, device: &str, reps: usize) -> Result<f64, String> {
    use ndarray::{Array1, Array2};
    use osipy_kernels::{Device, XpArray};
    let dev = self::device(device);
    let err = |e: osipy_kernels::Error| e.to_string();
    let voxels = data.y.len() / data.samples;
    let y = Array2::from_shape_vec((voxels, data.samples), data.y.clone()).map_err(|e| e.to_string())?;
    let to = |a: XpArray<f64>| -> Result<XpArray<f64>, String> {
        if dev == Device::Cpu {
            Ok(a)
        } else {
            a.to_device(&dev).map_err(err)
        }
    };
    let y = to(XpArray::from_host(y.into_dyn()))?;
    let t = to(XpArray::from_host(Array1::from(data.t.clone()).into_dyn()))?;
    let cp = to(XpArray::from_host(Array1::from(data.cp.clone()).into_dyn()))?;
    let cp2 = to(XpArray::from_host(Array1::zeros(data.t.len()).into_dyn()))?;
    let fitter = osipy::dce::extended_tofts::fitter(&t, &cp, &cp2)
        .init(INIT)
        .lower(LO)
        .upper(HI);
    drop(fitter.fit(&y).map_err(err)?);
    let (secs, res) = report::time_median(reps, || fitter.fit(&y));
    let res = res.map_err(err)?;
    let status: Vec<u32> = res.status.to_host().map_err(err)?.iter().copied().collect();
    let converged = status.iter().filter(|&&s| (1..=3).contains(&s)).count();
    println!("osipy::dce::extended_tofts: {converged} of {voxels} voxels converged (status 1 to 3)");
    Ok(secs)
}

fn main() {
    let args = parse_args(std::env::args_os().skip(1).map(|a| {
        a.into_string()
            .unwrap_or_else(|a| usage_error(&format!("argument {a:?} is not valid UTF-8")))
    }));
    if let Ok(dir) = std::env::var("FIT_BENCH_DUMP_PTX") {
        let files = [
            ("fit.ptx", model::ext_tofts::fit::PTX),
            ("fit_weighted.ptx", model::ext_tofts::fit_weighted::PTX),
            ("jacobian.ptx", model::ext_tofts::jacobian::PTX),
            ("gamma_variate_fit.ptx", gamma::gamma_variate::fit::PTX),
            ("ivim_fit.ptx", ivim::ivim::fit::PTX),
        ];
        for (name, text) in files {
            if let Err(e) = std::fs::write(std::path::Path::new(&dir).join(name), text) {
                eprintln!("fit_bench: cannot write {name} into {dir}: {e}");
                exit(1);
            }
        }
    }
    if let Some(n) = args.threads {
        if let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(n).build_global() {
            eprintln!("fit_bench: cannot build a thread pool of {n}: {e}");
            exit(1);
        }
    }
    if args.scalar {
        osipy_kernels::force_cpu_lanes(Some(osipy_kernels::CpuLanes::Scalar));
    }
    println!(
        "fit_bench: {} voxels x {} samples, seed {}, {} threads, device {}, {} reps, CPU lowering {:?}",
        args.voxels,
        args.samples,
        args.seed,
        rayon::current_num_threads(),
        args.device,
        args.reps,
        osipy_kernels::cpu_lanes()
    );

    let (gen_s, data) = report::time_median(1, || data::make(args.voxels, args.samples, args.seed));
    println!("data: generated in {gen_s:.3} s");
    if args.dce_only {
        match dce_fit(&data, &args.device, args.reps) {
            Ok(secs) => println!(
                "osipy::dce::extended_tofts fit ({}): median {secs:.4} s over {} reps = {:.0} voxels/s",
                args.device,
                args.reps,
                args.voxels as f64 / secs
            ),
            Err(e) => {
                eprintln!("fit_bench: the osipy::dce::extended_tofts fit failed: {e}");
                exit(1);
            }
        }
        return;
    }

    let settings = hand::Settings::default();
    // The twin evaluates the model per voxel as `model.rs` does; the tuned version also
    // precomputes the grid (steps, runs of equal dt, sum cp^2) once for all voxels.
    let mut hand_vps = [None; 2];
    for (k, (tuned, label)) in [(false, "hand-written twin"), (true, "hand-written, tuned")]
        .iter()
        .enumerate()
        .filter(|_| !args.table_only)
    {
        let (hand_s, hand_fit) = report::time_median(args.reps, || {
            hand::fit(
                &data.t,
                &data.cp,
                &data.y,
                data.samples,
                INIT,
                LO,
                HI,
                &settings,
                *tuned,
            )
        });
        let vps = args.voxels as f64 / hand_s;
        hand_vps[k] = Some(vps);
        let mean_iters = hand_fit.iters.iter().map(|&i| i as f64).sum::<f64>() / args.voxels as f64;
        let mut counts = [0usize; 10];
        for &s in &hand_fit.status {
            counts[(s as usize).min(9)] += 1;
        }
        let counts: Vec<String> = counts
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(s, c)| format!("{s}: {c}"))
            .collect();
        let (mut r2, mut chi2) = (hand_fit.r2.clone(), hand_fit.chi2.clone());
        println!(
            "{label} fit: median {hand_s:.4} s over {} reps = {:.0} voxels/s; mean iterations {mean_iters:.2}",
            args.reps, vps,
        );
        println!(
            "  median chi2 {:.4e} (noise alone: {:.4e}), median r2 {:.4}",
            report::median(&mut chi2),
            data::NOISE_SD * data::NOISE_SD * data.samples as f64,
            report::median(&mut r2)
        );
        println!("  status counts {{{}}}", counts.join(", "));
        println!(
            "{}",
            report::accuracy(&data.truth, &hand_fit.params, &hand_fit.status)
        );
    }

    let mut rows = Vec::new();
    let mut last = 0.0;
    for driver in [Driver::Classic, Driver::Adaptive] {
        let lanes = osipy_kernels::cpu_lanes();
        let scalar_vps = if args.device == "cpu" && lanes != osipy_kernels::CpuLanes::Scalar {
            let r = osipy_kernels::with_cpu_lanes(osipy_kernels::CpuLanes::Scalar, || {
                generated_fit(&data, &args.device, args.reps, driver)
            });
            match r {
                Ok((secs, ..)) => {
                    let vps = args.voxels as f64 / secs;
                    println!(
                        "generated fit ({driver}, cpu, scalar lowering): median {secs:.4} s over {} reps = {vps:.0} voxels/s",
                        args.reps
                    );
                    Some(vps)
                }
                Err(e) => {
                    eprintln!(
                        "fit_bench: the generated fit ({driver}) under the scalar lowering failed: {e}"
                    );
                    exit(1);
                }
            }
        } else {
            None
        };
        match generated_fit(&data, &args.device, args.reps, driver) {
            Ok((gen_fit_s, params, status, row)) => {
                let vps = args.voxels as f64 / gen_fit_s;
                println!(
                    "generated fit ({driver}, {}): median {gen_fit_s:.4} s over {} reps = {vps:.0} voxels/s",
                    args.device, args.reps
                );
                println!("{}", report::accuracy(&data.truth, &params, &status));
                if let Some(sv) = scalar_vps {
                    println!(
                        "generated ({driver}), lanes ({lanes:?}) / scalar lowering (voxels/s): {:.3}",
                        vps / sv
                    );
                }
                if let (Driver::Classic, Some(twin), Some(tuned)) = (driver, hand_vps[0], hand_vps[1]) {
                    // The hand-written fits run the classic driver's algorithm.
                    println!(
                        "generated (classic) / hand-written twin (voxels/s): {:.3}",
                        vps / twin
                    );
                    println!(
                        "generated (classic) / hand-written, tuned (voxels/s): {:.3}",
                        vps / tuned
                    );
                }
                if let (Driver::Adaptive, Some(tuned)) = (driver, hand_vps[1]) {
                    println!(
                        "generated (adaptive, default) / hand-written, tuned (voxels/s): {:.3}",
                        vps / tuned
                    );
                }
                rows.push(row);
                last = vps;
            }
            Err(e) => {
                eprintln!(
                    "fit_bench: the generated fit ({driver}) on {} failed: {e}",
                    args.device
                );
                exit(1);
            }
        }
    }
    if let [classic, adaptive] = &rows[..] {
        println!(
            "extended Tofts, adaptive against classic: voxels/s x{:.3}, mean chi2 x(1 {:+.2e})",
            adaptive.vps() / classic.vps(),
            adaptive.mean_chi2 / classic.mean_chi2 - 1.0
        );
    }
    rows.extend(models_table(&args));
    println!("\n{}", hard::table(&rows));
    println!(
        "extended Tofts, {} voxels x {} samples: {:.0} voxels/s against the goal of 1,000,000 ({:.0}%)",
        args.voxels,
        args.samples,
        last,
        last / 1e4
    );
    println!("voxels_per_second {}", last.round() as u64);
}

fn device(name: &str) -> osipy_kernels::Device {
    match name {
        "cpu" => osipy_kernels::Device::Cpu,
        "emulator" => osipy_kernels::Device::Emulator,
        _ => osipy_kernels::Device::Cuda(0),
    }
}

/// The rows of the gamma variate (amplitude on a log scale, as `gamma.rs` writes it, and on a
/// linear scale) and IVIM (data-driven and shared starts), each with both drivers.
fn models_table(args: &Args) -> Vec<hard::Row> {
    use osipy_kernels::fit::LevenbergMarquardt;
    let dev = device(&args.device);
    let (gs, g) = report::time_median(1, || gamma::make(args.hard_voxels, args.seed));
    let (is, iv) = report::time_median(1, || ivim::make(args.hard_voxels, args.seed));
    println!("data: gamma variates generated in {gs:.3} s, IVIM in {is:.3} s");
    let mut rows = Vec::new();
    for model in 0..4 {
        for driver in [Driver::Classic, Driver::Adaptive] {
            let lm = LevenbergMarquardt::new().driver(driver);
            let row = match model {
                0 => hard::gamma_row(&g, lm, true, &dev, args.reps),
                1 => hard::gamma_row(&g, lm, false, &dev, args.reps),
                2 => hard::ivim_row(&iv, lm, false, &dev, args.reps),
                _ => hard::ivim_row(&iv, lm, true, &dev, args.reps),
            };
            match row {
                Ok(r) => rows.push(r),
                Err(e) => {
                    eprintln!("fit_bench: {e}");
                    exit(1);
                }
            }
        }
    }
    rows
}
