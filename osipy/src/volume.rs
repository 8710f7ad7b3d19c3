//! What every modality's volume pipeline shares: the series it takes ([`Series`]), the voxels
//! it fits ([`Voxels`]: the mask, gathered chunk by chunk), how it runs ([`Run`]: device,
//! threads, chunk size, progress) and what it returns ([`Maps`]: named maps with units).
//!
//! A pipeline (for example [`dce::VolumeFit`](crate::dce::VolumeFit) or
//! [`t1::VolumeFit`](crate::t1::VolumeFit)) is the per-voxel part of a modality: every voxel is
//! computed alone, so its maps are the same bit for bit whatever the chunk size, the thread
//! count or the mask of the other voxels. Steps that look across voxels (automatic AIF
//! detection, a mean curve over a region) are separate calls whose results the pipeline takes
//! as inputs.

use std::fmt;
use std::ops::Range;

use ndarray::{ArrayBase, ArrayD, ArrayViewD, Axis, Data, Dimension, IxDyn};
use osipy_kernels::{Device, XpArray};

use crate::{Error, Result};

/// Chunks a fit aims at (so a progress report moves in steps of about 1.5 %).
pub const TARGET_CHUNKS: usize = 64;
/// Fewest voxels in a chunk on the CPU and the emulator (a launch has a fixed cost).
pub const MIN_CHUNK_CPU: usize = 4096;
/// Fewest voxels in a chunk on CUDA (enough threads to fill a large GPU).
pub const MIN_CHUNK_CUDA: usize = 1 << 18;

/// Voxels per chunk of `total` voxels on `device` when the caller sets none: about
/// [`TARGET_CHUNKS`] chunks, at least [`MIN_CHUNK_CPU`] voxels ([`MIN_CHUNK_CUDA`] on CUDA), so
/// a small input is one chunk. Always at least 1.
pub fn default_chunk(total: usize, device: Device) -> usize {
    let min = match device {
        Device::Cuda(_) => MIN_CHUNK_CUDA,
        _ => MIN_CHUNK_CPU,
    };
    total.div_ceil(TARGET_CHUNKS).max(min).min(total).max(1)
}

/// The ranges `0..total` split into consecutive chunks of `len` (the last may be shorter;
/// none when `total` is 0).
pub fn chunks(total: usize, len: usize) -> impl Iterator<Item = Range<usize>> {
    let len = len.max(1);
    (0..total.div_ceil(len)).map(move |c| c * len..((c + 1) * len).min(total))
}

/// A series of one row per voxel: an array whose last axis is the row (time, flip angle, b
/// value) and whose leading axes are the voxels (`x, y, z` or any number, `items` alike), in
/// host memory or on a device.
#[derive(Debug, Clone)]
pub enum Series<'a> {
    /// In host memory (any layout).
    Host(ArrayViewD<'a, f64>),
    /// On a device (the emulator or CUDA): fitted there in one launch, without chunks.
    Device(&'a XpArray<f64>),
}

impl<'a, S: Data<Elem = f64>, D: Dimension> From<&'a ArrayBase<S, D>> for Series<'a> {
    fn from(a: &'a ArrayBase<S, D>) -> Self {
        Series::Host(a.view().into_dyn())
    }
}

impl<'a> From<&'a XpArray<f64>> for Series<'a> {
    fn from(a: &'a XpArray<f64>) -> Self {
        match a.as_host() {
            Some(h) => Series::Host(h.view()),
            None => Series::Device(a),
        }
    }
}

impl Series<'_> {
    /// The shape (voxel axes, then the row).
    pub fn shape(&self) -> &[usize] {
        match self {
            Series::Host(a) => a.shape(),
            Series::Device(a) => a.shape(),
        }
    }

    /// The voxel axes and the row length, or [`Error::Invalid`] naming `function` and `arg`
    /// when the series has no row axis or an empty row.
    pub fn split_shape(&self, function: &'static str, arg: &'static str) -> Result<(Vec<usize>, usize)> {
        let shape = self.shape();
        match shape.split_last() {
            Some((&n, items)) if n > 0 => Ok((items.to_vec(), n)),
            _ => Err(Error::Invalid {
                function,
                arg,
                expected: "an array of voxels x samples (at least one sample)".into(),
                found: format!("shape {shape:?}"),
            }),
        }
    }
}

