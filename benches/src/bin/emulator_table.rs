//! The PTX emulator on the fit corpus: voxels per second per model.
//!
//! Fits each model of `osipy_tests::fit_models` (expdecay3, etofts, gauss4, mixed) and a
//! gamma-variate bolus model written as a user would, on `--voxels` voxels each (default 256),
//! on `Device::Emulator`, `--reps` times (default 3), and prints the median time and voxels/s
//! per model and for the whole corpus, with the CPU time the fits took (summed over threads:
//! on a shared machine it moves less with the load than the wall clock). Every emulator fit is checked bit for bit against the
//! same fit on the CPU; `--model NAME` runs one model, `--ptx` prints the gamma-variate fit's
//! PTX. `cargo run --release -p osipy-benches --bin emulator_table`

use std::time::Instant;

use ndarray::{Array1, Array2};
use osipy_kernels::fit::{FitResult, LevenbergMarquardt};
use osipy_kernels::{xp_kernel, Device, Result, XpArray};
use osipy_tests::fit_models::{cases, Inputs};

/// Gamma-variate bolus: `A (t - t0)^alpha exp(-(t - t0) / beta)` after the arrival `t0`.
#[xp_kernel(model)]
pub fn gamma_variate(
    #[uniform] t: &[f64],
    #[param(init = 1.0, lower = 0.0, upper = 100.0)] a: f64,
    #[param(init = 5.0, lower = 0.0, upper = 20.0)] t0: f64,
    #[param(init = 2.0, lower = 0.1, upper = 10.0)] alpha: f64,
    #[param(init = 3.0, lower = 0.1, upper = 20.0)] beta: f64,
    pred: &mut [f64],
) {
    for i in 0..pred.len() {
        pred[i] = if t[i] > t0 {
            a * (t[i] - t0).powf(alpha) * (-(t[i] - t0) / beta).exp()
        } else {
            0.0
        };
    }
}

/// A small deterministic generator (SplitMix64), uniform in `[0, 1)`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// A fit of data (voxels x samples) on the data's device.
type FitFn = Box<dyn Fn(&XpArray<f64>) -> Result<FitResult>>;

/// One model of the table: name, data (voxels x samples) and its fit.
struct Bench {
    name: &'static str,
    data: Array2<f64>,
    fit: FitFn,
}

fn time_axis(n: usize, dt: f64, t0: f64) -> Vec<f64> {
    (0..n).map(|k| t0 + dt * k as f64).collect()
}

/// Truth parameters drawn in `ranges`, the model's curves from its CPU launch, 1 % noise.
fn noisy(
    voxels: usize,
    ranges: &[(f64, f64)],
    seed: u64,
    predict: &dyn Fn(&Array2<f64>) -> Result<Array2<f64>>,
) -> Result<Array2<f64>> {
    let mut r = Rng(seed);
    let truth = Array2::from_shape_fn((voxels, ranges.len()), |(_, a)| r.range(ranges[a].0, ranges[a].1));
    let mut y = predict(&truth)?;
    let peak = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    y.mapv_inplace(|v| v + 0.01 * peak * (r.next() - 0.5));
    Ok(y)
}

fn corpus(voxels: usize) -> Result<Vec<Bench>> {
    let mut out = Vec::new();
    for case in cases() {
        let (inp, ranges): (Inputs, &[(f64, f64)]) = match case.name {
            "expdecay3" => (
                Inputs {
                    t: time_axis(40, 0.1, 0.0),
                    cp: Vec::new(),
                    scale: Vec::new(),
                },
                &[(0.5, 2.0), (0.3, 3.0), (-0.2, 0.2)],
            ),
            "etofts" => {
                let t = time_axis(60, 4.0, 0.0);
                let cp = t
                    .iter()
                    .map(|&s| {
                        let x = (s - 20.0).max(0.0) / 10.0;
                        5.0 * x * (-x).exp() + 0.5 * (1.0 - (-x / 5.0).exp())
                    })
                    .collect();
                (
                    Inputs {
                        t,
                        cp,
                        scale: Vec::new(),
                    },
                    &[(0.02, 0.5), (0.1, 0.6), (0.01, 0.1)],
                )
            }
            "gauss4" => (
                Inputs {
                    t: time_axis(40, 0.5, 0.0),
                    cp: Vec::new(),
                    scale: Vec::new(),
                },
                &[(1.0, 3.0), (8.0, 12.0), (1.0, 3.0), (-0.5, 0.5)],
            ),
            _ => (
                Inputs {
                    t: time_axis(40, 0.1, -0.3),
                    cp: Vec::new(),
                    scale: (0..voxels).map(|i| 0.5 + 0.01 * (i % 17) as f64).collect(),
                },
                &[(0.4, 2.0), (0.4, 2.0), (0.4, 2.0)],
            ),
        };
        let n = inp.t.len();
        let data = noisy(voxels, ranges, 7, &|p| (case.predict)(&inp, p, n, &Device::Cpu))?;
        let init = case.init;
        out.push(Bench {
            name: case.name,
            data,
            fit: Box::new(move |y| (case.fit)(&inp, y, &LevenbergMarquardt::default(), init)),
        });
    }
    let t = time_axis(60, 1.0, 0.0);
    let n = t.len();
    let tg = t.clone();
    let data = noisy(
        voxels,
        &[(0.5, 2.0), (3.0, 8.0), (1.5, 4.0), (1.5, 4.0)],
        11,
        &|p| {
            let mut y = Array2::<f64>::zeros((p.nrows(), n));
            let col = |a: usize| p.column(a).to_owned();
            gamma_variate::launch(&tg, &col(0), &col(1), &col(2), &col(3), &mut y)?;
            Ok(y)
        },
    )?;
    out.push(Bench {
        name: "gamma_variate",
        data,
        fit: Box::new(move |y| {
            let placement = y.placement();
            let t = XpArray::from_host(Array1::from(t.clone()).into_dyn());
            let t = if placement == Device::Cpu {
                t
            } else {
                t.to_device(&placement)?
            };
            gamma_variate::fitter(&t).fit(y)
        }),
    });
    Ok(out)
}

