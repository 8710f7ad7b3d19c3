//! The synthetic DCE phantom of `osipy demo`: extended Tofts tissue with known parameter maps,
//! the Parker AIF, Gaussian noise from a seeded generator.

use ndarray::{Array1, Array2, Array3, Array4, ArrayD, IxDyn};

use osipy::io::nifti::{AffineSource, ByteOrder, Datatype, Header, Nifti, Version};
use osipy::{aif, dce, Error, Result};

/// Region labels of the phantom.
pub const REGIONS: [&str; 5] = [
    "background",
    "normal tissue",
    "tumour rim",
    "tumour core",
    "vessel",
];

/// Settings of the phantom.
#[derive(Debug, Clone, PartialEq)]
pub struct PhantomSettings {
    /// Grid `[x, y, z]`.
    pub dims: [usize; 3],
    /// Number of frames.
    pub frames: usize,
    /// Frame spacing (s).
    pub dt_s: f64,
    /// Voxel size (mm).
    pub voxel_mm: [f64; 3],
    /// Arrival time of the bolus in the AIF (s).
    pub aif_delay_s: f64,
    /// Haematocrit converting the Parker blood curve to plasma.
    pub hct: f64,
    /// Standard deviation of the Gaussian noise added to every sample (mM).
    pub noise_mm: f64,
    /// Seed of the noise generator.
    pub seed: u64,
}

/// A phantom: the time axis, the AIF, the truth and the noisy 4-D concentration.
#[derive(Debug, Clone)]
pub struct Phantom {
    /// Frame times (s).
    pub t: Vec<f64>,
    /// Parker AIF, blood (mM).
    pub cb: Vec<f64>,
    /// Plasma AIF (mM), `cb / (1 - hct)`.
    pub cp: Vec<f64>,
    /// Region label per voxel (index into [`REGIONS`]).
    pub region: Array3<u8>,
    /// Body mask.
    pub mask: Array3<bool>,
    /// True Ktrans (/min; NaN outside the mask).
    pub ktrans: Array3<f64>,
    /// True ve (NaN outside the mask).
    pub ve: Array3<f64>,
    /// True vp (NaN outside the mask).
    pub vp: Array3<f64>,
    /// Noise-free tissue concentration (mM), `[x, y, z, t]`.
    pub clean: Array4<f64>,
    /// Noisy tissue concentration (mM), `[x, y, z, t]`.
    pub conc: Array4<f64>,
}

/// A seeded Gaussian generator (SplitMix64 with the Box-Muller transform): the same seed gives
/// the same numbers on every machine.
pub struct Gaussian {
    state: u64,
    spare: Option<f64>,
}