/// A per-voxel callback of progress: `(voxels done, voxels in all)`, called once before the
/// first chunk (with 0 done) and after every chunk.
pub type ProgressFn<'a> = Box<dyn FnMut(usize, usize) + Send + 'a>;

/// The progress callback of a pipeline, if any.
#[derive(Default)]
pub struct Progress<'a>(pub Option<ProgressFn<'a>>);

impl Progress<'_> {
    /// Tells the callback.
    pub fn report(&mut self, done: usize, total: usize) {
        if let Some(p) = &mut self.0 {
            p(done, total);
        }
    }
}

impl fmt::Debug for Progress<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(callback)"
        } else {
            "Progress(none)"
        })
    }
}

/// How a pipeline runs: the device, the worker threads, the chunk size and the progress
/// callback. None of them changes the maps.
#[derive(Debug)]
pub struct Run<'a> {
    /// Where the chunks are computed (host series: gathered on the host, copied there).
    pub device: Device,
    /// Worker threads of the CPU backend (`None`: rayon's current pool).
    pub threads: Option<usize>,
    /// Voxels per launch (`None`: [`default_chunk`]).
    pub chunk: Option<usize>,
    /// Told of each chunk done.
    pub progress: Progress<'a>,
}

impl Default for Run<'_> {
    fn default() -> Self {
        Run {
            device: Device::Cpu,
            threads: None,
            chunk: None,
            progress: Progress::default(),
        }
    }
}

/// The setters every pipeline builder shares, written once: `mask`, `device`, `threads`,
/// `chunk`, `progress`, for a builder with the fields `setup.mask: Option<ArrayViewD<'a, bool>>`
/// and `run: Run<'a>` (invoke as `run_setters!('a);` inside its `impl<'a>`).
macro_rules! run_setters {
    ($lt:lifetime) => {
        /// Computes only the voxels where `mask` (the series' voxel shape) is true.
        pub fn mask<S: ndarray::Data<Elem = bool>, D: ndarray::Dimension>(
            mut self,
            mask: &$lt ndarray::ArrayBase<S, D>,
        ) -> Self {
            self.setup.mask = Some(mask.view().into_dyn());
            self
        }

        /// The device (default the CPU). A host series is gathered chunk by chunk on the host
        /// and copied there.
        pub fn device(mut self, device: osipy_kernels::Device) -> Self {
            self.run.device = device;
            self
        }

        /// Worker threads of the CPU backend (default: rayon's current pool).
        pub fn threads(mut self, threads: usize) -> Self {
            self.run.threads = Some(threads);
            self
        }

        /// Voxels per launch (default [`default_chunk`](crate::volume::default_chunk)).
        pub fn chunk(mut self, voxels: usize) -> Self {
            self.run.chunk = Some(voxels.max(1));
            self
        }

        /// Called with `(voxels done, voxels in all)` before the first chunk and after each.
        pub fn progress(mut self, f: impl FnMut(usize, usize) + Send + $lt) -> Self {
            self.run.progress = crate::volume::Progress(Some(Box::new(f)));
            self
        }
    };
}
pub(crate) use run_setters;

impl<'a> Run<'a> {
    /// Runs `f(device, chunk, progress)` on a pool of [`Run::threads`] threads (see
    /// [`with_threads`]).
    pub fn run<T: Send>(
        &mut self,
        function: &'static str,
        f: impl FnOnce(Device, Option<usize>, &mut Progress<'a>) -> Result<T> + Send,
    ) -> Result<T> {
        let Run {
            device,
            threads,
            chunk,
            progress,
        } = self;
        let (device, chunk) = (*device, *chunk);
        with_threads(*threads, function, move || f(device, chunk, progress))
    }
}

/// Runs `f` on a pool of `threads` threads (`None`: the current pool). A thread count of 0 is
/// [`Error::Invalid`] naming `function`.
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    function: &'static str,
    f: impl FnOnce() -> Result<T> + Send,
) -> Result<T> {
    match threads {
        None => f(),
        Some(0) => Err(Error::Invalid {
            function,
            arg: "threads",
            expected: "at least one thread".into(),
            found: "0".into(),
        }),
        Some(n) => {
            // The CPU lowering chosen on this thread (`with_cpu_lanes`) holds in the pool too.
            let lanes = osipy_kernels::cpu_lanes();
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| Error::Invalid {
                    function,
                    arg: "threads",
                    expected: format!("a pool of {n} threads"),
                    found: e.to_string(),
                })?
                .install(|| osipy_kernels::with_cpu_lanes(lanes, f))
        }
    }
}