/// CPU time of this process so far, summed over its threads (Linux `schedstat`), in seconds.
/// On a shared machine it moves less with the load than the wall clock.
fn cpu_seconds() -> Option<f64> {
    let mut ns = 0u64;
    for t in std::fs::read_dir("/proc/self/task").ok()? {
        let s = std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok()?;
        ns += s.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(ns as f64 * 1e-9)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn bits(r: &FitResult) -> Result<Vec<u64>> {
    let mut b: Vec<u64> = Vec::new();
    b.extend(r.params.to_host()?.iter().map(|v| v.to_bits()));
    b.extend(r.chi2.to_host()?.iter().map(|v| v.to_bits()));
    b.extend(r.r2.to_host()?.iter().map(|v| v.to_bits()));
    b.extend(r.iterations.to_host()?.iter().map(|&v| u64::from(v)));
    b.extend(r.status.to_host()?.iter().map(|&v| u64::from(v)));
    Ok(b)
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--ptx") {
        print!("{}", gamma_variate::fit::PTX);
        return Ok(());
    }
    let voxels: usize = arg(&args, "--voxels", 256);
    let reps: usize = arg(&args, "--reps", 3).max(1);
    let only: Option<String> = args
        .iter()
        .position(|a| a == "--model")
        .and_then(|i| args.get(i + 1))
        .cloned();
    println!(
        "emulator fits, {voxels} voxels per model, median of {reps}, rayon threads: {}",
        rayon::current_num_threads()
    );
    println!(
        "| model | iterations | emulator median | emulator voxels/s | emulator CPU time | voxels per CPU s | Device::Cpu voxels/s | bits equal |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let (mut total_s, mut total_cpu, mut total_v) = (0.0, 0.0, 0usize);
    for b in corpus(voxels)? {
        if only.as_deref().is_some_and(|m| m != b.name) {
            continue;
        }
        let host = XpArray::from_host(b.data.clone().into_dyn());
        let dev = host.to_device(&Device::Emulator)?;
        let t0 = Instant::now();
        let cpu = (b.fit)(&host)?;
        let cpu_s = t0.elapsed().as_secs_f64();
        let want = bits(&cpu)?;
        let iters: u64 = cpu.iterations.to_host()?.iter().map(|&v| u64::from(v)).sum();
        let (mut times, mut cpus) = (Vec::new(), Vec::new());
        let mut equal = true;
        for _ in 0..reps {
            let (t0, c0) = (Instant::now(), cpu_seconds());
            let emu = (b.fit)(&dev)?;
            times.push(t0.elapsed().as_secs_f64());
            if let (Some(c0), Some(c1)) = (c0, cpu_seconds()) {
                cpus.push(c1 - c0);
            }
            equal &= bits(&emu)? == want;
        }
        let m = median(times);
        let c = if cpus.len() == reps {
            median(cpus)
        } else {
            f64::NAN
        };
        total_s += m;
        total_cpu += c;
        total_v += voxels;
        println!(
            "| {} | {iters} | {:.3} s | {:.1} | {:.3} s | {:.1} | {:.0} | {} |",
            b.name,
            m,
            voxels as f64 / m,
            c,
            voxels as f64 / c,
            voxels as f64 / cpu_s,
            if equal { "yes" } else { "NO" }
        );
        assert!(equal, "{}: the emulator's fit differs from the CPU's", b.name);
    }
    println!(
        "| total | | {:.3} s | {:.1} | {:.3} s | {:.1} | | |",
        total_s,
        total_v as f64 / total_s,
        total_cpu,
        total_v as f64 / total_cpu
    );
    Ok(())
}
