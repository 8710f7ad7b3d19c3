//! The host side of the deconvolutions: the AIF's convolution matrix, its singular value
//! decomposition (nalgebra) and what the kernels take from it, built once per AIF.

use std::fmt;
use std::str::FromStr;

use nalgebra::{DMatrix, SVD};

use crate::{Error, Result};

/// sSVD's default truncation threshold, relative to the largest singular value: 20 %
/// (Østergaard et al., MRM 1996;36:715-725).
pub const SSVD_THRESHOLD: f64 = 0.2;
/// cSVD's default truncation threshold, relative to the largest singular value: 10 % (Wu et
/// al., MRM 2003;50:164-174, the threshold they use for the block-circulant matrix).
pub const CSVD_THRESHOLD: f64 = 0.1;
/// oSVD's default target oscillation index: 0.035 (Wu et al., MRM 2003;50:164-174).
pub const OSVD_OSCILLATION_INDEX: f64 = 0.035;
/// Tikhonov's default regularisation parameter, relative to the largest singular value: 0.1
/// (the filter `s² / (s² + λ²)` halves a component whose singular value is 10 % of the
/// largest, the cut of the truncated methods; Calamante et al., MRM 2003;50:1237-1247 use the
/// same zero-order Tikhonov filter).
pub const TIKHONOV_LAMBDA: f64 = 0.1;

/// A deconvolution method.
///
/// Parsed from `ssvd`, `csvd`, `osvd`, `tikhonov` (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Truncated SVD of the causal (lower-triangular Toeplitz) matrix (Østergaard 1996).
    Ssvd,
    /// Truncated SVD of the block-circulant matrix of the zero-padded AIF: insensitive to the
    /// tissue arriving before or after the AIF (Wu 2003).
    Csvd,
    /// cSVD with the threshold chosen per voxel by the oscillation index (Wu 2003).
    Osvd,
    /// Zero-order Tikhonov regularisation of the causal matrix (filter `s² / (s² + λ²)`).
    Tikhonov,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 4] = [Method::Ssvd, Method::Csvd, Method::Osvd, Method::Tikhonov];

    /// The name (`ssvd`, `csvd`, `osvd`, `tikhonov`).
    pub fn name(self) -> &'static str {
        match self {
            Method::Ssvd => "ssvd",
            Method::Csvd => "csvd",
            Method::Osvd => "osvd",
            Method::Tikhonov => "tikhonov",
        }
    }

    /// Whether the matrix is block-circulant (cSVD, oSVD: twice the samples).
    pub fn is_circulant(self) -> bool {
        matches!(self, Method::Csvd | Method::Osvd)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = Error;

    fn from_str(s: &str) -> Result<Method> {
        match s.to_ascii_lowercase().as_str() {
            "ssvd" => Ok(Method::Ssvd),
            "csvd" => Ok(Method::Csvd),
            "osvd" => Ok(Method::Osvd),
            "tikhonov" => Ok(Method::Tikhonov),
            _ => Err(Error::Invalid {
                function: "dsc::Method::from_str",
                arg: "method",
                expected: "ssvd, csvd, osvd or tikhonov".into(),
                found: format!("`{s}`"),
            }),
        }
    }
}

/// A deconvolution: the method and its regularisation, with the literature defaults.
///
/// ```
/// use osipy::dsc::{Deconvolution, Method};
/// let d = Deconvolution::new(Method::Csvd);
/// assert_eq!(d.threshold, 0.1);
/// let d = Deconvolution::new(Method::Ssvd).with_threshold(0.15);
/// assert_eq!(d.threshold, 0.15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deconvolution {
    /// The method.
    pub method: Method,
    /// sSVD, cSVD: singular values at or below `threshold` times the largest are dropped.
    pub threshold: f64,
    /// oSVD: the target oscillation index.
    pub oscillation_index: f64,
    /// oSVD: no component whose singular value is at or below `floor` times the largest is
    /// added (default 0: only the numerically zero ones, below `1e-12` times the largest).
    pub floor: f64,
    /// Tikhonov: the regularisation parameter relative to the largest singular value.
    pub lambda: f64,
    /// How the convolution integral becomes a matrix (default [`Discretisation::Linear`]).
    pub discretisation: Discretisation,
}