/// The voxels of a series that a pipeline computes: the mask (or every voxel), as flat
/// indices in C order of the voxel axes.
#[derive(Debug, Clone, PartialEq)]
pub struct Voxels {
    /// The voxel axes.
    pub shape: Vec<usize>,
    /// Flat (C-order) indices of the selected voxels, increasing.
    pub selected: Vec<usize>,
}

impl Voxels {
    /// The voxels of `shape` where `mask` (of that shape, any layout) is true, or every voxel
    /// without a mask. A mask of another shape is [`Error::Invalid`] naming `function` and
    /// `mask`.
    pub fn new(function: &'static str, shape: &[usize], mask: Option<&ArrayViewD<'_, bool>>) -> Result<Self> {
        let n: usize = shape.iter().product();
        let selected = match mask {
            None => (0..n).collect(),
            Some(m) => {
                if m.shape() != shape {
                    return Err(Error::Invalid {
                        function,
                        arg: "mask",
                        expected: format!("the series' voxel shape {shape:?}"),
                        found: format!("shape {:?}", m.shape()),
                    });
                }
                m.iter()
                    .enumerate()
                    .filter(|(_, v)| **v)
                    .map(|(i, _)| i)
                    .collect()
            }
        };
        Ok(Voxels {
            shape: shape.to_vec(),
            selected,
        })
    }

    /// [`Voxels::new`], refusing a mask that selects no voxel ([`Error::Invalid`] naming
    /// `function` and `mask`).
    pub fn new_nonempty(
        function: &'static str,
        shape: &[usize],
        mask: Option<&ArrayViewD<'_, bool>>,
    ) -> Result<Self> {
        let v = Voxels::new(function, shape, mask)?;
        if v.selected.is_empty() {
            return Err(Error::Invalid {
                function,
                arg: "mask",
                expected: "a mask that selects at least one voxel".into(),
                found: "none selected".into(),
            });
        }
        Ok(v)
    }

    /// Voxels in all (selected or not).
    pub fn len_all(&self) -> usize {
        self.shape.iter().product()
    }

    /// The mask as a boolean array of the voxel shape.
    pub fn mask(&self) -> ArrayD<bool> {
        let mut m = ArrayD::from_elem(IxDyn(&self.shape), false);
        if let Some(s) = m.as_slice_mut() {
            for &i in &self.selected {
                s[i] = true;
            }
        }
        m
    }

    /// The rows of the selected voxels `range` (indices into [`Voxels::selected`]) of
    /// `series` (voxels x `n`, flattened), as a new chunk x `n` array.
    pub fn gather(&self, rows: &ArrayViewD<'_, f64>, n: usize, range: Range<usize>) -> Result<ArrayD<f64>> {
        let ids = &self.selected[range];
        let flat = rows
            .view()
            .into_shape_with_order(IxDyn(&[self.len_all(), n]))
            .ok();
        let mut block = Vec::with_capacity(ids.len() * n);
        match flat {
            Some(flat) => {
                for &i in ids {
                    block.extend(flat.index_axis(Axis(0), i).iter().copied());
                }
            }
            None => {
                let owned = rows.as_standard_layout();
                let flat = owned
                    .view()
                    .into_shape_with_order(IxDyn(&[self.len_all(), n]))
                    .map_err(|e| Error::Invalid {
                        function: "Voxels::gather",
                        arg: "rows",
                        expected: format!("{} voxels x {n}", self.len_all()),
                        found: e.to_string(),
                    })?;
                for &i in ids {
                    block.extend(flat.index_axis(Axis(0), i).iter().copied());
                }
            }
        }
        ArrayD::from_shape_vec(IxDyn(&[ids.len(), n]), block).map_err(|e| Error::Invalid {
            function: "Voxels::gather",
            arg: "rows",
            expected: format!("{} x {n} values", ids.len()),
            found: e.to_string(),
        })
    }
}

