//! Geometry: the slice normal, distances along it, and the voxel-to-world affine.

/// The cross product.
pub(super) fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// The dot product.
pub(super) fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The RAS+ affine from the row and column directions, the pixel spacing (row spacing, column
/// spacing), the step between slices and the position of slice 0 (all LPS): the DICOM affine
/// with its first two rows negated.
pub(super) fn ras_affine(
    row_dir: [f64; 3],
    col_dir: [f64; 3],
    spacing: [f64; 2],
    step: [f64; 3],
    p0: [f64; 3],
) -> [[f64; 4]; 4] {
    let (rs, cs) = (spacing[0], spacing[1]);
    let mut affine = [[0.0; 4]; 4];
    for r in 0..3 {
        let sign = if r < 2 { -1.0 } else { 1.0 };
        affine[r] = [
            sign * row_dir[r] * cs,
            sign * col_dir[r] * rs,
            sign * step[r],
            sign * p0[r],
        ];
    }
    affine[3] = [0.0, 0.0, 0.0, 1.0];
    affine
}