/// How the convolution `C(t) = ∫_0^t Ca(s) R(t - s) ds` becomes the matrix `C = A R`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Discretisation {
    /// Both curves linear between samples, the integral exact for them (Sourbron et al., MRM
    /// 2004;52:209-213): `A_ij = dt / 6 (Ca_{i-j+1} + 4 Ca_{i-j} + Ca_{i-j-1})`, the first and
    /// last column of each row keeping their one interval. Far less biased than the rectangle
    /// rule where the residue falls within a few frames (CBF of an exponential residue with
    /// MTT 4 s at 1.5 s frames: 12 % low at a 10 % threshold, against 43 % low).
    #[default]
    Linear,
    /// The rectangle rule `A_ij = dt Ca_{i-j}` (Østergaard et al., MRM 1996), as the Python
    /// osipy and most SVD codes.
    Rectangle,
}

impl Discretisation {
    /// The name (`linear`, `rectangle`).
    pub fn name(self) -> &'static str {
        match self {
            Discretisation::Linear => "linear",
            Discretisation::Rectangle => "rectangle",
        }
    }
}

impl FromStr for Discretisation {
    type Err = Error;

    fn from_str(s: &str) -> Result<Discretisation> {
        match s.to_ascii_lowercase().as_str() {
            "linear" => Ok(Discretisation::Linear),
            "rectangle" => Ok(Discretisation::Rectangle),
            _ => Err(Error::Invalid {
                function: "dsc::Discretisation::from_str",
                arg: "discretisation",
                expected: "linear or rectangle".into(),
                found: format!("`{s}`"),
            }),
        }
    }
}

impl Deconvolution {
    /// `method` with the default threshold ([`SSVD_THRESHOLD`], [`CSVD_THRESHOLD`]), target
    /// oscillation index ([`OSVD_OSCILLATION_INDEX`]) and λ ([`TIKHONOV_LAMBDA`]).
    pub fn new(method: Method) -> Self {
        Deconvolution {
            method,
            threshold: if method == Method::Ssvd {
                SSVD_THRESHOLD
            } else {
                CSVD_THRESHOLD
            },
            oscillation_index: OSVD_OSCILLATION_INDEX,
            floor: 0.0,
            lambda: TIKHONOV_LAMBDA,
            discretisation: Discretisation::Linear,
        }
    }

    /// The discretisation of the convolution (default [`Discretisation::Linear`]).
    pub fn with_discretisation(mut self, d: Discretisation) -> Self {
        self.discretisation = d;
        self
    }