impl Gaussian {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Gaussian {
        Gaussian {
            state: seed,
            spare: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `(0, 1]`.
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal number.
    pub fn sample(&mut self) -> f64 {
        if let Some(s) = self.spare.take() {
            return s;
        }
        let (u1, u2) = (self.uniform(), self.uniform());
        let r = (-2.0 * u1.ln()).sqrt();
        let a = 2.0 * std::f64::consts::PI * u2;
        self.spare = Some(r * a.sin());
        r * a.cos()
    }
}

/// The region and the true `(ktrans /min, ve, vp)` of the voxel at normalised coordinates
/// `(u, v, w)` in `[0, 1]^3`.
fn tissue(u: f64, v: f64, w: f64) -> (u8, [f64; 3]) {
    let body = ((u - 0.5) / 0.45).powi(2) + ((v - 0.5) / 0.38).powi(2);
    if body > 1.0 {
        return (0, [f64::NAN; 3]);
    }
    let vessel = ((u - 0.3) / 0.06).powi(2) + ((v - 0.55) / 0.06).powi(2);
    if vessel <= 1.0 {
        return (4, [0.1, 0.1, 0.5]);
    }
    let r = (((u - 0.62) / 0.18).powi(2) + ((v - 0.5) / 0.18).powi(2) + ((w - 0.5) / 0.4).powi(2)).sqrt();
    if r <= 0.5 {
        (3, [0.06, 0.55, 0.01])
    } else if r <= 1.0 {
        (2, [0.35, 0.35, 0.08])
    } else {
        // Smooth normal tissue: gradients along each axis.
        (1, [0.05 + 0.1 * u, 0.15 + 0.15 * v, 0.02 + 0.02 * w])
    }
}

/// Builds the phantom.
///
/// Errors: a grid or frame count of 0, a non-positive or non-finite frame spacing, a negative
/// or non-finite noise level, a haematocrit outside `[0, 1)`.
pub fn build(s: &PhantomSettings) -> Result<Phantom> {
    let invalid = |arg: &'static str, expected: &str, found: String| Error::Invalid {
        function: "cli::phantom::build",
        arg,
        expected: expected.into(),
        found,
    };
    if s.dims.contains(&0) || s.frames < 2 {
        return Err(invalid(
            "dims/frames",
            "a non-empty grid and at least 2 frames",
            format!("{:?} x {}", s.dims, s.frames),
        ));
    }
    if !(s.dt_s.is_finite() && s.dt_s > 0.0) {
        return Err(invalid(
            "dt_s",
            "a positive frame spacing (s)",
            s.dt_s.to_string(),
        ));
    }
    if !(s.noise_mm.is_finite() && s.noise_mm >= 0.0) {
        return Err(invalid(
            "noise_mm",
            "a finite noise level >= 0 (mM)",
            s.noise_mm.to_string(),
        ));
    }
    let t: Vec<f64> = (0..s.frames).map(|i| s.dt_s * i as f64).collect();
    let cb = aif::parker(&t, s.aif_delay_s)?;
    let cp = dce::plasma_from_blood(&cb, s.hct)?;
    let [nx, ny, nz] = s.dims;
    let mut region = Array3::<u8>::zeros((nx, ny, nz));
    let mut maps: [Array3<f64>; 3] = std::array::from_fn(|_| Array3::from_elem((nx, ny, nz), f64::NAN));
    for ((x, y, z), r) in region.indexed_iter_mut() {
        let (u, v, w) = (
            (x as f64 + 0.5) / nx as f64,
            (y as f64 + 0.5) / ny as f64,
            (z as f64 + 0.5) / nz as f64,
        );
        let (label, p) = tissue(u, v, w);
        *r = label;
        for k in 0..3 {
            maps[k][[x, y, z]] = p[k];
        }
    }
    let mask = region.mapv(|r| r != 0);
    let inside: Vec<[usize; 3]> = mask
        .indexed_iter()
        .filter(|(_, m)| **m)
        .map(|((x, y, z), _)| [x, y, z])
        .collect();
    let pick = |m: &Array3<f64>| -> Array1<f64> { inside.iter().map(|i| m[*i]).collect() };
    let (k, e, p) = (pick(&maps[0]), pick(&maps[1]), pick(&maps[2]));
    let mut ct = Array2::<f64>::zeros((inside.len(), s.frames));
    if !inside.is_empty() {
        dce::extended_tofts::launch(&t, &cp, &vec![0.0; cp.len()], &k, &e, &p, &mut ct)?;
    }
    let mut clean = Array4::<f64>::zeros((nx, ny, nz, s.frames));
    for (row, i) in ct.rows().into_iter().zip(&inside) {
        clean.slice_mut(ndarray::s![i[0], i[1], i[2], ..]).assign(&row);
    }
    let mut rng = Gaussian::new(s.seed);
    let conc = if s.noise_mm > 0.0 {
        clean.mapv(|c| c + s.noise_mm * rng.sample())
    } else {
        clean.clone()
    };
    let [ktrans, ve, vp] = maps;
    Ok(Phantom {
        t,
        cb,
        cp,
        region,
        mask,
        ktrans,
        ve,
        vp,
        clean,
        conc,
    })
}

/// A header-only image giving the phantom's geometry to the NIfTI writer: voxel size
/// `voxel_mm` (mm), frame spacing `dt_s` (s), the grid centred on the scanner origin, with the
/// same qform and sform (scanner coordinates, RAS).
pub fn geometry(dims: [usize; 3], frames: usize, voxel_mm: [f64; 3], dt_s: f64) -> Nifti {
    let offset: Vec<f64> = (0..3)
        .map(|i| -(dims[i] as f64 - 1.0) / 2.0 * voxel_mm[i])
        .collect();
    let mut srow = [[0.0; 4]; 3];
    for i in 0..3 {
        srow[i][i] = voxel_mm[i];
        srow[i][3] = offset[i];
    }
    let affine = [srow[0], srow[1], srow[2], [0.0, 0.0, 0.0, 1.0]];
    let header = Header {
        version: Version::Nifti1,
        byte_order: ByteOrder::Little,
        dim: vec![dims[0], dims[1], dims[2], frames],
        datatype: Datatype::F32,
        bitpix: 32,
        pixdim: [1.0, voxel_mm[0], voxel_mm[1], voxel_mm[2], dt_s, 1.0, 1.0, 1.0],
        vox_offset: 352,
        scl_slope: 1.0,
        scl_inter: 0.0,
        // NIFTI_UNITS_MM (2) | NIFTI_UNITS_SEC (8).
        xyzt_units: 2 | 8,
        dim_info: 0,
        intent_code: 0,
        intent_p: [0.0; 3],
        intent_name: String::new(),
        slice_code: 0,
        slice_start: 0,
        slice_end: 0,
        slice_duration: 0.0,
        toffset: 0.0,
        cal_min: 0.0,
        cal_max: 0.0,
        descrip: "osipy demo DCE phantom (mM)".into(),
        aux_file: String::new(),
        qform_code: 1,
        sform_code: 1,
        quatern: [0.0; 3],
        qoffset: [offset[0], offset[1], offset[2]],
        srow,
        raw: Vec::new(),
    };
    Nifti {
        path: "phantom geometry".into(),
        header,
        data: ArrayD::zeros(IxDyn(&[1])),
        affine,
        affine_source: AffineSource::Sform,
        notes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_is_seeded_and_standard() {
        let mut a = Gaussian::new(7);
        let mut b = Gaussian::new(7);
        let xs: Vec<f64> = (0..20000).map(|_| a.sample()).collect();
        assert!(xs
            .iter()
            .zip((0..20000).map(|_| b.sample()))
            .all(|(x, y)| *x == y));
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "mean {mean} var {var}"
        );
    }

    #[test]
    fn phantom_has_every_region_and_noise_free_curves_without_noise() {
        let s = PhantomSettings {
            dims: [16, 16, 4],
            frames: 20,
            dt_s: 4.0,
            voxel_mm: [1.0; 3],
            aif_delay_s: 10.0,
            hct: 0.42,
            noise_mm: 0.0,
            seed: 1,
        };
        let p = build(&s).unwrap_or_else(|e| panic!("{e}"));
        for r in 0..REGIONS.len() as u8 {
            assert!(p.region.iter().any(|x| *x == r), "region {r} missing");
        }
        assert_eq!(p.conc, p.clean);
        assert!(p.conc.iter().all(|c| c.is_finite()));
        let bad = build(&PhantomSettings { dt_s: 0.0, ..s });
        assert!(bad.unwrap_err().to_string().contains("dt_s"));
    }
}
