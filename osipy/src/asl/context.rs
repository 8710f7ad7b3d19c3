//! The volumes of an ASL series (`aslcontext.tsv`) and the subtraction that turns them into
//! ΔM: pairwise, surround or mean, with an optional rejection of outlier pairs, then one ΔM per
//! distinct post-labelling delay.

use std::str::FromStr;

use crate::{Error, Result};

/// The type of one volume of an ASL series (the `volume_type` column of BIDS
/// `*_aslcontext.tsv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VolumeType {
    /// Control (no labelling).
    Control,
    /// Label (tagged).
    Label,
    /// An M0 scan inside the series.
    M0Scan,
    /// A difference volume already subtracted by the scanner.
    DeltaM,
    /// A CBF volume computed by the scanner (not used).
    Cbf,
    /// A volume without radio-frequency labelling or readout excitation (not used).
    NoRf,
}

impl VolumeType {
    /// The BIDS name (`control`, `label`, `m0scan`, `deltam`, `cbf`, `noRF`).
    pub fn name(self) -> &'static str {
        match self {
            VolumeType::Control => "control",
            VolumeType::Label => "label",
            VolumeType::M0Scan => "m0scan",
            VolumeType::DeltaM => "deltam",
            VolumeType::Cbf => "cbf",
            VolumeType::NoRf => "noRF",
        }
    }
}

impl FromStr for VolumeType {
    type Err = Error;

    fn from_str(s: &str) -> Result<VolumeType> {
        match s.trim() {
            "control" => Ok(VolumeType::Control),
            "label" => Ok(VolumeType::Label),
            "m0scan" => Ok(VolumeType::M0Scan),
            "deltam" => Ok(VolumeType::DeltaM),
            "cbf" => Ok(VolumeType::Cbf),
            "noRF" | "norf" => Ok(VolumeType::NoRf),
            _ => Err(Error::Invalid {
                function: "asl::VolumeType::from_str",
                arg: "volume_type",
                expected: "control, label, m0scan, deltam, cbf or noRF".into(),
                found: format!("`{s}`"),
            }),
        }
    }
}

/// How control and label volumes are subtracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Subtraction {
    /// Each label with the control next to it (before or after), one ΔM per pair.
    #[default]
    Pairwise,
    /// Each label with the mean of the controls on both sides (one where only one exists).
    Surround,
    /// Per PLD, the mean of the controls minus the mean of the labels.
    Mean,
}

impl FromStr for Subtraction {
    type Err = Error;

    fn from_str(s: &str) -> Result<Subtraction> {
        match s {
            "pairwise" => Ok(Subtraction::Pairwise),
            "surround" => Ok(Subtraction::Surround),
            "mean" => Ok(Subtraction::Mean),
            _ => Err(Error::Invalid {
                function: "asl::Subtraction::from_str",
                arg: "subtraction",
                expected: "pairwise, surround or mean".into(),
                found: format!("`{s}`"),
            }),
        }
    }
}

/// The volume types of a series, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// One type per volume.
    pub types: Vec<VolumeType>,
}

/// The weights that make ΔM (and M0) from the volumes of one voxel: the rows of
/// [`combine`](fn@super::kernels::combine).
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// One row of `inputs` weights per difference (before averaging by PLD).
    pub differences: Vec<Vec<f64>>,
    /// The PLD of each difference (s).
    pub difference_plds: Vec<f64>,
    /// The distinct PLDs, in order of first appearance (s): one ΔM each.
    pub plds: Vec<f64>,
    /// The mean of the m0scan volumes, if any.
    pub m0: Option<Vec<f64>>,
    /// Volumes in the series.
    pub inputs: usize,
}

impl Context {
    /// Every volume a difference (`deltam`), as for a ΔM series given without context.
    pub fn deltam(volumes: usize) -> Context {
        Context {
            types: vec![VolumeType::DeltaM; volumes],
        }
    }