    /// The truncation threshold of sSVD and cSVD (relative, in (0, 1)).
    pub fn with_threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }

    /// The target oscillation index of oSVD (> 0).
    pub fn with_oscillation_index(mut self, oi: f64) -> Self {
        self.oscillation_index = oi;
        self
    }

    /// Tikhonov's λ relative to the largest singular value (> 0).
    pub fn with_lambda(mut self, lambda: f64) -> Self {
        self.lambda = lambda;
        self
    }

    /// The setting the method uses, by name and value, for provenance.
    pub fn setting(&self) -> (&'static str, f64) {
        match self.method {
            Method::Ssvd | Method::Csvd => ("threshold", self.threshold),
            Method::Osvd => ("oscillation_index", self.oscillation_index),
            Method::Tikhonov => ("lambda", self.lambda),
        }
    }

    fn check(&self) -> Result<()> {
        let (name, v) = self.setting();
        let ok = match self.method {
            Method::Ssvd | Method::Csvd => v > 0.0 && v < 1.0,
            _ => v > 0.0 && v.is_finite(),
        };
        let floor_ok = self.floor >= 0.0 && self.floor < 1.0;
        if !ok || !floor_ok {
            return Err(Error::Invalid {
                function: "dsc::Deconvolution",
                arg: if ok { "floor" } else { name },
                expected: if !ok && matches!(self.method, Method::Ssvd | Method::Csvd) {
                    "a relative threshold in (0, 1)".into()
                } else if !ok {
                    "a finite value > 0".into()
                } else {
                    "a relative floor in [0, 1)".into()
                },
                found: format!("{}", if ok { self.floor } else { v }),
            });
        }
        Ok(())
    }

    /// The factors of the AIF `aif` (concentration, one sample every `dt` seconds, as many
    /// samples as the tissue curves) for this deconvolution, built once and shared by every
    /// voxel.
    ///
    /// The convolution `c = A r` discretises `C(t) = ∫ Ca(s) F R(t - s) ds` as
    /// [`Discretisation`] says; cSVD and oSVD use the block-circulant matrix of the AIF
    /// zero-padded to twice its length (Wu 2003; periodic, so the linear rule has no end
    /// columns there), so the residue has twice the samples and a peak past the first half is
    /// a tissue curve ahead of the AIF.
    ///
    /// Errors: a non-finite sample or `dt`, fewer than 2 samples, an AIF whose matrix is zero
    /// or whose area is not positive.
    pub fn factorise(&self, aif: &[f64], dt: f64) -> Result<Factors> {
        self.check()?;
        let n = aif.len();
        if n < 2 {
            return Err(Error::Invalid {
                function: "dsc::Deconvolution::factorise",
                arg: "aif",
                expected: "at least 2 samples".into(),
                found: format!("{n}"),
            });
        }
        if let Some(k) = aif.iter().position(|v| !v.is_finite()) {
            return Err(Error::Invalid {
                function: "dsc::Deconvolution::factorise",
                arg: "aif",
                expected: "finite samples".into(),
                found: format!("{} at sample {k}", aif[k]),
            });
        }
        if !(dt > 0.0 && dt.is_finite()) {
            return Err(Error::Invalid {
                function: "dsc::Deconvolution::factorise",
                arg: "dt",
                expected: "a sampling interval > 0 s".into(),
                found: format!("{dt}"),
            });
        }
        let area = dt * (aif.iter().sum::<f64>() - 0.5 * (aif[0] + aif[n - 1]));
        if area <= 0.0 {
            return Err(Error::Invalid {
                function: "dsc::Deconvolution::factorise",
                arg: "aif",
                expected: "a bolus curve with a positive area".into(),
                found: if aif.iter().all(|&v| v == 0.0) {
                    "a curve of zeros".into()
                } else {
                    format!("area {area:.4e} mM s")
                },
            });
        }
        let circulant = self.method.is_circulant();
        let l = if circulant { 2 * n } else { n };
        // The AIF at sample k: zero outside 0..n (before the first sample, and the padding of
        // the circulant), periodic over l for the circulant.
        let ca = |k: isize| -> f64 {
            let k = if circulant { k.rem_euclid(l as isize) } else { k };
            if k >= 0 && (k as usize) < n {
                aif[k as usize]
            } else {
                0.0
            }
        };
        let linear = self.discretisation == Discretisation::Linear;
        // The matrix entry A[i][j] (see `Discretisation`); zero above the diagonal of the
        // causal matrix.
        let entry = |i: usize, j: usize| -> f64 {
            let d = i as isize - j as isize;
            if !circulant && d < 0 {
                return 0.0;
            }
            if !linear {
                return dt * ca(d);
            }
            if circulant {
                return dt / 6.0 * (ca(d + 1) + 4.0 * ca(d) + ca(d - 1));
            }
            let mut w = 0.0;
            if j > 0 {
                w += ca(d + 1) + 2.0 * ca(d);
            }
            if j < i {
                w += 2.0 * ca(d) + ca(d - 1);
            }
            dt / 6.0 * w
        };
        // Components largest first: singular values, left and right vectors (l x l, one row
        // per component).
        let (s, uf, vf) = if circulant {
            circulant_svd(&(0..l).map(|k| entry(k, 0)).collect::<Vec<_>>())
        } else {
            let a = DMatrix::from_fn(l, l, entry);
            let svd = SVD::try_new(a, true, true, f64::EPSILON, 100_000).ok_or_else(|| Error::Invalid {
                function: "dsc::Deconvolution::factorise",
                arg: "aif",
                expected: "a convolution matrix whose SVD converges".into(),
                found: "no convergence".into(),
            })?;
            let (Some(u), Some(vt)) = (svd.u.as_ref(), svd.v_t.as_ref()) else {
                return Err(Error::Invalid {
                    function: "dsc::Deconvolution::factorise",
                    arg: "aif",
                    expected: "singular vectors".into(),
                    found: "none computed".into(),
                });
            };
            let mut uf = vec![0.0; l * l];
            let mut vf = vec![0.0; l * l];
            for j in 0..l {
                for t in 0..l {
                    uf[j * l + t] = u[(t, j)];
                    vf[j * l + t] = vt[(j, t)];
                }
            }
            (svd.singular_values.iter().copied().collect::<Vec<f64>>(), uf, vf)
        };
        let s_max = s.first().copied().unwrap_or(0.0);
        if !(s_max > 0.0 && s_max.is_finite()) {
            return Err(Error::Invalid {
                function: "dsc::Deconvolution::factorise",
                arg: "aif",
                expected: "a non-singular convolution matrix".into(),
                found: format!("largest singular value {s_max}"),
            });
        }
        // The filter factor over s of every component.
        let tiny = 1e-12 * s_max;
        let gain: Vec<f64> = s
            .iter()
            .map(|&sj| match self.method {
                Method::Ssvd | Method::Csvd if sj > self.threshold * s_max => 1.0 / sj,
                Method::Tikhonov if sj > tiny => {
                    let lam = self.lambda * s_max;
                    sj / (sj * sj + lam * lam)
                }
                _ => 0.0,
            })
            .collect();
        let components = gain.iter().filter(|&&g| g != 0.0).count();
        let mut u_rows = vec![0.0; l * n];
        for j in 0..l {
            u_rows[j * n..(j + 1) * n].copy_from_slice(&uf[j * l..j * l + n]);
        }
        let v_rows = vf;
        let s_min = match self.method {
            Method::Osvd => (self.floor * s_max).max(tiny),
            _ => tiny,
        };
        Ok(Factors {
            deconvolution: *self,
            n,
            l,
            dt,
            aif_area: area,
            s,
            u: u_rows,
            v: v_rows,
            gain: if self.method == Method::Osvd {
                vec![0.0; l]
            } else {
                gain
            },
            s_min,
            components,
        })
    }
}