/// What a map holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapKind {
    /// A fitted or computed parameter of the model.
    Parameter,
    /// How well the voxel was fitted (r2, chi2, iterations, status, at-bound flags).
    Quality,
}

/// One map of a pipeline: a value per voxel, of the series' voxel shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    /// Its name (`ktrans`, `t1`, `status`), also the output file's stem.
    pub name: &'static str,
    /// Its unit (`/min`, `s`, `mM^2`; empty for a fraction or a count; `code` for a status).
    pub unit: &'static str,
    /// Parameter or quality.
    pub kind: MapKind,
    /// The values; voxels outside the mask hold NaN (a status map: the masked code; counts
    /// and flags: 0).
    pub data: ArrayD<f64>,
}

/// The maps of a pipeline, in a fixed order (parameters first).
#[derive(Debug, Clone, PartialEq)]
pub struct Maps {
    /// The voxel shape of every map.
    pub shape: Vec<usize>,
    /// The maps.
    pub maps: Vec<Map>,
    /// The voxels computed (the mask).
    pub mask: ArrayD<bool>,
}

impl Maps {
    /// The map called `name`.
    pub fn get(&self, name: &str) -> Option<&ArrayD<f64>> {
        self.maps.iter().find(|m| m.name == name).map(|m| &m.data)
    }

    /// The map called `name` with its unit and kind.
    pub fn map(&self, name: &str) -> Option<&Map> {
        self.maps.iter().find(|m| m.name == name)
    }

    /// The parameter maps, in order.
    pub fn parameters(&self) -> impl Iterator<Item = &Map> {
        self.maps.iter().filter(|m| m.kind == MapKind::Parameter)
    }

    /// The quality maps, in order.
    pub fn quality(&self) -> impl Iterator<Item = &Map> {
        self.maps.iter().filter(|m| m.kind == MapKind::Quality)
    }

    /// The names of every map, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.maps.iter().map(|m| m.name).collect()
    }

    /// The median of map `name` over the mask, finite values only (NaN when there are none or
    /// no such map).
    pub fn median(&self, name: &str) -> f64 {
        let Some(m) = self.get(name) else {
            return f64::NAN;
        };
        let mut v: Vec<f64> = m
            .iter()
            .zip(self.mask.iter())
            .filter(|(x, k)| **k && x.is_finite())
            .map(|(x, _)| *x)
            .collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    }
}

/// Maps being filled chunk by chunk: one flat column per map, the fill value outside the mask.
#[derive(Debug)]
pub struct MapsBuilder {
    voxels: Voxels,
    columns: Vec<(&'static str, &'static str, MapKind, Vec<f64>)>,
}

impl MapsBuilder {
    /// An empty builder for the voxels `voxels`.
    pub fn new(voxels: Voxels) -> Self {
        MapsBuilder {
            voxels,
            columns: Vec::new(),
        }
    }

    /// Adds map `name` (filled with `fill`) unless it exists; returns its index.
    pub fn column(&mut self, name: &'static str, unit: &'static str, kind: MapKind, fill: f64) -> usize {
        if let Some(i) = self.columns.iter().position(|c| c.0 == name) {
            return i;
        }
        self.columns
            .push((name, unit, kind, vec![fill; self.voxels.len_all()]));
        self.columns.len() - 1
    }

    /// Writes `values` (one per voxel of the selected range `range`) into map `col`.
    pub fn put(&mut self, col: usize, range: Range<usize>, values: &[f64]) -> Result<()> {
        if values.len() != range.len() {
            return Err(Error::Invalid {
                function: "MapsBuilder::put",
                arg: "values",
                expected: format!("{} values (one per voxel of the chunk)", range.len()),
                found: format!("{}", values.len()),
            });
        }
        let ids = &self.voxels.selected[range];
        let c = &mut self.columns[col].3;
        for (&i, v) in ids.iter().zip(values) {
            c[i] = *v;
        }
        Ok(())
    }