    /// Parses the text of an `aslcontext.tsv` (a header with a `volume_type` column, then one
    /// row per volume); `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Context> {
        let bad = |expected: String, found: String| {
            Error::File(format!(
                "{file}: column `volume_type`: expected {expected}, found {found}"
            ))
        };
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines
            .next()
            .ok_or_else(|| bad("a header line".into(), "an empty file".into()))?;
        let col = header
            .split('\t')
            .position(|h| h.trim() == "volume_type")
            .ok_or_else(|| {
                bad(
                    "a `volume_type` column in the header".into(),
                    format!("`{header}`"),
                )
            })?;
        let mut types = Vec::new();
        for (i, line) in lines.enumerate() {
            let cell = line.split('\t').nth(col).unwrap_or("").trim();
            let t = cell.parse::<VolumeType>().map_err(|_| {
                bad(
                    "control, label, m0scan, deltam, cbf or noRF".into(),
                    format!("`{cell}` in row {}", i + 1),
                )
            })?;
            types.push(t);
        }
        if types.is_empty() {
            return Err(bad("one row per volume".into(), "no rows".into()));
        }
        Ok(Context { types })
    }

    /// Checks the context against a series of `volumes` volumes (`file` names the context).
    pub fn check(&self, volumes: usize, file: &str) -> Result<()> {
        if self.types.len() != volumes {
            return Err(Error::File(format!(
                "{file}: expected one row per volume of the series ({volumes}), found {} rows",
                self.types.len()
            )));
        }
        Ok(())
    }

    /// The subtraction weights for `method`, with `plds` one value per volume (s). A label
    /// without a control next to it (or, for `Mean`, no control at all) and a series without
    /// labels or deltam volumes are errors.
    pub fn weights(&self, plds: &[f64], method: Subtraction) -> Result<Weights> {
        let n = self.types.len();
        if plds.len() != n {
            return Err(Error::Invalid {
                function: "asl::Context::weights",
                arg: "PostLabelingDelay",
                expected: format!("one value, or one per volume ({n})"),
                found: format!("{} values", plds.len()),
            });
        }
        let is = |k: usize, t: VolumeType| self.types.get(k) == Some(&t);
        let mut diffs: Vec<(Vec<f64>, f64)> = Vec::new();
        let unit = |pairs: &[(usize, f64)]| {
            let mut w = vec![0.0; n];
            for &(k, v) in pairs {
                w[k] += v;
            }
            w
        };
        for (k, &p) in plds.iter().enumerate() {
            if is(k, VolumeType::DeltaM) {
                diffs.push((unit(&[(k, 1.0)]), p));
            }
        }
        let labels: Vec<usize> = (0..n).filter(|&k| is(k, VolumeType::Label)).collect();
        let no_control = |k: usize| Error::Invalid {
            function: "asl::Context::weights",
            arg: "aslcontext",
            expected: format!("a control volume next to the label volume {k}"),
            found: "none".into(),
        };
        match method {
            Subtraction::Pairwise => {
                let mut used = vec![false; n];
                for &k in &labels {
                    let c = if k > 0 && is(k - 1, VolumeType::Control) && !used[k - 1] {
                        k - 1
                    } else if is(k + 1, VolumeType::Control) && !used[k + 1] {
                        k + 1
                    } else {
                        return Err(no_control(k));
                    };
                    used[c] = true;
                    diffs.push((unit(&[(c, 1.0), (k, -1.0)]), plds[k]));
                }
            }
            Subtraction::Surround => {
                for &k in &labels {
                    let mut c = Vec::new();
                    if k > 0 && is(k - 1, VolumeType::Control) {
                        c.push(k - 1);
                    }
                    if is(k + 1, VolumeType::Control) {
                        c.push(k + 1);
                    }
                    if c.is_empty() {
                        return Err(no_control(k));
                    }
                    let mut pairs: Vec<(usize, f64)> = c.iter().map(|&j| (j, 1.0 / c.len() as f64)).collect();
                    pairs.push((k, -1.0));
                    diffs.push((unit(&pairs), plds[k]));
                }
            }
            Subtraction::Mean => {
                let mut seen: Vec<f64> = Vec::new();
                for &k in &labels {
                    if !seen.contains(&plds[k]) {
                        seen.push(plds[k]);
                    }
                }
                let controls: Vec<usize> = (0..n).filter(|&k| is(k, VolumeType::Control)).collect();
                for p in seen {
                    let l: Vec<usize> = labels.iter().copied().filter(|&k| plds[k] == p).collect();
                    let mut c: Vec<usize> = controls.iter().copied().filter(|&k| plds[k] == p).collect();
                    if c.is_empty() {
                        c = controls.clone();
                    }
                    if c.is_empty() {
                        return Err(no_control(l[0]));
                    }
                    let mut pairs: Vec<(usize, f64)> = c.iter().map(|&j| (j, 1.0 / c.len() as f64)).collect();
                    pairs.extend(l.iter().map(|&j| (j, -1.0 / l.len() as f64)));
                    diffs.push((unit(&pairs), p));
                }
            }
        }
        if diffs.is_empty() {
            return Err(Error::Invalid {
                function: "asl::Context::weights",
                arg: "aslcontext",
                expected: "label volumes (with controls) or deltam volumes".into(),
                found: format!("{:?}", self.types.iter().map(|t| t.name()).collect::<Vec<_>>()),
            });
        }
        let mut plds_out: Vec<f64> = Vec::new();
        for d in &diffs {
            if !plds_out.contains(&d.1) {
                plds_out.push(d.1);
            }
        }
        let m0s: Vec<usize> = (0..n).filter(|&k| is(k, VolumeType::M0Scan)).collect();
        let m0 = (!m0s.is_empty()).then(|| {
            unit(
                &m0s.iter()
                    .map(|&k| (k, 1.0 / m0s.len() as f64))
                    .collect::<Vec<_>>(),
            )
        });
        Ok(Weights {
            differences: diffs.iter().map(|d| d.0.clone()).collect(),
            difference_plds: diffs.iter().map(|d| d.1).collect(),
            plds: plds_out,
            m0,
            inputs: n,
        })
    }
}