/// What the kernels take from one AIF ([`Deconvolution::factorise`]).
#[derive(Debug, Clone)]
pub struct Factors {
    /// The deconvolution they were built for.
    pub deconvolution: Deconvolution,
    /// Samples of the curves.
    pub n: usize,
    /// Samples of the residue (`n`, or `2 n` for the block-circulant matrix).
    pub l: usize,
    /// Sampling interval (s).
    pub dt: f64,
    /// The AIF's area (trapezoid rule, mM s).
    pub aif_area: f64,
    /// Singular values, largest first (`l`).
    pub s: Vec<f64>,
    /// Left singular vectors' first `n` entries, one row per component (`l x n`).
    pub u: Vec<f64>,
    /// Right singular vectors, one row per component (`l x l`).
    pub v: Vec<f64>,
    /// The filter of each component over its singular value (`l`): `1 / s` kept, 0 dropped
    /// (sSVD, cSVD), `s / (s² + λ²)` (Tikhonov); zeros for oSVD, which chooses per voxel.
    pub gain: Vec<f64>,
    /// oSVD: components with a singular value at or below this are never added.
    pub s_min: f64,
    /// sSVD, cSVD: the components kept (Tikhonov: those not numerically zero).
    pub components: usize,
}

/// The SVD of the circulant matrix with first column `c` (`C[i][j] = c[(i - j) mod L]`) from
/// its diagonalisation by the discrete Fourier transform: the eigenvalues are the DFT
/// `λ_m = sum_k c_k e^{-2πi mk/L}`, the singular values `|λ_m|`; frequency `m` (with `L - m`)
/// spans the right singular vectors `sqrt(2/L) cos(θt)`, `sqrt(2/L) sin(θt)` (`θ = 2πm/L`) and
/// the left ones the same shifted by the phase of `λ_m` (frequencies 0 and `L/2`: one real
/// vector each, the sign of `λ` on the left). Returns `(s, u, v)`, components largest first
/// (rows of `L` entries; the two of a frequency adjacent, cosine first). Exact and O(L²).
fn circulant_svd(c: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let l = c.len();
    let tau = 2.0 * std::f64::consts::PI;
    // (singular value, frequency, which: 0 cos / the real one, 1 sin, phase)
    let mut comps: Vec<(f64, usize, u8, f64)> = Vec::with_capacity(l);
    for m in 0..=l / 2 {
        let (mut re, mut im) = (0.0, 0.0);
        for (k, &ck) in c.iter().enumerate() {
            if ck != 0.0 {
                let ang = tau * ((m * k) % l) as f64 / l as f64;
                re += ck * ang.cos();
                im -= ck * ang.sin();
            }
        }
        let mag = re.hypot(im);
        let phase = im.atan2(re);
        if m == 0 || 2 * m == l {
            comps.push((mag, m, 0, if re < 0.0 { std::f64::consts::PI } else { 0.0 }));
        } else {
            comps.push((mag, m, 0, phase));
            comps.push((mag, m, 1, phase));
        }
    }
    // Largest first; stable, so a frequency's pair stays together, cosine first.
    comps.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut s = Vec::with_capacity(l);
    let mut u = vec![0.0; l * l];
    let mut v = vec![0.0; l * l];
    for (j, &(mag, m, which, phase)) in comps.iter().enumerate() {
        s.push(mag);
        let real = m == 0 || 2 * m == l;
        let norm = if real {
            (1.0 / l as f64).sqrt()
        } else {
            (2.0 / l as f64).sqrt()
        };
        for t in 0..l {
            let th = tau * ((m * t) % l) as f64 / l as f64;
            let (vv, uu) = if which == 0 {
                (th.cos(), (th + phase).cos())
            } else {
                (th.sin(), (th + phase).sin())
            };
            v[j * l + t] = norm * vv;
            u[j * l + t] = norm * uu;
        }
    }
    (s, u, v)
}
