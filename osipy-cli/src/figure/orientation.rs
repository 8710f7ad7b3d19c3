//! Which slice a map figure shows and which way the patient faces, from the affine.

use super::*;

/// How a slice of an `[x, y, z]` array is drawn: which slice, and which way the patient faces
/// when the geometry is known. The figures draw the array as stored: the first axis (i) from
/// left to right, the second (j) from bottom to top; nothing is reoriented.
pub struct View {
    /// The slice index along the third axis (from 0).
    pub z: usize,
    /// The number of slices.
    pub nz: usize,
    /// For each array axis, the patient directions it points to and from (`('R', 'L')`: the
    /// index grows towards the patient's right), from the image's voxel-to-RAS affine; `None`
    /// when the input has no geometry.
    pub axes: Option<[(char, char); 3]>,
}

impl View {
    /// The view of the slice with the most mask voxels ([`best_slice`]); `affine` maps voxel
    /// indices to RAS+ world coordinates (`None`: orientation unknown).
    pub fn new(mask: &ndarray::Array3<bool>, affine: Option<&[[f64; 4]; 4]>) -> View {
        View {
            z: best_slice(mask),
            nz: mask.dim().2,
            axes: affine.and_then(axis_directions),
        }
    }

    /// The view of slice `z` of `nz`, oriented by `affine` as in [`View::new`].
    pub fn at(z: usize, nz: usize, affine: Option<&[[f64; 4]; 4]>) -> View {
        View {
            z,
            nz,
            axes: affine.and_then(axis_directions),
        }
    }

    /// Two lines stating the slice and the orientation as drawn.
    pub fn caption(&self) -> Vec<String> {
        let plane = match self.axes.map(|a| a[2].0) {
            Some('S' | 'I') => "axial ",
            Some('A' | 'P') => "coronal ",
            Some('R' | 'L') => "sagittal ",
            _ => "",
        };
        let first = format!(
            "{plane}slice k = {} of {} (from 0), drawn as stored: i left to right, j bottom to top",
            self.z, self.nz
        );
        let second = match self.axes {
            Some(a) => {
                let conv = match a[0].0 {
                    'R' => " (neurological convention)",
                    'L' => " (radiological convention)",
                    _ => "",
                };
                format!(
                    "screen right = patient {}{conv}, top = {}, k grows towards {} (from the affine)",
                    full(a[0].0),
                    full(a[1].0),
                    full(a[2].0)
                )
            }
            None => "orientation unknown: the input has no geometry".to_string(),
        };
        vec![first, second]
    }
}

pub(super) fn full(c: char) -> &'static str {
    match c {
        'R' => "right",
        'L' => "left",
        'A' => "anterior",
        'P' => "posterior",
        'S' => "superior",
        'I' => "inferior",
        _ => "?",
    }
}

/// For each voxel axis, the RAS direction its column of `a` mostly points to (and from);
/// `None` when a column is zero or not finite, or two columns share a direction.
pub(super) fn axis_directions(a: &[[f64; 4]; 4]) -> Option<[(char, char); 3]> {
    const LETTERS: [(char, char); 3] = [('R', 'L'), ('A', 'P'), ('S', 'I')];
    let mut out = [(' ', ' '); 3];
    let mut used = [false; 3];
    for (col, o) in out.iter_mut().enumerate() {
        let v = [a[0][col], a[1][col], a[2][col]];
        if v.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let k = (0..3).max_by(|&p, &q| v[p].abs().total_cmp(&v[q].abs()))?;
        if v[k] == 0.0 || used[k] {
            return None;
        }
        used[k] = true;
        let (pos, neg) = LETTERS[k];
        *o = if v[k] > 0.0 { (pos, neg) } else { (neg, pos) };
    }
    Some(out)
}

/// The voxel-to-RAS affine of an input read as `format` with the geometry `like`, when it
/// says which way the patient lies: `None` for `.npy` (no geometry) and for a NIfTI whose
/// affine comes from the voxel sizes alone (neither qform nor sform).
pub fn known_affine<'a>(format: &str, like: &'a osipy::io::nifti::Nifti) -> Option<&'a [[f64; 4]; 4]> {
    let pixdim_only = like.affine_source == osipy::io::nifti::AffineSource::Pixdim;
    (!format.starts_with(".npy") && !pixdim_only).then_some(&like.affine)
}