    /// The maps of the voxel shape.
    pub fn finish(self) -> Result<Maps> {
        let shape = self.voxels.shape.clone();
        let mask = self.voxels.mask();
        let maps = self
            .columns
            .into_iter()
            .map(|(name, unit, kind, v)| {
                let data = ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(|e| Error::Invalid {
                    function: "MapsBuilder::finish",
                    arg: name,
                    expected: format!("a map of shape {shape:?}"),
                    found: e.to_string(),
                })?;
                Ok(Map {
                    name,
                    unit,
                    kind,
                    data,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Maps { shape, maps, mask })
    }
}

/// The default mask of a series: voxels whose row is all finite and not all zero.
pub fn default_mask(series: &ArrayViewD<'_, f64>) -> ArrayD<bool> {
    let nd = series.ndim();
    if nd == 0 {
        return ArrayD::from_elem(IxDyn(&[]), false);
    }
    series.map_axis(Axis(nd - 1), |row| {
        row.iter().all(|v| v.is_finite()) && row.iter().any(|v| *v != 0.0)
    })
}

/// The values of `a` (any device) on the host, as `f64`.
pub(crate) fn host_f64<T: osipy_kernels::Element + Copy + Into<f64>>(a: &XpArray<T>) -> Result<Vec<f64>> {
    Ok(a.to_host()?.iter().map(|v| (*v).into()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_range_once() {
        let c: Vec<_> = chunks(10, 4).collect();
        assert_eq!(c, vec![0..4, 4..8, 8..10]);
        assert_eq!(chunks(0, 4).count(), 0);
        assert_eq!(default_chunk(10, Device::Cpu), 10);
        assert_eq!(default_chunk(1_000_000, Device::Cpu), 15_625);
        assert_eq!(default_chunk(1_000_000, Device::Cuda(0)), 1 << 18);
    }

    #[test]
    fn gather_takes_the_selected_rows_of_any_layout() {
        let a = ndarray::Array3::from_shape_fn((2, 3, 2), |(x, y, k)| (100 * x + 10 * y + k) as f64);
        let mask = ndarray::Array2::from_shape_fn((2, 3), |(x, y)| (x + y) % 2 == 1).into_dyn();
        let v = Voxels::new("t", &[2, 3], Some(&mask.view())).unwrap();
        assert_eq!(v.selected, vec![1, 3, 5]);
        let g = v.gather(&a.view().into_dyn(), 2, 1..3).unwrap();
        assert_eq!(g.as_slice().unwrap(), &[100.0, 101.0, 120.0, 121.0]);
        // A transposed (non-contiguous) series gives the same rows.
        let t = a.view().permuted_axes([1, 0, 2]).to_owned();
        let tv = t.view().permuted_axes([1, 0, 2]).into_dyn();
        assert_eq!(
            v.gather(&tv, 2, 0..3).unwrap(),
            v.gather(&a.view().into_dyn(), 2, 0..3).unwrap()
        );
    }

    #[test]
    fn maps_fill_outside_the_mask_and_take_medians_inside() {
        let mask = ndarray::arr1(&[true, false, true]).into_dyn();
        let v = Voxels::new("t", &[3], Some(&mask.view())).unwrap();
        let mut b = MapsBuilder::new(v);
        let c = b.column("x", "s", MapKind::Parameter, f64::NAN);
        b.put(c, 0..2, &[1.0, 3.0]).unwrap();
        assert!(b.put(c, 0..1, &[1.0, 2.0]).is_err());
        let m = b.finish().unwrap();
        let x = m.get("x").unwrap();
        assert_eq!((x[0], x[2]), (1.0, 3.0));
        assert!(x[1].is_nan());
        assert_eq!(m.median("x"), 3.0);
        assert!(m.median("nope").is_nan());
        assert_eq!(m.map("x").unwrap().unit, "s");
    }

    #[test]
    fn default_mask_needs_finite_non_zero_rows() {
        let a = ndarray::arr2(&[[0.0, 0.0], [0.0, 1.0], [f64::NAN, 1.0]]).into_dyn();
        assert_eq!(default_mask(&a.view()).as_slice().unwrap(), &[false, true, false]);
    }

    #[test]
    fn zero_threads_is_an_error_and_n_threads_run() {
        assert!(with_threads(Some(0), "t", || Ok(())).is_err());
        assert_eq!(
            with_threads(Some(3), "t", || Ok(rayon::current_num_threads())).unwrap(),
            3
        );
    }
}
