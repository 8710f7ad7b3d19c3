//! The voxel-to-world affine from the sform, the qform or the voxel sizes.

use super::Header;

/// Where [`Nifti::affine`](super::Nifti::affine) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AffineSource {
    /// The sform rows (`sform_code > 0`).
    Sform,
    /// The qform quaternion (`sform_code <= 0`, `qform_code > 0`).
    Qform,
    /// The voxel sizes alone (both codes 0).
    Pixdim,
}

impl Header {
    /// The voxel-to-world affine and where it comes from (see the module docs).
    pub fn affine(&self) -> ([[f64; 4]; 4], AffineSource) {
        let s = |v: f64| if v > 0.0 { v } else { 1.0 };
        if self.sform_code > 0 {
            let r = self.srow;
            ([r[0], r[1], r[2], [0.0, 0.0, 0.0, 1.0]], AffineSource::Sform)
        } else if self.qform_code > 0 {
            (self.qform_affine(), AffineSource::Qform)
        } else {
            let p = &self.pixdim;
            let a = [
                [s(p[1]), 0.0, 0.0, 0.0],
                [0.0, s(p[2]), 0.0, 0.0],
                [0.0, 0.0, s(p[3]), 0.0],
                [0.0, 0.0, 0.0, 1.0],
            ];
            (a, AffineSource::Pixdim)
        }
    }

    /// The qform affine from the quaternion, `qoffset`, `pixdim[1..=3]` and qfac (as
    /// `nifti_quatern_to_mat44` of `nifti1_io`), whatever `qform_code` says.
    pub fn qform_affine(&self) -> [[f64; 4]; 4] {
        let [mut b, mut c, mut d] = self.quatern;
        let mut a = 1.0 - (b * b + c * c + d * d);
        if a < 1e-7 {
            // Not a unit quaternion: normalise (b, c, d), a 180-degree rotation.
            let n = 1.0 / (b * b + c * c + d * d).sqrt();
            b *= n;
            c *= n;
            d *= n;
            a = 0.0;
        } else {
            a = a.sqrt();
        }
        let s = |v: f64| if v > 0.0 { v } else { 1.0 };
        let (xd, yd) = (s(self.pixdim[1]), s(self.pixdim[2]));
        let qfac = if self.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
        let zd = s(self.pixdim[3]) * qfac;
        let [ox, oy, oz] = self.qoffset;
        [
            [
                (a * a + b * b - c * c - d * d) * xd,
                2.0 * (b * c - a * d) * yd,
                2.0 * (b * d + a * c) * zd,
                ox,
            ],
            [
                2.0 * (b * c + a * d) * xd,
                (a * a + c * c - b * b - d * d) * yd,
                2.0 * (c * d - a * b) * zd,
                oy,
            ],
            [
                2.0 * (b * d - a * c) * xd,
                2.0 * (c * d + a * b) * yd,
                (a * a + d * d - c * c - b * b) * zd,
                oz,
            ],
            [0.0, 0.0, 0.0, 1.0],
        ]
    }
}