impl Weights {
    /// The rows of ΔM per distinct PLD (the mean of the kept differences of that PLD; all of
    /// them where every one of a PLD was rejected; `keep` of another length than the
    /// differences is ignored), then the M0 row if any: the weights of
    /// [`combine`](fn@super::kernels::combine), flattened.
    pub fn rows(&self, keep: Option<&[bool]>) -> Vec<f64> {
        let keep = keep.filter(|k| k.len() == self.differences.len());
        let mut out = Vec::new();
        for &p in &self.plds {
            let idx: Vec<usize> = (0..self.differences.len())
                .filter(|&d| self.difference_plds[d] == p)
                .collect();
            let kept: Vec<usize> = idx
                .iter()
                .copied()
                .filter(|&d| keep.is_none_or(|k| k[d]))
                .collect();
            let use_ = if kept.is_empty() { idx } else { kept };
            let mut row = vec![0.0; self.inputs];
            for &d in &use_ {
                for (r, w) in row.iter_mut().zip(&self.differences[d]) {
                    *r += w / use_.len() as f64;
                }
            }
            out.extend(row);
        }
        if let Some(m0) = &self.m0 {
            out.extend(m0.iter().copied());
        }
        out
    }
}

/// The robust rule for outlier pairs: within each PLD, a difference whose mean over the brain
/// (`means`, one per difference) lies more than `k` scaled median absolute deviations
/// (`1.4826 MAD`, a standard deviation for normal data) from the median of that PLD's
/// differences is rejected. PLDs with fewer than 3 differences keep all. Returns one keep flag
/// per difference.
pub fn keep_pairs(means: &[f64], plds: &[f64], k: f64) -> Vec<bool> {
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let m = v.len();
        if m % 2 == 1 {
            v[m / 2]
        } else {
            0.5 * (v[m / 2 - 1] + v[m / 2])
        }
    };
    let mut keep = vec![true; means.len()];
    for (i, &p) in plds.iter().enumerate() {
        let idx: Vec<usize> = (0..means.len()).filter(|&j| plds[j] == p).collect();
        if idx.len() < 3 || idx[0] != i {
            continue;
        }
        let mut v: Vec<f64> = idx.iter().map(|&j| means[j]).collect();
        let med = median(&mut v);
        let mut dev: Vec<f64> = idx.iter().map(|&j| (means[j] - med).abs()).collect();
        let mad = 1.4826 * median(&mut dev);
        for &j in &idx {
            if !means[j].is_finite() || (means[j] - med).abs() > k * mad {
                keep[j] = false;
            }
        }
    }
    keep
}
